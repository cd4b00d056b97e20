"""The street property office decides an application, always with a note: approves the full
amount or a part of it, rejects it, or asks for more information.

Only a submitted application can be decided: a second tap on a decided one, or a stale button
of a withdrawn one, is refused and changes nothing. An approval above what is left of the fund
type's budget for the year is refused. A repair grant's linked cases get a "funded" line in
their timelines, and their reporters are told.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.assessment.access import check_office
from models.base import N_, id_of
from models.cases.tables import EventKind
from models.cases.timeline import record_event, tell_reporter
from models.directory.tables import Person
from models.fund.applications import NO_APPLICATION as NO_SUCH_APPLICATION
from models.fund.applications import add_event, cases_of, not_now
from models.fund.budgets import granted_fen, lock_budget
from models.fund.money import yuan_text
from models.fund.tables import (
    FUND_TYPE_NAMES,
    FundApplication,
    FundEventKind,
    FundStatus,
    FundType,
)
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue
from models.refusal import MessageId, Refused

OVER_BUDGET = N_(
    "Only {left} yuan is left of this year's {fund_type} budget; {amount} yuan cannot be approved."
)
PART_NOT_BELOW = N_("A partial approval must be less than the {amount} yuan asked for.")
NOTE_REQUIRED = N_("A decision needs a note.")
FUNDED_LINE = N_("Repairs paid for by the property management fund (application #{number}).")


class Decision(StrEnum):
    APPROVE = "approve"
    PARTLY = "partly"
    REJECT = "reject"
    ASK_MORE = "ask_more"


_OUTCOME: dict[Decision, tuple[FundStatus, FundEventKind]] = {
    Decision.APPROVE: (FundStatus.APPROVED, FundEventKind.APPROVED),
    Decision.PARTLY: (FundStatus.PARTLY_APPROVED, FundEventKind.PARTLY_APPROVED),
    Decision.REJECT: (FundStatus.REJECTED, FundEventKind.REJECTED),
    Decision.ASK_MORE: (FundStatus.NEEDS_INFO, FundEventKind.INFO_ASKED),
}


async def application_to_decide(
    *, session: AsyncSession, application_id: int, admin: Person | None, lock: bool = False
) -> FundApplication:
    """The submitted application ``admin``'s office may decide; refused otherwise."""
    query = select(FundApplication).where(FundApplication.id == application_id)
    application = (await session.exec(query.with_for_update() if lock else query)).first()
    if application is None or application.status == FundStatus.DRAFT:
        raise Refused(NO_SUCH_APPLICATION)
    await check_office(session=session, person=admin, street_id=application.street_id)
    if application.status != FundStatus.SUBMITTED:
        raise not_now(application)
    return application


async def _check_budget(
    session: AsyncSession,
    application: FundApplication,
    year: int,
    amount_fen: int,
    configured: Mapping[str, int],
) -> None:
    fund_type = FundType(application.fund_type)
    # Locked first: a concurrent approval of the same type waits here, then sees this one's grant.
    row = await lock_budget(session=session, street_id=application.street_id, year=year, fund_type=fund_type)
    budget = row.amount_fen if row.amount_fen is not None else configured.get(fund_type.value, 0)
    left = budget - await granted_fen(
        session=session, street_id=application.street_id, year=year, fund_type=fund_type
    )
    if amount_fen > left:
        raise Refused(
            OVER_BUDGET,
            left=yuan_text(max(left, 0)),
            fund_type=MessageId(FUND_TYPE_NAMES[fund_type]),
            amount=yuan_text(amount_fen),
        )


async def decide_application(
    *,
    session: AsyncSession,
    application_id: int,
    admin: Person,
    decision: Decision,
    note: str,
    now: datetime,
    tz: tzinfo,
    budgets: Mapping[str, int],
    part_fen: int | None = None,
) -> FundApplication:
    """Decide a submitted application with a note; the applicant is told, and for a granted
    repair grant the linked cases' reporters too."""
    if not note.strip():
        raise Refused(NOTE_REQUIRED)
    application = await application_to_decide(
        session=session, application_id=application_id, admin=admin, lock=True
    )
    year = now.astimezone(tz).year
    granted: int | None = None
    if decision == Decision.APPROVE:
        granted = application.amount_fen
    elif decision == Decision.PARTLY:
        if part_fen is None or part_fen >= application.amount_fen:
            raise Refused(PART_NOT_BELOW, amount=yuan_text(application.amount_fen))
        granted = part_fen
    if granted is not None:
        await _check_budget(session, application, year, granted, budgets)
    status, kind = _OUTCOME[decision]
    # Conditional: whatever the locks, only one decision moves a submitted application.
    moved = await session.exec(
        update(FundApplication)
        .where(col(FundApplication.id) == application.id)
        .where(col(FundApplication.status) == FundStatus.SUBMITTED)
        .values(status=status)
    )
    if moved.rowcount != 1:
        raise not_now(application)
    application.status = status
    if decision != Decision.ASK_MORE:
        application.approved_fen, application.year = granted, year
        application.decided_at, application.decided_by = now, admin.id
    session.add(application)
    event = await add_event(
        session, application, kind=kind, actor=admin, now=now, note=note, amount_fen=granted
    )
    applicant = await session.get(Person, application.applicant_id)
    if applicant is not None:
        await enqueue(
            session=session,
            recipient=applicant,
            kind=OutboxKind.FUND_DECIDED,
            now=now,
            application_id=application.id,
            event_id=event.id,
        )
    if granted is not None and application.fund_type == FundType.REPAIR:
        await _mark_cases_funded(session, application, admin, now)
    return application


async def _mark_cases_funded(
    session: AsyncSession, application: FundApplication, admin: Person, now: datetime
) -> None:
    """A "funded" line in each linked case's timeline (its status unchanged); the reporter is told."""
    for case in await cases_of(session=session, application_id=id_of(application)):
        event = await record_event(
            session,
            case,
            kind=EventKind.FUNDED,
            actor=None,
            now=now,
            params={"application": application.id},
        )
        await tell_reporter(session, case, event, now)
