"""Surveys: scheduled once per resolution, sent once (never in quiet hours), reminded once,
expired; answered only by the reporter, step by step, with reopening and closing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from models.base import id_of
from models.cases.routing import RoutingReason
from models.cases.tables import Case, CaseEvent, CaseStatus, EventKind, OwnerLevel
from models.directory.tables import Person
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage
from models.refusal import Refused
from models.surveys.answers import (
    ALREADY_ANSWERED,
    INVALID_ANSWER,
    NOT_YET,
    NOT_YOURS,
    SURVEY_CLOSED,
    SURVEY_FINISHED,
    Answer,
    Step,
    answer_survey,
    next_step,
    reopen_after_partly,
)
from models.surveys.scheduling import (
    QuietHours,
    due_reminders,
    due_surveys,
    expire_surveys,
    next_allowed_time,
    schedule_survey,
)
from models.surveys.tables import Solved, Survey, SurveyStatus
from storage.database import Database
from tests.factories.cases import DELAY, T0, resolve, resolved_case, survey_messages, surveys
from tests.factories.world import World, make_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUIET = QuietHours(time(21), time(8), SHANGHAI)
REMINDER_AFTER = timedelta(hours=24)
EXPIRE_AFTER = timedelta(days=7)


@pytest.fixture
async def world(db: Database) -> World:
    return await make_world(db)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 7, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


async def send_due(db: Database, now: datetime, quiet: QuietHours | None = QUIET) -> list[Survey]:
    async with db.write() as session:
        return await due_surveys(session=session, now=now, limit=100, quiet=quiet)


async def answer(
    db: Database, survey_id: int, person_id: int, step: Step, value: Answer, now: datetime
) -> Survey:
    async with db.write() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        return await answer_survey(
            session=session, survey_id=survey_id, person=person, step=step, value=value, now=now
        )


async def load_case(db: Database, case_id: int) -> Case:
    async with db.read() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        return case


async def case_events(db: Database, case_id: int) -> list[CaseEvent]:
    async with db.read() as session:
        return list(
            await session.exec(
                select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.id))
            )
        )


async def sent_survey(db: Database, world: World) -> tuple[Case, Survey]:
    """A resolved case of the resident whose survey went out at T0 + DELAY."""
    case = await resolved_case(db, world.resident.id, world.instructor.id)
    [survey] = await send_due(db, T0 + DELAY)
    return case, survey


# --- quiet hours -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(6, 12), local(6, 12)),
        (local(6, 20, 59), local(6, 20, 59)),
        (local(6, 21), local(7, 8)),  # the evening: tomorrow morning
        (local(6, 23, 30), local(7, 8)),
        (local(7, 0, 0), local(7, 8)),  # after midnight: this morning
        (local(7, 7, 59), local(7, 8)),
        (local(7, 8), local(7, 8)),
    ],
)
def test_quiet_hours_wrap_midnight(moment: datetime, expected: datetime) -> None:
    assert next_allowed_time(moment, time(21), time(8), SHANGHAI) == expected


def test_quiet_hours_within_one_day_and_none() -> None:
    assert next_allowed_time(local(6, 13), time(12), time(14), SHANGHAI) == local(6, 14)
    assert next_allowed_time(local(6, 15), time(12), time(14), SHANGHAI) == local(6, 15)
    assert next_allowed_time(local(6, 23), time(0), time(0), SHANGHAI) == local(6, 23)


# --- scheduling, sending, reminding, expiring ------------------------------------------------


async def test_resolving_schedules_one_survey_with_the_case_picture(db: Database, world: World) -> None:
    case = await resolved_case(db, world.resident.id, world.instructor.id)
    [survey] = await surveys(db)
    assert (survey.case_id, survey.round, survey.reporter_id) == (case.id, 1, world.resident.id)
    assert (survey.enterprise_id, survey.community_id, survey.street_id) == (
        world.enterprise,
        world.community,
        world.street,
    )
    assert (survey.duty, survey.category, survey.instructor_id) == (
        "facilities",
        "elevator",
        world.instructor.id,
    )
    assert survey.status == SurveyStatus.SCHEDULED and survey.due_at == T0 + DELAY
    assert survey.excluded_from_numbers is False
    async with db.write() as session:  # scheduling again finds the same survey
        again = await schedule_survey(
            session=session, case=await session.get(Case, id_of(case)), delay=DELAY, now=T0
        )  # type: ignore[arg-type]
    assert again.id == survey.id and len(await surveys(db)) == 1


async def test_resolving_without_a_delay_schedules_nothing(db: Database, world: World) -> None:
    await resolved_case(db, world.resident.id, world.instructor.id, delay=None)
    assert await surveys(db) == []


async def test_a_due_survey_is_sent_exactly_once(db: Database, world: World) -> None:
    case, _ = await resolved_case(db, world.resident.id, world.instructor.id), None
    assert await send_due(db, T0 + DELAY - timedelta(seconds=1)) == []
    [survey] = await send_due(db, T0 + DELAY)
    assert await send_due(db, T0 + DELAY + timedelta(hours=1)) == []
    assert survey.status == SurveyStatus.SENT and survey.sent_at == T0 + DELAY
    assert await survey_messages(db) == [
        (OutboxKind.SURVEY_ASK, world.resident.id, {"survey_id": survey.id}, T0 + DELAY)
    ]
    async with db.read() as session:
        row = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.SURVEY_ASK))
        ).one()
    assert row.case_id == case.id


async def test_a_survey_due_in_quiet_hours_waits_for_the_morning(db: Database, world: World) -> None:
    await resolved_case(db, world.resident.id, world.instructor.id, now=local(6, 22, 30) - DELAY)
    [survey] = await send_due(db, local(6, 22, 30))
    assert survey.sent_at == local(7, 8)
    assert [message[3] for message in await survey_messages(db)] == [local(7, 8)]


async def test_one_reminder_then_expiry_closes_the_case(db: Database, world: World) -> None:
    case, survey = await sent_survey(db, world)
    sent = T0 + DELAY
    async with db.write() as session:
        assert (
            await due_reminders(
                session=session, now=sent + timedelta(hours=23), reminder_after=REMINDER_AFTER, limit=10
            )
            == []
        )
        [reminded] = await due_reminders(
            session=session, now=sent + REMINDER_AFTER, reminder_after=REMINDER_AFTER, limit=10, quiet=QUIET
        )
        assert (
            await due_reminders(
                session=session, now=sent + 2 * REMINDER_AFTER, reminder_after=REMINDER_AFTER, limit=10
            )
            == []
        )
    assert reminded.status == SurveyStatus.REMINDED
    assert [m[:3] for m in await survey_messages(db)] == [
        (OutboxKind.SURVEY_ASK, world.resident.id, {"survey_id": survey.id}),
        (OutboxKind.SURVEY_REMIND, world.resident.id, {"survey_id": survey.id}),
    ]
    async with db.write() as session:
        assert (
            await expire_surveys(
                session=session,
                now=sent + EXPIRE_AFTER - timedelta(seconds=1),
                expire_after=EXPIRE_AFTER,
                limit=10,
            )
            == []
        )
        [expired] = await expire_surveys(
            session=session, now=sent + EXPIRE_AFTER, expire_after=EXPIRE_AFTER, limit=10
        )
    assert expired.status == SurveyStatus.EXPIRED and expired.expired_at == sent + EXPIRE_AFTER
    closed = await load_case(db, id_of(case))
    assert closed.status == CaseStatus.CLOSED and closed.closed_at == sent + EXPIRE_AFTER
    assert (await case_events(db, id_of(case)))[-1].kind == EventKind.CLOSED
    with pytest.raises(Refused) as refused:
        await answer(db, id_of(survey), world.resident.id, Step.SOLVED, "solved", sent + EXPIRE_AFTER)
    assert refused.value.message == SURVEY_CLOSED


async def test_a_started_survey_gets_no_reminder(db: Database, world: World) -> None:
    _, survey = await sent_survey(db, world)
    await answer(db, id_of(survey), world.resident.id, Step.SOLVED, "solved", T0 + DELAY + timedelta(hours=1))
    async with db.write() as session:
        assert (
            await due_reminders(session=session, now=T0 + 3 * DELAY, reminder_after=REMINDER_AFTER, limit=10)
            == []
        )


async def test_a_reporter_the_bot_cannot_reach_is_not_surveyed_and_the_case_closes(
    db: Database, world: World
) -> None:
    case = await resolved_case(db, world.resident.id, world.instructor.id)
    async with db.write() as session:
        resident = await session.get(Person, world.resident.id)
        assert resident is not None
        resident.reachable = False
        session.add(resident)
    [survey] = await send_due(db, T0 + DELAY)
    assert survey.status == SurveyStatus.EXPIRED and survey.sent_at is None
    assert await survey_messages(db) == []
    assert (await load_case(db, id_of(case))).status == CaseStatus.CLOSED


# --- answering -------------------------------------------------------------------------------


async def test_solved_five_stars_yes_and_a_comment_close_the_case(db: Database, world: World) -> None:
    case, survey = await sent_survey(db, world)
    at = T0 + DELAY + timedelta(hours=2)
    steps: list[tuple[Step, Answer]] = [(Step.SOLVED, "solved"), (Step.STARS, 5), (Step.PAY, True)]
    for step, value in steps:
        assert (await load_case(db, id_of(case))).status == CaseStatus.RESOLVED
        answered = await answer(db, id_of(survey), world.resident.id, step, value, at)
    assert next_step(answered) == Step.COMMENT
    answered = await answer(db, id_of(survey), world.resident.id, Step.COMMENT, "  Quick work, thanks. ", at)
    assert answered.status == SurveyStatus.ANSWERED and next_step(answered) is None
    [stored] = await surveys(db)
    assert (stored.solved, stored.stars, stored.willing_to_pay, stored.comment) == (
        Solved.SOLVED,
        5,
        True,
        "Quick work, thanks.",
    )
    assert stored.answered_at == at and stored.reopened is None
    closed = await load_case(db, id_of(case))
    assert closed.status == CaseStatus.CLOSED
    last = (await case_events(db, id_of(case)))[-1]
    assert (last.kind, last.actor_id) == (EventKind.CLOSED, world.resident.id)
    with pytest.raises(Refused) as refused:
        await answer(db, id_of(survey), world.resident.id, Step.STARS, 1, at)
    assert refused.value.message == SURVEY_FINISHED


async def test_each_step_once_in_order_with_valid_answers(db: Database, world: World) -> None:
    _, survey = await sent_survey(db, world)
    at = T0 + DELAY
    survey_id = id_of(survey)
    refusals: list[tuple[Step, Answer, str]] = [
        (Step.STARS, 4, NOT_YET),
        (Step.SOLVED, "maybe", INVALID_ANSWER),
        (Step.SOLVED, None, INVALID_ANSWER),
        ("nonsense", 1, INVALID_ANSWER),  # type: ignore[list-item]
    ]
    for step, value, message in refusals:
        with pytest.raises(Refused) as refused:
            await answer(db, survey_id, world.resident.id, step, value, at)
        assert refused.value.message == message
    assert (await surveys(db))[0].answered_at is None
    await answer(db, survey_id, world.resident.id, Step.SOLVED, "solved", at)
    before = (await surveys(db))[0]
    for step, value, message in [
        (Step.SOLVED, "not", ALREADY_ANSWERED),  # a second tap on the first question
        (Step.STARS, 6, INVALID_ANSWER),
        (Step.STARS, 0, INVALID_ANSWER),
        (Step.STARS, True, INVALID_ANSWER),
        (Step.PAY, True, NOT_YET),
        (Step.REOPEN, True, NOT_YET),
    ]:
        with pytest.raises(Refused) as refused:
            await answer(db, survey_id, world.resident.id, step, value, at + timedelta(minutes=5))
        assert refused.value.message == message
    assert (await surveys(db))[0] == before
    assert (await load_case(db, survey.case_id)).status == CaseStatus.RESOLVED


async def test_only_the_reporter_answers(db: Database, world: World) -> None:
    case, survey = await sent_survey(db, world)
    for person in (world.neighbour.id, world.instructor.id):
        with pytest.raises(Refused) as refused:
            await answer(db, id_of(survey), person, Step.SOLVED, "not", T0 + DELAY)
        assert refused.value.message == NOT_YOURS
    with pytest.raises(Refused) as refused:
        await answer(db, 999_999, world.resident.id, Step.SOLVED, "not", T0 + DELAY)
    assert refused.value.message == NOT_YOURS
    assert (await surveys(db))[0].solved is None
    assert (await load_case(db, id_of(case))).status == CaseStatus.RESOLVED


async def test_a_scheduled_survey_cannot_be_answered_yet(db: Database, world: World) -> None:
    await resolved_case(db, world.resident.id, world.instructor.id)
    [survey] = await surveys(db)
    with pytest.raises(Refused) as refused:
        await answer(db, id_of(survey), world.resident.id, Step.SOLVED, "solved", T0)
    assert refused.value.message == NOT_YOURS


async def cards(db: Database, kind: str = OutboxKind.CASE_CARD) -> list[tuple[int | None, int | None]]:
    async with db.read() as session:
        rows = await session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(col(OutboxMessage.id))
        )
        return [(row.recipient_id, row.case_id) for row in rows]


async def test_not_solved_reopens_to_the_same_owner_who_hears_what_is_wrong(
    db: Database, world: World
) -> None:
    case, survey = await sent_survey(db, world)
    at = T0 + DELAY + timedelta(hours=1)
    before = await cards(db)
    await answer(db, id_of(survey), world.resident.id, Step.SOLVED, "not", at)
    reopened = await load_case(db, id_of(case))
    assert reopened.status == CaseStatus.REOPENED and reopened.reopen_count == 1
    assert (reopened.owner_level, reopened.owner_id) == (OwnerLevel.INSTRUCTOR, world.instructor.id)
    last = (await case_events(db, id_of(case)))[-1]
    assert (last.kind, last.actor_id, last.status) == (
        EventKind.REOPENED,
        world.resident.id,
        CaseStatus.REOPENED,
    )
    assert await cards(db) == [*before, (world.instructor.id, case.id)]
    await answer(db, id_of(survey), world.resident.id, Step.STARS, 2, at)
    await answer(db, id_of(survey), world.resident.id, Step.PAY, False, at)
    await answer(db, id_of(survey), world.resident.id, Step.COMMENT, "Still leaking after the rain.", at)
    note = (await case_events(db, id_of(case)))[-1]
    assert (note.kind, note.actor_id, note.text) == (
        EventKind.NOTE,
        world.resident.id,
        "Still leaking after the rain.",
    )
    async with db.read() as session:
        status = (
            await session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.kind == OutboxKind.CASE_STATUS)
                .order_by(col(OutboxMessage.id).desc())
            )
        ).first()
    assert status is not None and status.recipient_id == world.instructor.id
    assert json.loads(status.params) == {"event_id": note.id}
    assert (await load_case(db, id_of(case))).status == CaseStatus.REOPENED
    assert (await surveys(db))[0].status == SurveyStatus.ANSWERED


async def test_once_per_resolution_and_the_second_reopen_goes_to_the_committee(
    db: Database, world: World
) -> None:
    # 东方华庭 has a party committee member (陈书记): one level above the instructor.
    case, first = await sent_survey(db, world)
    await answer(db, id_of(first), world.resident.id, Step.SOLVED, "not", T0 + DELAY)
    second_resolution = T0 + 2 * DELAY
    await resolve(db, id_of(case), world.instructor.id, second_resolution)
    rounds = [(s.case_id, s.round, s.status) for s in await surveys(db)]
    assert rounds == [(case.id, 1, SurveyStatus.SENT), (case.id, 2, SurveyStatus.SCHEDULED)]
    [second] = await send_due(db, second_resolution + DELAY)
    assert second.round == 2
    # The first survey's questions are still open, but the case is no longer the one it asked about.
    await answer(db, id_of(second), world.resident.id, Step.SOLVED, "not", second_resolution + DELAY)
    case = await load_case(db, id_of(case))
    assert case.status == CaseStatus.REOPENED and case.reopen_count == 2
    assert (case.owner_level, case.owner_id) == (OwnerLevel.PARTY_COMMITTEE, world.committee.id)
    *_before, routed, escalated = await case_events(db, id_of(case))
    assert (routed.kind, routed.reason) == (EventKind.ROUTED, RoutingReason.COMMITTEE_UP)
    # The same level as a missed deadline: escalated once, the resident told (models/escalation).
    assert (escalated.kind, case.escalation_level) == (EventKind.ESCALATED, 2)
    assert (await cards(db))[-1] == (world.committee.id, case.id)


@pytest.mark.parametrize(("reopen", "status"), [(False, CaseStatus.CLOSED), (True, CaseStatus.REOPENED)])
async def test_partly_solved_asks_whether_to_reopen(
    db: Database, world: World, reopen: bool, status: CaseStatus
) -> None:
    case, survey = await sent_survey(db, world)
    at = T0 + DELAY
    answered = await answer(db, id_of(survey), world.resident.id, Step.SOLVED, "partly", at)
    assert next_step(answered) == Step.REOPEN
    async with db.write() as session:
        resident = await session.get(Person, world.resident.id)
        assert resident is not None
        answered = await reopen_after_partly(
            session=session, survey_id=id_of(survey), person=resident, reopen=reopen, now=at
        )
    assert answered.reopened is reopen and next_step(answered) == Step.STARS
    for step, value in ((Step.STARS, 3), (Step.PAY, True), (Step.COMMENT, None)):
        await answer(db, id_of(survey), world.resident.id, step, value, at)
    assert (await load_case(db, id_of(case))).status == status
    assert (await surveys(db))[0].comment is None


@pytest.mark.parametrize(
    ("reporter", "excluded"),
    [("resident", False), ("staff", True), ("instructor", True), ("admin", True), ("bare_committee", False)],
)
async def test_reporters_who_handle_the_area_are_excluded_from_the_numbers(
    db: Database, world: World, reporter: str, excluded: bool
) -> None:
    person_id = getattr(world, reporter).id
    async with db.write() as session:  # they live in the community they report from
        person = await session.get(Person, person_id)
        assert person is not None
        person.community_id = world.community
        session.add(person)
    await resolved_case(db, person_id, world.instructor.id)
    [survey] = await surveys(db)
    assert survey.excluded_from_numbers is excluded
