"""A case's timeline and status moves: the steps every case operation is built from.

Each helper works in the caller's one transaction: it changes the case only as the status
machine (:data:`models.cases.tables.TRANSITIONS`) allows, writes the timeline line and queues the
notifications. A refusal raises :class:`CaseActionRefused` and changes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, id_of
from models.cases.routing import Routing
from models.cases.tables import TRANSITIONS, Case, CaseEvent, CaseStatus, EventKind
from models.directory.tables import Person
from models.outbox.queue import enqueue

# Outbox kinds; the sender renders each (see handlers/outgoing.py).
CARD = "case.card"  # a case card with the actions its recipient may take
STATUS = "case.status"  # a timeline event told to the reporter
WORK_DONE = "case.work_done"  # the enterprise says it is done: the owner is asked to confirm

NOT_ALLOWED = N_("You cannot do this with this case.")
WRONG_STATUS = N_("This case is {status} now, so this cannot be done any more.")


class CaseActionRefused(Exception):
    """The action is not allowed; ``message`` is an N_ message id, ``params`` fill it."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


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
        raise CaseActionRefused(WRONG_STATUS, status=CaseStatus(case.status).value)
    case.status = to
    return await record_event(session, case, kind=kind, actor=actor, now=now, text=text, params=params)


async def tell_reporter(session: AsyncSession, case: Case, event: CaseEvent, now: datetime) -> None:
    """Queue the timeline line ``event`` for the case's reporter."""
    reporter = await session.get(Person, case.reporter_id)
    if reporter is not None:
        await enqueue(
            session=session, recipient=reporter, kind=STATUS, now=now, case_id=case.id, event_id=event.id
        )


async def give_to(session: AsyncSession, case: Case, routing: Routing, now: datetime) -> CaseEvent:
    """Make the routing's owner the case's owner, record why, and send them the card."""
    case.owner_level = routing.level
    case.owner_id = routing.owner.id if routing.owner is not None else None
    if routing.owner is not None:  # queued first, so the timeline line's flush writes it too
        await enqueue(session=session, recipient=routing.owner, kind=CARD, now=now, case_id=case.id)
    return await record_event(
        session,
        case,
        kind=EventKind.ROUTED,
        actor=None,
        now=now,
        reason=routing.reason,
        params={**routing.params, "owner": routing.owner.name if routing.owner else ""},
    )


async def assign_case(session: AsyncSession, case: Case, routing: Routing, now: datetime) -> CaseEvent:
    """Move the case to "assigned" and give it to the routing's owner."""
    if CaseStatus.ASSIGNED not in TRANSITIONS[case.status]:
        raise CaseActionRefused(WRONG_STATUS, status=CaseStatus(case.status).value)
    case.status = CaseStatus.ASSIGNED
    return await give_to(session, case, routing, now)


async def load_case(session: AsyncSession, case_id: int) -> Case:
    """The case, locked for this transaction; an unknown id is refused like a forbidden one."""
    case = (await session.exec(select(Case).where(Case.id == case_id).with_for_update())).first()
    if case is None:
        raise CaseActionRefused(NOT_ALLOWED)
    return case
