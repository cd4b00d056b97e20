"""The Red Property Affairs Hall in the domain: scheduling and who may, the automatic agenda with
its escalated case and hotspot, answers and the reminder, attendance, decisions, the minutes, and
an action item closed by its enterprise settling its case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from sqlmodel import col, select

from models.assessment.tables import GovernanceRecord, RecordKind, RecordStatus
from models.base import id_of
from models.cases.categories import ReportCategory
from models.cases.opening import Deadlines
from models.cases.tables import Case, CaseEvent, CaseStatus, EventKind, Suggestion, SuggestionOutcome
from models.directory.tables import Person, RoleKind
from models.escalation.job import run_escalations
from models.escalation.rules import EscalationRules
from models.meetings.agenda import AgendaRules, agenda, build_agenda, drop_item
from models.meetings.attendance import attendance_share
from models.meetings.decisions import (
    close_item,
    decide,
    follow_up_items,
    hold_meeting,
    open_items_for,
    set_attendance,
)
from models.meetings.minutes import minutes_of
from models.meetings.scheduling import answer_invitation, due_meeting_reminders, schedule_meeting
from models.meetings.tables import AgendaItem, Invitation, ItemKind, Meeting
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage
from models.refusal import Refused
from storage.database import Database
from tests.factories.cases import report
from tests.factories.directory import add_role
from tests.factories.world import World, make_world

T0 = datetime(2026, 7, 6, 2, 0, tzinfo=UTC)
LEAK = Deadlines(response=timedelta(hours=4), resolution=timedelta(days=3))
MEETING = T0 + timedelta(days=3)


@pytest.fixture
async def world(db: Database) -> World:
    world = await make_world(db)
    await add_role(db, world.staff, RoleKind.ENTERPRISE_HEAD, enterprise=world.enterprise)
    return world


async def person(db: Database, person_id: int) -> Person:
    async with db.read() as session:
        found = await session.get(Person, person_id)
        assert found is not None
        return found


async def queued(db: Database, kind: OutboxKind) -> list[int | None]:
    async with db.read() as session:
        rows = await session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(col(OutboxMessage.id))
        )
        return [row.recipient_id for row in rows]


async def meeting_with_agenda(
    db: Database, world: World, codes: list[str], *, now: datetime
) -> tuple[Meeting, list[AgendaItem]]:
    """The office schedules a meeting of ``codes`` and builds its agenda with the default rules."""
    async with db.write() as session:
        admin = await session.get(Person, world.admin.id)
        assert admin is not None
        meeting = await schedule_meeting(
            session=session, actor=admin, starts_at=MEETING, place="Hall", community_codes=codes, now=now
        )
        await build_agenda(session=session, meeting=meeting, rules=AgendaRules(), now=now)
        return meeting, await agenda(session=session, meeting=meeting)


async def test_scheduling_is_for_the_office_or_the_communitys_committee_and_never_in_the_past(
    db: Database, world: World
) -> None:
    async def schedule(who: int, at: datetime, codes: list[str]) -> None:
        async with db.write() as session:
            actor = await session.get(Person, who)
            assert actor is not None
            await schedule_meeting(
                session=session, actor=actor, starts_at=at, place="Hall", community_codes=codes, now=T0
            )

    with pytest.raises(Refused, match="must be in the future"):
        await schedule(world.admin.id, T0 - timedelta(hours=1), ["dfht"])
    with pytest.raises(Refused, match="Only a street office admin"):
        await schedule(world.instructor.id, MEETING, ["dfht"])
    with pytest.raises(Refused, match="Only a street office admin"):
        await schedule(world.committee.id, MEETING, ["dfht", "bahy"])  # not all their own
    await schedule(world.committee.id, MEETING, ["dfht"])
    # 陈书记 (committee), 王指导员 (instructor) and 周经理 (海悦物业's head) are invited.
    assert sorted(await queued(db, OutboxKind.MEETING_INVITATION)) == sorted(
        [world.instructor.id, world.staff.id, world.committee.id]
    )


async def test_only_suggestions_unanswered_past_the_days_go_on_the_agenda(db: Database, world: World) -> None:
    old = T0 - timedelta(days=AgendaRules().suggestion_days + 1)
    async with db.write() as session:
        for community, created, answered in (
            (world.community, old, None),  # unanswered for too long: on the agenda
            (world.community, old, old + timedelta(days=1)),  # answered: not
            (world.other_community, old, old + timedelta(days=1)),  # answered: not, nor its community
            (world.community, T0 - timedelta(days=1), None),  # unanswered, but only a day old
        ):
            session.add(
                Suggestion(
                    author_id=world.resident.id,
                    community_id=community,
                    text="idea",
                    created_at=created,
                    outcome=SuggestionOutcome.NOTED if answered else None,
                    answer="noted" if answered else None,
                    answered_at=answered,
                )
            )
    _meeting, items = await meeting_with_agenda(db, world, ["dfht", "bahy"], now=T0)
    assert [(item.kind, item.subject, item.text) for item in items] == [
        (ItemKind.SUGGESTIONS, f"suggestions:{world.community}", f"{world.community}:1")
    ]


async def test_a_suggestion_passed_to_the_agenda_is_an_item_of_the_next_meeting_only(
    db: Database, world: World
) -> None:
    async with db.write() as session:
        for community, text, outcome in (
            (world.community, "A bench by the north gate", SuggestionOutcome.AGENDA),
            (world.community, "Paint the railings", SuggestionOutcome.ADOPTED),  # answered otherwise: not
            (world.other_community, "Move the bins", SuggestionOutcome.AGENDA),  # another community
        ):
            session.add(
                Suggestion(
                    author_id=world.resident.id,
                    community_id=community,
                    text=text,
                    created_at=T0,
                    outcome=outcome,
                    answer="ok",
                    answered_at=T0,
                )
            )
    meeting, items = await meeting_with_agenda(db, world, ["dfht"], now=T0)
    assert [(item.kind, item.text) for item in items] == [(ItemKind.SUGGESTION, "A bench by the north gate")]
    async with db.read() as session:
        minutes = await minutes_of(session=session, meeting=meeting)
    assert [item.text for item in minutes.items] == ["A bench by the north gate"]
    # The next meeting of the community does not take it up again.
    _next, later = await meeting_with_agenda(db, world, ["dfht"], now=T0 + timedelta(hours=1))
    assert [item.kind for item in later] == []


async def test_a_passed_suggestion_waits_for_its_communitys_earliest_scheduled_meeting(
    db: Database, world: World
) -> None:
    async with db.write() as session:
        admin = await session.get(Person, world.admin.id)
        assert admin is not None
        sooner = await schedule_meeting(
            session=session, actor=admin, starts_at=MEETING, place="Hall", community_codes=["dfht"], now=T0
        )
        later = await schedule_meeting(
            session=session,
            actor=admin,
            starts_at=MEETING + timedelta(days=7),
            place="Hall",
            community_codes=["dfht"],
            now=T0,
        )
        session.add(
            Suggestion(
                author_id=world.resident.id,
                community_id=world.community,
                text="A bench by the north gate",
                created_at=T0,
                outcome=SuggestionOutcome.AGENDA,
                answer="ok",
                answered_at=T0,
            )
        )
    async with db.write() as session:
        for meeting in (later, sooner):  # the later meeting's agenda built first
            await build_agenda(session=session, meeting=meeting, rules=AgendaRules(), now=T0)
        kinds = {
            meeting.id: [item.kind for item in await agenda(session=session, meeting=meeting)]
            for meeting in (sooner, later)
        }
    assert kinds == {sooner.id: [ItemKind.SUGGESTION], later.id: []}


async def test_the_affairs_hall_from_agenda_to_a_settled_case(db: Database, world: World) -> None:
    leak = await report(db, world.resident.id, category=ReportCategory.LEAK, now=T0, deadlines=LEAK)
    for hour in range(3):
        await report(db, world.resident.id, category=ReportCategory.PARKING, now=T0 + timedelta(hours=hour))
    async with db.write() as session:
        await run_escalations(session=session, rules=EscalationRules(), now=T0 + timedelta(hours=5), limit=10)
    now = T0 + timedelta(hours=6)
    meeting, items = await meeting_with_agenda(db, world, ["dfht"], now=now)
    assert [(item.kind, item.case_numbers) for item in items] == [
        (ItemKind.ESCALATED, leak.number),
        (ItemKind.HOTSPOT, items[1].case_numbers),
    ]
    assert len(items[1].case_numbers.split()) == 3
    async with db.read() as session:
        invitations = {row.person_id: row for row in await session.exec(select(Invitation))}
    async with db.write() as session:
        await answer_invitation(
            session=session,
            invitation_id=id_of(invitations[world.staff.id]),
            person=await person(db, world.staff.id),
            coming=True,
            now=now,
        )
    async with db.write() as session:  # the day before: reminded once, twice run
        await due_meeting_reminders(session=session, now=MEETING - timedelta(hours=20), limit=50)
        await due_meeting_reminders(session=session, now=MEETING - timedelta(hours=19), limit=50)
    assert sorted(await queued(db, OutboxKind.MEETING_REMINDER)) == sorted(invitations)
    admin = await person(db, world.admin.id)
    async with db.write() as session:
        await set_attendance(
            session=session, invitation_id=id_of(invitations[world.staff.id]), actor=admin, attended=True
        )
        with pytest.raises(Refused, match="needs an owner"):
            await decide(
                session=session,
                item_id=id_of(items[0]),
                actor=admin,
                owner="",
                action="Fix it",
                due_at=MEETING + timedelta(days=7),
                now=MEETING,
            )
        with pytest.raises(Refused, match="needs a deadline"):
            await decide(
                session=session,
                item_id=id_of(items[0]),
                actor=admin,
                owner="hy",
                action="Fix it",
                due_at=None,
                now=MEETING,
            )
        await decide(
            session=session,
            item_id=id_of(items[0]),
            actor=admin,
            owner="hy",
            action="Re-roof building 3",
            due_at=MEETING + timedelta(days=7),
            now=MEETING,
        )
        await drop_item(session=session, meeting_id=id_of(meeting), item_id=id_of(items[1]), actor=admin)
        with pytest.raises(Refused, match="agenda has changed"):  # the old agenda's button, again
            await drop_item(session=session, meeting_id=id_of(meeting), item_id=id_of(items[1]), actor=admin)
        await hold_meeting(
            session=session, meeting_id=id_of(meeting), actor=admin, now=MEETING + timedelta(hours=2)
        )
    assert await queued(db, OutboxKind.MEETING_MINUTES) == [world.staff.id]
    with pytest.raises(Refused, match="agenda has changed"):  # closed twice: nothing recorded again
        async with db.write() as session:
            await hold_meeting(
                session=session, meeting_id=id_of(meeting), actor=admin, now=MEETING + timedelta(hours=3)
            )
    assert await queued(db, OutboxKind.MEETING_MINUTES) == [world.staff.id]
    async with db.read() as session:
        share = await attendance_share(
            session=session, enterprise_id=world.enterprise, start=T0, end=T0 + timedelta(days=30)
        )
        [(decision, _item)] = await open_items_for(session=session, person=await person(db, world.staff.id))
    assert share == Fraction(1)
    async with db.read() as session:  # the assessment's joint-meeting record: 海悦物业 attended
        [record] = list(await session.exec(select(GovernanceRecord)))
    assert (record.enterprise_id, record.kind, record.yes, record.status, record.quarter) == (
        world.enterprise,
        RecordKind.MEETING,
        True,
        RecordStatus.APPROVED,
        "2026Q3",
    )
    async with db.write() as session:  # a day before its deadline: the owner is reminded
        await follow_up_items(session=session, now=decision.due_at - timedelta(hours=12), limit=10)
    assert await queued(db, OutboxKind.ITEM_REMINDER) == [world.staff.id]
    async with db.write() as session:  # overdue: the owner and the office hear, the case goes up a level
        await follow_up_items(session=session, now=decision.due_at + timedelta(hours=1), limit=10)
        await follow_up_items(session=session, now=decision.due_at + timedelta(hours=2), limit=10)
    assert sorted(await queued(db, OutboxKind.ITEM_OVERDUE)) == sorted([world.staff.id, world.admin.id])
    async with db.read() as session:
        escalated = await session.get(Case, id_of(leak))
    assert escalated is not None and escalated.escalation_level == 3
    async with db.write() as session:
        with pytest.raises(Refused, match="Only the owner"):
            await close_item(
                session=session,
                decision_id=id_of(decision),
                actor=await person(db, world.other_staff.id),
                now=MEETING,
            )
        await close_item(
            session=session,
            decision_id=id_of(decision),
            actor=await person(db, world.staff.id),
            now=MEETING + timedelta(days=2),
        )
    async with db.read() as session:
        case = await session.get(Case, id_of(leak))
        last = (
            await session.exec(
                select(CaseEvent).where(CaseEvent.case_id == leak.id).order_by(col(CaseEvent.id).desc())
            )
        ).first()
    assert case is not None and case.status == CaseStatus.RESOLVED
    assert last is not None and (last.kind, last.text) == (EventKind.SETTLED, "Re-roof building 3")
    async with db.read() as session:
        told = await session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.recipient_id == world.resident.id)
            .order_by(col(OutboxMessage.id).desc())
        )
        assert told.first().parameters()["event_id"] == last.id  # type: ignore[union-attr]


async def test_a_meeting_closed_by_the_committee_leaves_its_attendance_records_for_the_office(
    db: Database, world: World
) -> None:
    committee = await person(db, world.committee.id)
    async with db.write() as session:
        meeting = await schedule_meeting(
            session=session,
            actor=committee,
            starts_at=MEETING,
            place="Hall",
            community_codes=["dfht"],
            now=T0,
        )
    async with db.write() as session:
        await hold_meeting(session=session, meeting_id=id_of(meeting), actor=committee, now=MEETING)
    async with db.read() as session:
        records = list(await session.exec(select(GovernanceRecord)))
    assert [(record.enterprise_id, record.yes, record.status) for record in records] == [
        (world.enterprise, False, RecordStatus.PENDING)
    ]
    assert await queued(db, OutboxKind.RECORD_PENDING) == [world.admin.id]
