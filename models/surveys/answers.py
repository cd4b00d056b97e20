"""The resident's answers to a survey, one step at a time, in order.

Is the problem solved? (Solved / Partly / Not) → after "Partly": reopen the case? →
1–5 stars → willing to pay the property fee? → an optional comment, which finishes the
survey. Only the reporter answers, only while the survey is out, each step once: anything
else raises :class:`Refused` and changes nothing. "Not solved" reopens the case at once
(and the comment then tells the owner what is still wrong); a finished survey whose case was
not reopened closes the case.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_
from models.cases.reopening import reopen_case
from models.cases.tables import Case, EventKind
from models.cases.timeline import record_event, tell_owner
from models.directory.tables import Person
from models.refusal import Refused
from models.surveys.scheduling import close_if_current
from models.surveys.tables import Solved, Survey, SurveyStatus

NOT_YOURS = N_("This survey is not yours to answer.")
SURVEY_FINISHED = N_("You have already answered this survey. Thank you!")
SURVEY_CLOSED = N_("This survey has closed.")
ALREADY_ANSWERED = N_("You have already answered this question.")
NOT_YET = N_("Please answer the questions in order.")
INVALID_ANSWER = N_("This is not one of the answers.")

MAX_STARS = 5


class Step(StrEnum):
    SOLVED = "solved"
    REOPEN = "reopen"  # only after "partly solved"
    STARS = "stars"
    PAY = "pay"
    COMMENT = "comment"  # text, or None to skip; the last step


Answer = str | int | bool | None

OPEN = frozenset({SurveyStatus.SENT, SurveyStatus.REMINDED})


def next_step(survey: Survey) -> Step | None:
    """The question the resident is to answer now (None: nothing more to answer)."""
    if survey.status not in OPEN:
        return None
    if survey.solved is None:
        return Step.SOLVED
    if survey.solved == Solved.PARTLY and survey.reopened is None:
        return Step.REOPEN
    if survey.stars is None:
        return Step.STARS
    if survey.willing_to_pay is None:
        return Step.PAY
    return Step.COMMENT


def _answered(survey: Survey, step: Step) -> bool:
    values: dict[Step, Any] = {
        Step.SOLVED: survey.solved,
        Step.REOPEN: survey.reopened,
        Step.STARS: survey.stars,
        Step.PAY: survey.willing_to_pay,
        Step.COMMENT: None,
    }
    return values[step] is not None


def _solved(value: Answer) -> Solved:
    if isinstance(value, str) and value in Solved.__members__.values():
        return Solved(value)
    raise Refused(INVALID_ANSWER)


def _stars(value: Answer) -> int:
    if isinstance(value, bool):
        raise Refused(INVALID_ANSWER)
    if isinstance(value, str) and value in {str(count) for count in range(1, MAX_STARS + 1)}:
        value = int(value)  # exactly "1" to "5": str.isdigit() would also take "²"
    if isinstance(value, int) and 1 <= value <= MAX_STARS:
        return value
    raise Refused(INVALID_ANSWER)


def _yes_no(value: Answer) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("yes", "no"):
        return value == "yes"
    raise Refused(INVALID_ANSWER)


def _comment(value: Answer) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Refused(INVALID_ANSWER)
    return value.strip() or None


async def _load(session: AsyncSession, survey_id: int, person: Person) -> Survey:
    survey = (await session.exec(select(Survey).where(Survey.id == survey_id).with_for_update())).first()
    if survey is None or survey.reporter_id != person.id or survey.status == SurveyStatus.SCHEDULED:
        raise Refused(NOT_YOURS)
    if survey.status == SurveyStatus.ANSWERED:
        raise Refused(SURVEY_FINISHED)
    if survey.status == SurveyStatus.EXPIRED:
        raise Refused(SURVEY_CLOSED)
    return survey


async def _tell_owner(
    session: AsyncSession, survey: Survey, reporter: Person, text: str, now: datetime
) -> None:
    """Put what is still wrong in the reopened case's timeline and tell its owner."""
    case = await session.get(Case, survey.case_id)
    assert case is not None
    event = await record_event(session, case, kind=EventKind.NOTE, actor=reporter, now=now, text=text)
    await tell_owner(session, case, event, now)


async def answer_survey(
    *, session: AsyncSession, survey_id: int, person: Person, step: Step | str, value: Answer, now: datetime
) -> Survey:
    """Record one answer; see :func:`next_step` for what to ask next."""
    survey = await _load(session, survey_id, person)
    try:
        step = Step(step)
    except ValueError:
        raise Refused(INVALID_ANSWER) from None
    if step != next_step(survey):
        raise Refused(ALREADY_ANSWERED if _answered(survey, step) else NOT_YET)
    if survey.answered_at is None:
        survey.answered_at = now
    if step == Step.SOLVED:
        survey.solved = _solved(value)
        if survey.solved == Solved.NOT:
            survey.reopened = True
    elif step == Step.REOPEN:
        survey.reopened = _yes_no(value)
    elif step == Step.STARS:
        survey.stars = _stars(value)
    elif step == Step.PAY:
        survey.willing_to_pay = _yes_no(value)
    else:
        survey.comment = _comment(value)
        survey.status = SurveyStatus.ANSWERED
    session.add(survey)
    await session.flush()
    if step in (Step.SOLVED, Step.REOPEN) and survey.reopened:
        await reopen_case(session=session, case_id=survey.case_id, reporter=person, now=now)
    if step == Step.COMMENT:
        if survey.reopened and survey.comment:
            await _tell_owner(session, survey, person, survey.comment, now)
        elif not survey.reopened:
            await close_if_current(session=session, survey=survey, actor=person, now=now)
    return survey


async def reopen_after_partly(
    *, session: AsyncSession, survey_id: int, person: Person, reopen: bool, now: datetime
) -> Survey:
    """After "partly solved": the resident's choice whether the case reopens."""
    return await answer_survey(
        session=session, survey_id=survey_id, person=person, step=Step.REOPEN, value=reopen, now=now
    )
