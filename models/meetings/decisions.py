"""At the meeting: attendance and a decision per item; after it: the minutes, and the decisions
followed up as action items (seen by their owners in /cases, reminded, escalated when overdue,
and closed by their owners, which settles the item's cases and tells their residents).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import and_, or_, update
from sqlalchemy.engine import CursorResult
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, id_of
from models.cases.access import roles_of_person
from models.cases.tables import TRANSITIONS, Case, CaseStatus, EventKind
from models.cases.timeline import record_event, tell_reporter
from models.directory.tables import Enterprise, Person, Role, RoleKind
from models.escalation.levels import escalate
from models.escalation.rules import EscalationRules, Level
from models.meetings.agenda import _run_by
from models.meetings.attendance import record_attendance
from models.meetings.scheduling import STALE
from models.meetings.tables import AgendaItem, Decision, Invitation, ItemStatus, Meeting, MeetingStatus
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue
from models.refusal import Refused

NO_OWNER = N_("A decision needs an owner: a person's name or an enterprise's code.")
NO_DEADLINE = N_("A decision needs a deadline in the future, like 2026-12-31.")
NO_ACTION = N_("A decision needs the action to take.")
NOT_ITEM_OWNER = N_("Only the owner of this action item can close it.")
REMIND_BEFORE = timedelta(days=1)
# An overdue action item's escalation of its cases, in case_escalation (after models/escalation's):
# one stage per level, since a case on two items may be raised twice on the same deadline.
ITEM_STAGES = {Level.COMMITTEE: 8, Level.OFFICE: 9}


async def set_attendance(
    *, session: AsyncSession, invitation_id: int, actor: Person, attended: bool
) -> Invitation:
    """The admin records whether an invitee came."""
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None:
        raise Refused(STALE)
    await _run_by(session, invitation.meeting_id, actor)
    invitation.attended = attended
    session.add(invitation)
    return invitation


async def find_owner(*, session: AsyncSession, text: str) -> tuple[Person | None, Enterprise | None]:
    """An enterprise by its code, else a person of the directory by name (a role holder)."""
    wanted = text.strip()
    if not wanted:
        raise Refused(NO_OWNER)
    enterprise = (await session.exec(select(Enterprise).where(Enterprise.code == wanted))).first()
    if enterprise is not None:
        return None, enterprise
    person = (
        await session.exec(
            select(Person).join(Role, col(Role.person_id) == col(Person.id)).where(Person.name == wanted)
        )
    ).first()
    if person is None:
        raise Refused(NO_OWNER)
    return person, None


async def decide(
    *,
    session: AsyncSession,
    item_id: int,
    actor: Person,
    owner: str,
    action: str,
    due_at: datetime | None,
    now: datetime,
) -> Decision:
    """Record the decision on an item: its owner (a person or an enterprise), action and deadline."""
    item = await session.get(AgendaItem, item_id)
    if item is None or item.dropped:
        raise Refused(STALE)
    await _run_by(session, item.meeting_id, actor)
    if due_at is None or due_at <= now:
        raise Refused(NO_DEADLINE)
    if not action.strip():
        raise Refused(NO_ACTION)
    person, enterprise = await find_owner(session=session, text=owner)
    existing = (await session.exec(select(Decision).where(Decision.item_id == item_id))).first()
    decision = existing or Decision(item_id=item_id, action="", due_at=due_at, decided_by=id_of(actor))
    decision.owner_person_id = person.id if person is not None else None
    decision.owner_enterprise_id = enterprise.id if enterprise is not None else None
    decision.action, decision.due_at, decision.decided_at = action.strip(), due_at, now
    session.add(decision)
    await session.flush()
    return decision


async def hold_meeting(
    *, session: AsyncSession, meeting_id: int, actor: Person, now: datetime, tz: tzinfo = UTC
) -> Meeting:
    """Close the meeting, record the enterprises' attendance for the assessment, and send the
    minutes to everyone who attended."""
    meeting = await _run_by(session, meeting_id, actor)
    # Conditional: of two closes at once, only the first records attendance and sends minutes.
    closed = await session.exec(
        update(Meeting)
        .where(col(Meeting.id) == meeting.id)
        .where(col(Meeting.status) == MeetingStatus.SCHEDULED)
        .values(status=MeetingStatus.HELD, held_at=now)
    )
    if not isinstance(closed, CursorResult) or closed.rowcount != 1:
        raise Refused(STALE)
    await session.refresh(meeting)
    await record_attendance(session=session, meeting=meeting, actor=actor, now=now, tz=tz)
    attendees = await session.exec(
        select(Person)
        .join(Invitation, col(Invitation.person_id) == col(Person.id))
        .where(Invitation.meeting_id == meeting.id)
        .where(col(Invitation.attended).is_(True))
    )
    for person in attendees:
        await enqueue(
            session=session, recipient=person, kind=OutboxKind.MEETING_MINUTES, now=now, meeting_id=meeting.id
        )
    return meeting


def _owned_by(person: Person, enterprises: list[int]) -> object:
    return or_(col(Decision.owner_person_id) == person.id, col(Decision.owner_enterprise_id).in_(enterprises))


async def _enterprises_of(session: AsyncSession, person: Person) -> list[int]:
    kinds = (RoleKind.ENTERPRISE_STAFF, RoleKind.ENTERPRISE_HEAD, RoleKind.PARTY_BRANCH_CONTACT)
    return [
        r.enterprise_id for r in await roles_of_person(session, person) if r.kind in kinds and r.enterprise_id
    ]


async def open_items_for(*, session: AsyncSession, person: Person) -> list[tuple[Decision, AgendaItem]]:
    """The open action items ``person`` owns, or their enterprise does; earliest deadline first."""
    enterprises = await _enterprises_of(session, person)
    query = (
        select(Decision, AgendaItem)
        .join(AgendaItem, col(AgendaItem.id) == col(Decision.item_id))
        .join(Meeting, col(Meeting.id) == col(AgendaItem.meeting_id))
        .where(Meeting.status == MeetingStatus.HELD)
        .where(Decision.status == ItemStatus.OPEN)
        .where(_owned_by(person, enterprises))  # type: ignore[arg-type]
        .order_by(col(Decision.due_at))
    )
    return [(decision, item) for decision, item in await session.exec(query)]


async def close_item(*, session: AsyncSession, decision_id: int, actor: Person, now: datetime) -> Decision:
    """The owner closes the item: its cases are settled, their timelines say so, residents are told."""
    decision = await session.get(Decision, decision_id)
    if decision is None or decision.status != ItemStatus.OPEN:
        raise Refused(STALE)
    mine = decision.owner_person_id == actor.id or decision.owner_enterprise_id in await _enterprises_of(
        session, actor
    )
    if not mine:
        raise Refused(NOT_ITEM_OWNER)
    item = await session.get(AgendaItem, decision.item_id)
    meeting = await session.get(Meeting, item.meeting_id) if item is not None else None
    if meeting is None or meeting.status != MeetingStatus.HELD:
        raise Refused(STALE)  # an item is an action item once its meeting has been held
    decision.status, decision.closed_at = ItemStatus.CLOSED, now
    session.add(decision)
    numbers = item.case_numbers.split() if item is not None else []
    for case in await session.exec(select(Case).where(col(Case.number).in_(numbers)).with_for_update()):
        if case.is_open and CaseStatus.RESOLVED not in TRANSITIONS[case.status]:
            case.status = CaseStatus.IN_PROGRESS  # assigned: worked on, then resolved, as the machine allows
        if case.is_open and CaseStatus.RESOLVED in TRANSITIONS[case.status]:
            case.status, case.resolved_at = CaseStatus.RESOLVED, now
        first_response = case.first_response_at
        event = await record_event(
            session,
            case,
            kind=EventKind.SETTLED,
            actor=actor,
            now=now,
            text=decision.action,
            params={"meeting": meeting.starts_at.isoformat() if meeting else ""},
        )
        case.first_response_at = first_response or now
        await tell_reporter(session, case, event, now)
    return decision


async def follow_up_items(
    *, session: AsyncSession, now: datetime, limit: int, rules: EscalationRules | None = None
) -> int:
    """Remind owners a day before an item's deadline, and escalate overdue items to the street
    office, each once (conditional UPDATEs); the number of messages queued."""
    queued = 0
    for name, due, kind in (
        ("reminded_at", now + REMIND_BEFORE, OutboxKind.ITEM_REMINDER),
        ("escalated_at", now, OutboxKind.ITEM_OVERDUE),
    ):
        column = getattr(Decision, name)
        query = (
            select(Decision)
            .where(Decision.status == ItemStatus.OPEN)
            .where(col(column).is_(None))
            .where(col(Decision.due_at) <= due)
            .limit(limit)
        )
        for decision in list(await session.exec(query)):
            result = await session.exec(
                update(Decision)
                .where(col(Decision.id) == decision.id)
                .where(col(column).is_(None))
                .values({name: now})
            )
            if not isinstance(result, CursorResult) or result.rowcount != 1:
                continue
            for person in await _item_recipients(session, decision, overdue=kind == OutboxKind.ITEM_OVERDUE):
                await enqueue(session=session, recipient=person, kind=kind, now=now, decision_id=decision.id)
                queued += 1
            if kind == OutboxKind.ITEM_OVERDUE:
                await _escalate_cases(session, decision, rules or EscalationRules(), now)
    return queued


async def _escalate_cases(
    session: AsyncSession, decision: Decision, rules: EscalationRules, now: datetime
) -> None:
    """An overdue item escalates its open cases one level further, like a missed deadline."""
    item = await session.get(AgendaItem, decision.item_id)
    numbers = item.case_numbers.split() if item is not None else []
    for case in list(await session.exec(select(Case).where(col(Case.number).in_(numbers)).with_for_update())):
        if case.is_open and case.escalation_level < Level.OFFICE:
            level = Level(max(case.escalation_level + 1, Level.COMMITTEE))
            await escalate(
                session=session,
                case=case,
                level=level,
                stage=ITEM_STAGES[level],
                cause="item",
                rules=rules,
                now=now,
            )


async def _item_recipients(session: AsyncSession, decision: Decision, *, overdue: bool) -> list[Person]:
    """The owner (the enterprise's head and staff), and for an overdue item the street office too."""
    people: dict[int, Person] = {}
    if decision.owner_person_id is not None:
        person = await session.get(Person, decision.owner_person_id)
        if person is not None:
            people[id_of(person)] = person
    holders = []
    if decision.owner_enterprise_id is not None:
        holders.append(
            and_(
                col(Role.enterprise_id) == decision.owner_enterprise_id,
                col(Role.kind).in_([RoleKind.ENTERPRISE_HEAD, RoleKind.ENTERPRISE_STAFF]),
            )
        )
    if overdue:
        item = await session.get(AgendaItem, decision.item_id)
        meeting = await session.get(Meeting, item.meeting_id) if item is not None else None
        if meeting is not None:
            holders.append(
                and_(col(Role.kind) == RoleKind.OFFICE_ADMIN, col(Role.street_id) == meeting.street_id)
            )
    for condition in holders:
        query = select(Person).join(Role, col(Role.person_id) == col(Person.id)).where(condition)
        for person in await session.exec(query):
            people[id_of(person)] = person
    return list(people.values())
