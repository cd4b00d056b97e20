"""What people do to cases: accept, forward, reject, mark duplicate, note, resolve, withdraw.

Every operation asks :func:`models.cases.access.authorize` (permission first, then status)
and moves the case with the helpers of :mod:`models.cases.timeline`, all in the caller's one
transaction. A refusal raises :class:`~models.refusal.Refused` and changes nothing. A
resolution goes through :func:`models.surveys.scheduling.resolve_and_schedule_survey`, which
also schedules the reporter's survey.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, id_of
from models.cases.access import Action, authorize
from models.cases.routing import route_up
from models.cases.tables import Case, CasePhoto, CaseStatus, EventKind, OwnerLevel
from models.cases.timeline import (
    NOT_ALLOWED,
    give_to,
    load_case,
    move_case,
    owner_of,
    send_card,
    tell_owner,
    tell_reporter,
)
from models.directory.tables import Community, Person, Role, RoleKind
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue
from models.refusal import Refused

NOT_A_DUPLICATE = N_("Case {number} is not an open case of the same community.")


async def _authorized(session: AsyncSession, case_id: int, actor: Person, action: Action) -> Case:
    """The case, locked, once ``actor`` may take ``action`` on it."""
    case = await load_case(session, case_id)
    await authorize(session=session, case=case, person=actor, action=action)
    return case


def _add_photos(session: AsyncSession, case: Case, event_id: int | None, file_ids: list[str]) -> None:
    for file_id in file_ids:
        session.add(CasePhoto(case_id=id_of(case), event_id=event_id, file_id=file_id))


async def accept_case(*, session: AsyncSession, case_id: int, actor: Person, now: datetime) -> Case:
    """The owner takes the case on; the resident is told."""
    case = await _authorized(session, case_id, actor, Action.ACCEPT)
    event = await move_case(
        session, case, to=CaseStatus.ACCEPTED, kind=EventKind.ACCEPTED, actor=actor, now=now
    )
    await tell_reporter(session, case, event, now)
    return case


async def forward_case(*, session: AsyncSession, case_id: int, actor: Person, now: datetime) -> Case:
    """Hand the work to the enterprise's staff; the owner keeps the case."""
    case = await _authorized(session, case_id, actor, Action.FORWARD)
    if case.enterprise_id is None:
        raise Refused(NOT_ALLOWED)
    case.forwarded_enterprise_id = case.enterprise_id
    case.work_done_at = None
    event = await move_case(
        session, case, to=CaseStatus.IN_PROGRESS, kind=EventKind.FORWARDED, actor=actor, now=now
    )
    await send_card_to_staff(session, case, now)
    await tell_reporter(session, case, event, now)
    return case


async def send_card_to_staff(session: AsyncSession, case: Case, now: datetime) -> None:
    """Queue the case's card for every staff member of its enterprise."""
    staff = await session.exec(
        select(Person)
        .join(Role, col(Role.person_id) == col(Person.id))
        .where(Role.kind == RoleKind.ENTERPRISE_STAFF)
        .where(Role.enterprise_id == case.enterprise_id)
    )
    for person in staff:
        await send_card(session, case, person, now)


async def reject_case(
    *, session: AsyncSession, case_id: int, actor: Person, reason: str, now: datetime
) -> Case:
    """Not our responsibility: the case goes back to the street property office with the reason."""
    case = await _authorized(session, case_id, actor, Action.REJECT)
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
    """The same problem as an open case of the same community: close this one as its duplicate."""
    case = await _authorized(session, case_id, actor, Action.DUPLICATE)
    original = (
        await session.exec(select(Case).where(Case.number == original_number.strip().upper()))
    ).first()
    if (
        original is None
        or original.id == case.id
        or not original.is_open
        or original.community_id != case.community_id
    ):
        raise Refused(NOT_A_DUPLICATE, number=original_number)
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
    case = await _authorized(session, case_id, actor, Action.NOTE)
    event = await move_case(
        session, case, to=CaseStatus.IN_PROGRESS, kind=EventKind.NOTE, actor=actor, now=now, text=text
    )
    _add_photos(session, case, event.id, photo_file_ids)
    await tell_reporter(session, case, event, now)
    return case


async def mark_work_done(*, session: AsyncSession, case_id: int, actor: Person, now: datetime) -> Case:
    """The enterprise finished; the owner is asked to confirm the resolution."""
    case = await _authorized(session, case_id, actor, Action.WORK_DONE)
    case.work_done_at = now
    await move_case(session, case, to=CaseStatus.IN_PROGRESS, kind=EventKind.WORK_DONE, actor=actor, now=now)
    owner = await owner_of(session, case)
    if owner is not None:
        await enqueue(
            session=session, recipient=owner, kind=OutboxKind.CASE_WORK_DONE, now=now, case_id=case.id
        )
    return case


async def resolve_case(
    *, session: AsyncSession, case_id: int, actor: Person, note: str, photo_file_ids: list[str], now: datetime
) -> Case:
    """Resolve the case and tell the resident. Callers go through
    :func:`models.surveys.scheduling.resolve_and_schedule_survey`, which schedules the survey too."""
    case = await _authorized(session, case_id, actor, Action.RESOLVE)
    case.resolved_at = now
    event = await move_case(
        session, case, to=CaseStatus.RESOLVED, kind=EventKind.RESOLVED, actor=actor, now=now, text=note
    )
    _add_photos(session, case, event.id, photo_file_ids)
    await tell_reporter(session, case, event, now)
    return case


async def withdraw_case(*, session: AsyncSession, case_id: int, actor: Person, now: datetime) -> Case:
    """The reporter takes the case back; its owner is told."""
    case = await _authorized(session, case_id, actor, Action.WITHDRAW)
    event = await move_case(
        session, case, to=CaseStatus.WITHDRAWN, kind=EventKind.WITHDRAWN, actor=actor, now=now
    )
    await tell_owner(session, case, event, now)
    return case
