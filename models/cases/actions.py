"""What people do to cases: accept, forward, reject, mark duplicate, note, resolve, withdraw.

Every operation checks, here in the domain, that the actor may do it (:func:`allowed_actions`,
the one authorization check) and that the status allows it, then moves the case with the
helpers of :mod:`models.cases.timeline`, all in the caller's one transaction. A refusal raises
:class:`CaseActionRefused` and changes nothing. Opening a case is in :mod:`models.cases.opening`;
its names are re-exported here for the callers that take everything from this module.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, id_of
from models.cases.opening import NO_COMMUNITY, CaseDraft, Deadlines, open_case
from models.cases.routing import route_up
from models.cases.tables import OPEN_STATUSES, Case, CasePhoto, CaseStatus, EventKind, OwnerLevel
from models.cases.timeline import (
    CARD,
    NOT_ALLOWED,
    STATUS,
    WORK_DONE,
    WRONG_STATUS,
    CaseActionRefused,
    give_to,
    load_case,
    move_case,
    tell_reporter,
)
from models.directory.tables import Community, Person, Role, RoleKind
from models.outbox.queue import enqueue
from models.surveys.scheduling import schedule_survey

__all__ = [
    "CARD",
    "NOT_ALLOWED",
    "NO_COMMUNITY",
    "STATUS",
    "WORK_DONE",
    "WRONG_STATUS",
    "Action",
    "CaseActionRefused",
    "CaseDraft",
    "Deadlines",
    "accept_case",
    "add_note",
    "allowed_actions",
    "forward_case",
    "mark_duplicate",
    "mark_work_done",
    "open_case",
    "reject_case",
    "reroute_from_unreachable",
    "resolve_case",
    "withdraw_case",
]

NOT_A_DUPLICATE = N_("Case {number} is not an open case of the same community.")


class Action(StrEnum):
    ACCEPT = "accept"
    FORWARD = "forward"
    REJECT = "reject"
    DUPLICATE = "duplicate"
    NOTE = "note"
    RESOLVE = "resolve"
    WORK_DONE = "work_done"
    WITHDRAW = "withdraw"


# Which statuses each action may start from (the transition table has the last word).
ACTION_FROM: dict[Action, frozenset[CaseStatus]] = {
    Action.ACCEPT: frozenset({CaseStatus.ASSIGNED, CaseStatus.REOPENED, CaseStatus.REJECTED}),
    Action.FORWARD: frozenset({CaseStatus.ASSIGNED, CaseStatus.ACCEPTED, CaseStatus.REOPENED}),
    Action.REJECT: frozenset({CaseStatus.ASSIGNED}),
    Action.DUPLICATE: frozenset({CaseStatus.ASSIGNED, CaseStatus.ACCEPTED, CaseStatus.REJECTED}),
    Action.NOTE: frozenset(
        {CaseStatus.ASSIGNED, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.REOPENED}
    ),
    Action.RESOLVE: frozenset({CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.REOPENED}),
    Action.WORK_DONE: frozenset({CaseStatus.IN_PROGRESS}),
    Action.WITHDRAW: OPEN_STATUSES,
}

OWNER_ACTIONS = frozenset(
    {Action.ACCEPT, Action.FORWARD, Action.REJECT, Action.DUPLICATE, Action.NOTE, Action.RESOLVE}
)
STAFF_ACTIONS = frozenset({Action.NOTE, Action.WORK_DONE})


async def _roles(session: AsyncSession, person: Person) -> list[Role]:
    return list(await session.exec(select(Role).where(Role.person_id == person.id)))


async def allowed_actions(*, session: AsyncSession, case: Case, person: Person) -> set[Action]:
    """The actions ``person`` may take on ``case`` now; the one check every operation uses."""
    actions: set[Action] = set()
    roles = await _roles(session, person)
    is_owner = case.owner_id is not None and case.owner_id == person.id
    if not is_owner and case.owner_level == OwnerLevel.OFFICE:
        community = await session.get(Community, case.community_id)
        is_owner = any(
            role.kind == RoleKind.OFFICE_ADMIN
            and community is not None
            and role.street_id == community.street_id
            for role in roles
        )
    if is_owner:
        actions |= OWNER_ACTIONS
        if case.enterprise_id is None:
            actions.discard(Action.FORWARD)  # a no-property community: no enterprise to forward to
    is_staff = case.forwarded_enterprise_id is not None and any(
        role.kind == RoleKind.ENTERPRISE_STAFF and role.enterprise_id == case.forwarded_enterprise_id
        for role in roles
    )
    if is_staff and case.work_done_at is None:
        actions |= STAFF_ACTIONS
    elif is_staff:
        actions.add(Action.NOTE)
    if case.reporter_id == person.id:
        actions.add(Action.WITHDRAW)
    return {action for action in actions if case.status in ACTION_FROM[action]}


async def _authorize(session: AsyncSession, case: Case, person: Person, action: Action) -> None:
    if action in await allowed_actions(session=session, case=case, person=person):
        return
    if case.status not in ACTION_FROM[action]:
        raise CaseActionRefused(WRONG_STATUS, status=CaseStatus(case.status).value)
    raise CaseActionRefused(NOT_ALLOWED)


async def accept_case(*, session: AsyncSession, case_id: int, actor: Person, now: datetime) -> Case:
    case = await load_case(session, case_id)
    await _authorize(session, case, actor, Action.ACCEPT)
    event = await move_case(
        session, case, to=CaseStatus.ACCEPTED, kind=EventKind.ACCEPTED, actor=actor, now=now
    )
    await tell_reporter(session, case, event, now)
    return case


async def forward_case(*, session: AsyncSession, case_id: int, actor: Person, now: datetime) -> Case:
    """Hand the work to the enterprise's staff; the owner keeps the case."""
    case = await load_case(session, case_id)
    await _authorize(session, case, actor, Action.FORWARD)
    if case.enterprise_id is None:
        raise CaseActionRefused(NOT_ALLOWED)
    case.forwarded_enterprise_id = case.enterprise_id
    case.work_done_at = None
    event = await move_case(
        session, case, to=CaseStatus.IN_PROGRESS, kind=EventKind.FORWARDED, actor=actor, now=now
    )
    staff = await session.exec(
        select(Person)
        .join(Role, col(Role.person_id) == col(Person.id))
        .where(Role.kind == RoleKind.ENTERPRISE_STAFF)
        .where(Role.enterprise_id == case.enterprise_id)
    )
    for person in staff:
        await enqueue(session=session, recipient=person, kind=CARD, now=now, case_id=case.id)
    await tell_reporter(session, case, event, now)
    return case


async def reject_case(
    *, session: AsyncSession, case_id: int, actor: Person, reason: str, now: datetime
) -> Case:
    """Not our responsibility: the case goes back to the street property office with the reason."""
    case = await load_case(session, case_id)
    await _authorize(session, case, actor, Action.REJECT)
    event = await move_case(
        session, case, to=CaseStatus.REJECTED, kind=EventKind.REJECTED, actor=actor, now=now, text=reason
    )
    await tell_reporter(session, case, event, now)
    community = await session.get(Community, case.community_id)
    assert community is not None
    # The case stays "not our responsibility" until the office decides what to do with it.
    routing = await route_up(session=session, community=community, level=OwnerLevel.PARTY_COMMITTEE)
    await give_to(session, case, routing, now)
    return case


async def mark_duplicate(
    *, session: AsyncSession, case_id: int, actor: Person, original_number: str, now: datetime
) -> Case:
    case = await load_case(session, case_id)
    await _authorize(session, case, actor, Action.DUPLICATE)
    original = (
        await session.exec(select(Case).where(Case.number == original_number.strip().upper()))
    ).first()
    if (
        original is None
        or original.id == case.id
        or not original.is_open
        or original.community_id != case.community_id
    ):
        raise CaseActionRefused(NOT_A_DUPLICATE, number=original_number)
    case.duplicate_of_id = original.id
    event = await move_case(
        session,
        case,
        to=CaseStatus.DUPLICATE,
        kind=EventKind.DUPLICATE,
        actor=actor,
        now=now,
        params={"original": original.number},
    )
    await tell_reporter(session, case, event, now)
    return case


async def add_note(
    *, session: AsyncSession, case_id: int, actor: Person, text: str, photo_file_ids: list[str], now: datetime
) -> Case:
    """A progress note the resident sees; the first one starts the work."""
    case = await load_case(session, case_id)
    await _authorize(session, case, actor, Action.NOTE)
    event = await move_case(
        session, case, to=CaseStatus.IN_PROGRESS, kind=EventKind.NOTE, actor=actor, now=now, text=text
    )
    for file_id in photo_file_ids:
        session.add(CasePhoto(case_id=id_of(case), event_id=event.id, file_id=file_id))
    await tell_reporter(session, case, event, now)
    return case


async def mark_work_done(*, session: AsyncSession, case_id: int, actor: Person, now: datetime) -> Case:
    """The enterprise finished; the owner is asked to confirm the resolution."""
    case = await load_case(session, case_id)
    await _authorize(session, case, actor, Action.WORK_DONE)
    case.work_done_at = now
    await move_case(session, case, to=CaseStatus.IN_PROGRESS, kind=EventKind.WORK_DONE, actor=actor, now=now)
    owner = await session.get(Person, case.owner_id) if case.owner_id is not None else None
    if owner is not None:
        await enqueue(session=session, recipient=owner, kind=WORK_DONE, now=now, case_id=case.id)
    return case


async def resolve_case(
    *,
    session: AsyncSession,
    case_id: int,
    actor: Person,
    note: str,
    photo_file_ids: list[str],
    now: datetime,
    survey_delay: timedelta | None = None,
) -> Case:
    """Resolve the case; with ``survey_delay``, its reporter's satisfaction survey is scheduled."""
    case = await load_case(session, case_id)
    await _authorize(session, case, actor, Action.RESOLVE)
    case.resolved_at = now
    event = await move_case(
        session, case, to=CaseStatus.RESOLVED, kind=EventKind.RESOLVED, actor=actor, now=now, text=note
    )
    for file_id in photo_file_ids:
        session.add(CasePhoto(case_id=id_of(case), event_id=event.id, file_id=file_id))
    await tell_reporter(session, case, event, now)
    if survey_delay is not None:
        await schedule_survey(session=session, case=case, delay=survey_delay, now=now)
    return case


async def withdraw_case(*, session: AsyncSession, case_id: int, actor: Person, now: datetime) -> Case:
    """The reporter takes the case back; its owner is told."""
    case = await load_case(session, case_id)
    await _authorize(session, case, actor, Action.WITHDRAW)
    event = await move_case(
        session, case, to=CaseStatus.WITHDRAWN, kind=EventKind.WITHDRAWN, actor=actor, now=now
    )
    owner = await session.get(Person, case.owner_id) if case.owner_id is not None else None
    if owner is not None:
        await enqueue(
            session=session, recipient=owner, kind=STATUS, now=now, case_id=case.id, event_id=event.id
        )
    return case


async def reroute_from_unreachable(*, session: AsyncSession, person: Person, now: datetime) -> list[Case]:
    """The person blocked the bot: move each open case they own one level up, saying so in its timeline."""
    owned = list(
        await session.exec(
            select(Case)
            .where(Case.owner_id == person.id)
            .where(col(Case.status).in_(list(OPEN_STATUSES)))
            .with_for_update()
        )
    )
    for case in owned:
        community = await session.get(Community, case.community_id)
        assert community is not None
        routing = await route_up(
            session=session, community=community, level=case.owner_level, exclude={id_of(person)}
        )
        await give_to(session, case, routing, now)
    return owned
