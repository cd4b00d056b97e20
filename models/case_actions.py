"""What people do to cases: report, accept, forward, reject, mark duplicate, note, resolve, withdraw.

Every operation checks, here in the domain, that the actor may do it and that the status
allows it, moves the case, writes the timeline and queues the notifications, all in the
caller's one transaction. A refusal raises :class:`CaseActionRefused` and changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, id_of
from models.cases import (
    OPEN_STATUSES,
    TRANSITIONS,
    Case,
    CaseCounter,
    CaseEvent,
    CasePhoto,
    CaseStatus,
    EventKind,
    OwnerLevel,
)
from models.categories import DUTY_OF, ReportCategory
from models.directory import Community, Person, Role, RoleKind, Street
from models.outbox import enqueue
from models.routing import Routing, route_case, route_up, shared_enterprise

# Outbox kinds; the sender renders each (see handlers/notifications.py).
CARD = "case.card"  # a case card with the actions its recipient may take
STATUS = "case.status"  # a timeline event told to the reporter
WORK_DONE = "case.work_done"  # the enterprise says it is done: the owner is asked to confirm

NOT_ALLOWED = N_("You cannot do this with this case.")
WRONG_STATUS = N_("This case is {status} now, so this cannot be done any more.")
NO_COMMUNITY = N_("Please choose your community first (/profile).")
NOT_A_DUPLICATE = N_("Case {number} is not an open case of the same community.")


class CaseActionRefused(Exception):
    """The action is not allowed; ``message`` is an N_ message id, ``params`` fill it."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


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


@dataclass(frozen=True)
class CaseDraft:
    """What a resident confirmed in /report."""

    key: str  # unique per draft: confirming twice makes one case
    category: ReportCategory
    description: str
    photo_file_ids: list[str] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Deadlines:
    response: timedelta
    resolution: timedelta


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


async def _record(
    session: AsyncSession,
    case: Case,
    *,
    kind: EventKind,
    actor: Person | None,
    now: datetime,
    text: str | None = None,
    reason: str | None = None,
    params: dict[str, Any] | None = None,
) -> CaseEvent:
    """Write one timeline line with the case's current status."""
    if actor is not None and actor.id != case.reporter_id and case.first_response_at is None:
        case.first_response_at = now
    session.add(case)
    event = CaseEvent(
        case_id=id_of(case),
        at=now,
        actor_id=actor.id if actor is not None else None,
        kind=kind,
        status=case.status,
        text=text,
        reason=reason,
        reason_params=json.dumps(params, ensure_ascii=False) if params else None,
    )
    session.add(event)
    await session.flush()
    return event


async def _move(
    session: AsyncSession,
    case: Case,
    *,
    to: CaseStatus,
    kind: EventKind,
    actor: Person | None,
    now: datetime,
    text: str | None = None,
    params: dict[str, Any] | None = None,
) -> CaseEvent:
    """Change the status if the status machine allows it, and write the timeline line."""
    if to not in TRANSITIONS[case.status]:
        raise CaseActionRefused(WRONG_STATUS, status=CaseStatus(case.status).value)
    case.status = to
    return await _record(session, case, kind=kind, actor=actor, now=now, text=text, params=params)


async def _tell_reporter(session: AsyncSession, case: Case, event: CaseEvent, now: datetime) -> None:
    reporter = await session.get(Person, case.reporter_id)
    if reporter is not None:
        await enqueue(
            session=session, recipient=reporter, kind=STATUS, now=now, case_id=case.id, event_id=event.id
        )


async def _give_to(session: AsyncSession, case: Case, routing: Routing, now: datetime) -> CaseEvent:
    """Make the routing's owner the case's owner, record why, and send them the card."""
    case.owner_level = routing.level
    case.owner_id = routing.owner.id if routing.owner is not None else None
    event = await _record(
        session,
        case,
        kind=EventKind.ROUTED,
        actor=None,
        now=now,
        reason=routing.reason,
        params={**routing.params, "owner": routing.owner.name if routing.owner else ""},
    )
    if routing.owner is not None:
        await enqueue(session=session, recipient=routing.owner, kind=CARD, now=now, case_id=case.id)
    return event


async def _assign(session: AsyncSession, case: Case, routing: Routing, now: datetime) -> CaseEvent:
    if CaseStatus.ASSIGNED not in TRANSITIONS[case.status]:
        raise CaseActionRefused(WRONG_STATUS, status=CaseStatus(case.status).value)
    case.status = CaseStatus.ASSIGNED
    return await _give_to(session, case, routing, now)


async def _next_number(session: AsyncSession, street: Street, now: datetime) -> str:
    counter = (
        await session.exec(
            select(CaseCounter)
            .where(CaseCounter.street_id == street.id)
            .where(CaseCounter.year == now.year)
            .with_for_update()
        )
    ).first()
    if counter is None:
        counter = CaseCounter(street_id=id_of(street), year=now.year, last=0)
    counter.last += 1
    session.add(counter)
    await session.flush()
    return f"{street.code.upper()}-{now.year}-{counter.last:06d}"


async def _answerable_enterprise(session: AsyncSession, community: Community, now: datetime) -> int | None:
    """The community's enterprise, or the one looking after it under shared property."""
    if community.enterprise_id is not None:
        return community.enterprise_id
    shared = await shared_enterprise(session=session, community=community, now=now)
    return shared.id if shared is not None else None


async def open_case(
    *, session: AsyncSession, reporter: Person, draft: CaseDraft, deadlines: Deadlines, now: datetime
) -> Case:
    """Turn a confirmed draft into a routed case; the same draft confirmed again returns the same case."""
    existing = (await session.exec(select(Case).where(Case.draft_key == draft.key))).first()
    if existing is not None:
        return existing
    if reporter.community_id is None:
        raise CaseActionRefused(NO_COMMUNITY)
    community = await session.get(Community, reporter.community_id)
    assert community is not None
    street = await session.get(Street, community.street_id)
    assert street is not None
    case = Case(
        number=await _next_number(session, street, now),
        reporter_id=id_of(reporter),
        community_id=id_of(community),
        enterprise_id=await _answerable_enterprise(session, community, now),
        category=draft.category.value,
        duty=DUTY_OF[draft.category].value,
        description=draft.description,
        building=reporter.building,
        latitude=draft.latitude,
        longitude=draft.longitude,
        status=CaseStatus.NEW,
        owner_level=OwnerLevel.OFFICE,
        created_at=now,
        response_due_at=now + deadlines.response,
        resolution_due_at=now + deadlines.resolution,
        draft_key=draft.key,
    )
    session.add(case)
    await session.flush()
    await _record(session, case, kind=EventKind.REPORTED, actor=reporter, now=now)
    for file_id in draft.photo_file_ids:
        session.add(CasePhoto(case_id=id_of(case), file_id=file_id))
    await _assign(session, case, await route_case(session=session, community=community, now=now), now)
    return case


async def _load(session: AsyncSession, case_id: int) -> Case:
    case = (await session.exec(select(Case).where(Case.id == case_id).with_for_update())).first()
    if case is None:
        raise CaseActionRefused(NOT_ALLOWED)
    return case


async def accept_case(*, session: AsyncSession, case_id: int, actor: Person, now: datetime) -> Case:
    case = await _load(session, case_id)
    await _authorize(session, case, actor, Action.ACCEPT)
    event = await _move(session, case, to=CaseStatus.ACCEPTED, kind=EventKind.ACCEPTED, actor=actor, now=now)
    await _tell_reporter(session, case, event, now)
    return case


async def forward_case(*, session: AsyncSession, case_id: int, actor: Person, now: datetime) -> Case:
    """Hand the work to the enterprise's staff; the owner keeps the case."""
    case = await _load(session, case_id)
    await _authorize(session, case, actor, Action.FORWARD)
    if case.enterprise_id is None:
        raise CaseActionRefused(NOT_ALLOWED)
    case.forwarded_enterprise_id = case.enterprise_id
    case.work_done_at = None
    event = await _move(
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
    await _tell_reporter(session, case, event, now)
    return case


async def reject_case(
    *, session: AsyncSession, case_id: int, actor: Person, reason: str, now: datetime
) -> Case:
    """Not our responsibility: the case goes back to the street property office with the reason."""
    case = await _load(session, case_id)
    await _authorize(session, case, actor, Action.REJECT)
    event = await _move(
        session, case, to=CaseStatus.REJECTED, kind=EventKind.REJECTED, actor=actor, now=now, text=reason
    )
    await _tell_reporter(session, case, event, now)
    community = await session.get(Community, case.community_id)
    assert community is not None
    # The case stays "not our responsibility" until the office decides what to do with it.
    routing = await route_up(session=session, community=community, level=OwnerLevel.PARTY_COMMITTEE)
    await _give_to(session, case, routing, now)
    return case


async def mark_duplicate(
    *, session: AsyncSession, case_id: int, actor: Person, original_number: str, now: datetime
) -> Case:
    case = await _load(session, case_id)
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
    event = await _move(
        session,
        case,
        to=CaseStatus.DUPLICATE,
        kind=EventKind.DUPLICATE,
        actor=actor,
        now=now,
        params={"original": original.number},
    )
    await _tell_reporter(session, case, event, now)
    return case


async def add_note(
    *, session: AsyncSession, case_id: int, actor: Person, text: str, photo_file_ids: list[str], now: datetime
) -> Case:
    """A progress note the resident sees; the first one starts the work."""
    case = await _load(session, case_id)
    await _authorize(session, case, actor, Action.NOTE)
    event = await _move(
        session, case, to=CaseStatus.IN_PROGRESS, kind=EventKind.NOTE, actor=actor, now=now, text=text
    )
    for file_id in photo_file_ids:
        session.add(CasePhoto(case_id=id_of(case), event_id=event.id, file_id=file_id))
    await _tell_reporter(session, case, event, now)
    return case


async def mark_work_done(*, session: AsyncSession, case_id: int, actor: Person, now: datetime) -> Case:
    """The enterprise finished; the owner is asked to confirm the resolution."""
    case = await _load(session, case_id)
    await _authorize(session, case, actor, Action.WORK_DONE)
    case.work_done_at = now
    await _move(session, case, to=CaseStatus.IN_PROGRESS, kind=EventKind.WORK_DONE, actor=actor, now=now)
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
    case = await _load(session, case_id)
    await _authorize(session, case, actor, Action.RESOLVE)
    case.resolved_at = now
    event = await _move(
        session, case, to=CaseStatus.RESOLVED, kind=EventKind.RESOLVED, actor=actor, now=now, text=note
    )
    for file_id in photo_file_ids:
        session.add(CasePhoto(case_id=id_of(case), event_id=event.id, file_id=file_id))
    await _tell_reporter(session, case, event, now)
    if survey_delay is not None:
        # Imported here: the survey modules build on this one.
        from models.surveys import schedule_survey

        await schedule_survey(session=session, case=case, delay=survey_delay, now=now)
    return case


async def withdraw_case(*, session: AsyncSession, case_id: int, actor: Person, now: datetime) -> Case:
    """The reporter takes the case back; its owner is told."""
    case = await _load(session, case_id)
    await _authorize(session, case, actor, Action.WITHDRAW)
    event = await _move(
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
        await _give_to(session, case, routing, now)
    return owned
