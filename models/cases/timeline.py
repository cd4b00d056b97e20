"""A case's timeline and status moves: the steps every case operation is built from.

Each helper works in the caller's one transaction: it changes the case only as the status
machine (:data:`models.cases.tables.TRANSITIONS`) allows, writes the timeline line and queues the
notifications. A refusal raises :class:`~models.refusal.Refused` and changes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, id_of
from models.cases.routing import Routing
from models.cases.tables import STATUS_NAMES, TRANSITIONS, Case, CaseEvent, CaseStatus, EventKind
from models.directory.tables import Person
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue
from models.refusal import MessageId, Refused

NOT_ALLOWED = N_("You cannot do this with this case.")
WRONG_STATUS = N_("This case is {status} now, so this cannot be done any more.")


def wrong_status(case: Case) -> Refused:
    """The refusal of an action the case's status no longer allows, naming that status."""
    return Refused(WRONG_STATUS, status=MessageId(STATUS_NAMES[CaseStatus(case.status)]))


async def record_event(
    session: AsyncSession,
    case: Case,
    *,
    kind: EventKind,
    actor: Person | None,
    now: datetime,
    text: str | None = None,
    reason: str | None = None,
    params: dict[str, Any] | None = None,
    status: CaseStatus | None = None,
    flush: bool = True,
) -> CaseEvent:
    """Write one timeline line with the case's current status (or ``status``, which it had then).

    ``flush=False`` leaves the line for the transaction's next flush, for a caller that needs
    neither its id nor the write yet.
    """
    if actor is not None and actor.id != case.reporter_id and case.first_response_at is None:
        case.first_response_at = now
    session.add(case)
    event = CaseEvent(
        case_id=id_of(case),
        at=now,
        actor_id=actor.id if actor is not None else None,
        kind=kind,
        status=status or case.status,
        text=text,
        reason=reason,
        reason_params=json.dumps(params, ensure_ascii=False) if params else None,
    )
    session.add(event)
    if flush:
        await session.flush()
    return event


async def move_case(
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
        raise wrong_status(case)
    case.status = to
    return await record_event(session, case, kind=kind, actor=actor, now=now, text=text, params=params)


async def owner_of(session: AsyncSession, case: Case) -> Person | None:
    """The person who owns the case now, if anyone does."""
    return await session.get(Person, case.owner_id) if case.owner_id is not None else None


async def tell_reporter(session: AsyncSession, case: Case, event: CaseEvent, now: datetime) -> None:
    """Queue the timeline line ``event`` for the case's reporter."""
    await _tell(session, await session.get(Person, case.reporter_id), case, event, now)


async def tell_owner(session: AsyncSession, case: Case, event: CaseEvent, now: datetime) -> None:
    """Queue the timeline line ``event`` for the case's owner (a withdrawal, a resident's note)."""
    await _tell(session, await owner_of(session, case), case, event, now)


async def _tell(
    session: AsyncSession, person: Person | None, case: Case, event: CaseEvent, now: datetime
) -> None:
    if person is not None:
        await enqueue(
            session=session,
            recipient=person,
            kind=OutboxKind.CASE_STATUS,
            now=now,
            case_id=case.id,
            event_id=event.id,
        )


async def send_card(session: AsyncSession, case: Case, person: Person | None, now: datetime) -> None:
    """Queue the case's card for ``person`` (rendered when sent, with the actions they may take then)."""
    if person is not None:
        await enqueue(session=session, recipient=person, kind=OutboxKind.CASE_CARD, now=now, case_id=case.id)


async def give_to(session: AsyncSession, case: Case, routing: Routing, now: datetime) -> CaseEvent:
    """Make the routing's owner the case's owner, record why, and send them the card."""
    case.owner_level = routing.level
    case.owner_id = routing.owner.id if routing.owner is not None else None
    await send_card(session, case, routing.owner, now)  # queued first: the line's flush writes both
    return await record_event(
        session,
        case,
        kind=EventKind.ROUTED,
        actor=None,
        now=now,
        reason=routing.reason,
        params={**routing.params, "owner": routing.owner.name if routing.owner else ""},
    )


async def load_case(session: AsyncSession, case_id: int) -> Case:
    """The case, locked for this transaction; an unknown id is refused like a forbidden one."""
    case = (await session.exec(select(Case).where(Case.id == case_id).with_for_update())).first()
    if case is None:
        raise Refused(NOT_ALLOWED)
    return case
