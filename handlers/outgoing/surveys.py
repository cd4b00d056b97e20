"""How a survey looks in the chat: one message with the answers so far, the current question
and its buttons; the outbox renders it for ``survey.ask`` and ``survey.remind``, and the
answers edit it in place. Callback data is ``v:<survey_id>:<step>:<value>``."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.callback_data import an_id, fields, one_of
from handlers.outgoing.fitting import inline
from handlers.outgoing.parts import Outgoing
from locales.i18n import N_
from locales.i18n import gettext as _
from models.cases.tables import Case, CaseEvent, CaseStatus, EventKind
from models.directory.tables import Person
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage
from models.surveys.answers import MAX_STARS, SURVEY_CLOSED, Step, next_step
from models.surveys.tables import Solved, Survey, SurveyStatus

PREFIX = "v"
# The resolution note and the comment each take at most this much, so that with the questions
# and the answers the message stays within Telegram's 4,096.
NOTE_ROOM = 1700
SKIP = "skip"

QUESTIONS: dict[Step, str] = {
    Step.SOLVED: N_("Is the problem solved?"),
    Step.REOPEN: N_("Should the case be reopened so the rest gets fixed?"),
    Step.STARS: N_("How satisfied are you with how it was handled?"),
    Step.PAY: N_("Are you willing to pay your property fee?"),
}
COMMENT_QUESTION = N_("Any comment? Type it, or tap Skip.")
STILL_WRONG_QUESTION = N_(
    "What is still wrong? Type it and it goes to the person handling the case, or tap Skip."
)
SOLVED_LABELS: dict[Solved, str] = {
    Solved.SOLVED: N_("Solved"),
    Solved.PARTLY: N_("Partly solved"),
    Solved.NOT: N_("Not solved"),
}
REOPEN_LABELS = {True: N_("Yes, reopen it"), False: N_("No, close it")}
PAY_LABELS = {True: N_("Yes"), False: N_("Not yet")}


def answer_data(survey_id: int, step: Step, value: str) -> str:
    return f"{PREFIX}:{survey_id}:{step.value}:{value}"


def parse_answer_data(data: str) -> tuple[int, Step, str] | None:
    """``(survey_id, step, value)`` of well-formed survey button data, else None."""
    parts = fields(data, PREFIX, 3)
    if parts is None or (survey_id := an_id(parts[0])) is None or one_of(parts[1], set(Step)) is None:
        return None
    return survey_id, Step(parts[1]), parts[2]


def stars(count: int) -> str:
    return "★" * count


def keyboard(survey: Survey, step: Step | None) -> InlineKeyboardMarkup | None:
    """The buttons of the step the resident is to answer now."""
    survey_id = survey.id or 0
    if step == Step.SOLVED:
        rows = [
            [InlineKeyboardButton(_(label), callback_data=answer_data(survey_id, step, value.value))]
            for value, label in SOLVED_LABELS.items()
        ]
    elif step == Step.REOPEN:
        rows = [
            [InlineKeyboardButton(_(REOPEN_LABELS[value]), callback_data=answer_data(survey_id, step, word))]
            for value, word in ((True, "yes"), (False, "no"))
        ]
    elif step == Step.STARS:
        rows = [
            [
                InlineKeyboardButton(f"{count}★", callback_data=answer_data(survey_id, step, str(count)))
                for count in range(1, MAX_STARS + 1)
            ]
        ]
    elif step == Step.PAY:
        rows = [
            [
                InlineKeyboardButton(_(PAY_LABELS[value]), callback_data=answer_data(survey_id, step, word))
                for value, word in ((True, "yes"), (False, "no"))
            ]
        ]
    elif step == Step.COMMENT:
        rows = [[InlineKeyboardButton(_("Skip"), callback_data=answer_data(survey_id, step, SKIP))]]
    else:
        return None
    return InlineKeyboardMarkup(rows)


def question(survey: Survey, step: Step) -> str:
    if step == Step.COMMENT:
        return _(STILL_WRONG_QUESTION) if survey.reopened else _(COMMENT_QUESTION)
    return _(QUESTIONS[step])


def recap(survey: Survey) -> list[str]:
    """Each question answered so far, with its answer."""
    lines = []
    if survey.solved is not None:
        lines.append(f"{_(QUESTIONS[Step.SOLVED])} {_(SOLVED_LABELS[survey.solved])}")
    if survey.solved == Solved.PARTLY and survey.reopened is not None:
        lines.append(f"{_(QUESTIONS[Step.REOPEN])} {_(REOPEN_LABELS[survey.reopened])}")
    if survey.stars is not None:
        lines.append(f"{_(QUESTIONS[Step.STARS])} {stars(survey.stars)}")
    if survey.willing_to_pay is not None:
        lines.append(f"{_(QUESTIONS[Step.PAY])} {_(PAY_LABELS[survey.willing_to_pay])}")
    if survey.comment:
        lines.append(_("Your comment: {comment}").format(comment=inline(survey.comment, NOTE_ROOM)))
    return lines


async def resolution_note(session: AsyncSession, survey: Survey) -> str:
    """The note of the resolution this survey is about (the round-th one)."""
    query = (
        select(CaseEvent.text)
        .where(CaseEvent.case_id == survey.case_id)
        .where(CaseEvent.kind == EventKind.RESOLVED)
        .order_by(col(CaseEvent.id))
    )
    notes = list(await session.exec(query))
    return (notes[survey.round - 1] if len(notes) >= survey.round else notes[-1] if notes else None) or ""


async def what_happens_next(session: AsyncSession, survey: Survey, case: Case) -> str:
    """The thank-you: the case is closed, or reopened and back with whom."""
    number = case.number
    if survey.reopened:
        owner = await session.get(Person, case.owner_id) if case.owner_id is not None else None
        if owner is not None and owner.name:
            return _("Thank you for your answers! Case {number} is reopened and back with {owner}.").format(
                number=number, owner=owner.name
            )
        return _("Thank you for your answers! Case {number} is reopened; the office will follow up.").format(
            number=number
        )
    if case.status == CaseStatus.CLOSED:
        return _("Thank you for your answers! Case {number} is now closed.").format(number=number)
    return _("Thank you for your answers!")


async def survey_message(
    session: AsyncSession, survey: Survey, *, reminder: bool = False
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The survey message as it stands: heading, answers so far, then the question or the thanks."""
    case = await session.get(Case, survey.case_id)
    number = case.number if case is not None else "?"
    note = await resolution_note(session, survey)
    if reminder:
        heading = _("A reminder: we would like to hear from you. Case {number} was resolved: {note}")
    else:
        heading = _("Case {number} was resolved: {note}")
    lines = [heading.format(number=number, note=inline(note, NOTE_ROOM)), ""]
    lines += recap(survey)
    step = next_step(survey)
    if step is not None:
        lines.append(question(survey, step))
    elif survey.status == SurveyStatus.ANSWERED and case is not None:
        lines.append(await what_happens_next(session, survey, case))
    elif survey.status == SurveyStatus.EXPIRED:
        lines.append(_(SURVEY_CLOSED))
    return "\n".join(lines), keyboard(survey, step)


async def render_survey(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The survey (or its reminder) with its current question; nothing if nothing is left to ask."""
    survey_id = message.parameters().get("survey_id")
    survey = await session.get(Survey, survey_id) if isinstance(survey_id, int) else None
    if survey is None or next_step(survey) is None:
        return []
    reminder = message.kind == OutboxKind.SURVEY_REMIND
    text, markup = await survey_message(session, survey, reminder=reminder)
    return [Outgoing(text=text, reply_markup=markup)]
