"""The escalation job: reminders and escalations that fell due, each handled exactly once.

The due cases come from the index on ``case.escalation_due_at`` (never a scan of the open
cases). Each case's progress is written with a conditional UPDATE on the stage it was read at,
and each level with one on the level it had: a second process, or the same one after a
restart, finds nothing left to do.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import id_of
from models.cases.tables import Case, EventKind
from models.cases.timeline import owner_of, record_event
from models.escalation.levels import escalate
from models.escalation.rules import EscalationRules, Level, Stage, deadline_of, next_stage
from models.escalation.tables import CaseEscalation
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue


async def due_case_ids(*, session: AsyncSession, now: datetime, limit: int) -> list[int]:
    """The ids of the cases with a stage due, earliest first: a range of the escalation index."""
    query = (
        select(col(Case.id))
        .where(col(Case.escalation_due_at) <= now)
        .order_by(col(Case.escalation_due_at))
        .limit(limit)
    )
    return [case_id for case_id in await session.exec(query) if case_id is not None]


async def _advance(session: AsyncSession, case: Case, stage: int, due_at: datetime | None) -> bool:
    """Move the case's progress from the stage it was read at; False if someone else did first."""
    result = await session.exec(
        update(Case)
        .where(col(Case.id) == case.id)
        .where(col(Case.escalation_stage) == case.escalation_stage)
        .values(escalation_stage=stage, escalation_due_at=due_at)
    )
    if not isinstance(result, CursorResult) or result.rowcount != 1:
        return False
    set_committed_value(case, "escalation_stage", stage)
    set_committed_value(case, "escalation_due_at", due_at)
    return True


async def _remind(
    session: AsyncSession, case: Case, stage: Stage, rules: EscalationRules, now: datetime
) -> None:
    session.add(
        CaseEscalation(
            case_id=id_of(case),
            stage=stage.number,
            deadline_at=deadline_of(case, stage.deadline),
            level=Level.REMINDER,
            cause=stage.deadline,
            at=now,
        )
    )
    event = await record_event(
        session, case, kind=EventKind.REMINDED, actor=None, now=now, params={"deadline": stage.deadline.value}
    )
    owner = await owner_of(session, case)
    if owner is not None:
        await enqueue(
            session=session,
            recipient=owner,
            kind=OutboxKind.CASE_REMINDER,
            now=now,
            case_id=case.id,
            not_before=rules.send_at(case, now),
            event_id=event.id,
        )


async def check_case(*, session: AsyncSession, case_id: int, rules: EscalationRules, now: datetime) -> int:
    """Handle the stages of one case that are due; the number handled (0: none, or taken already)."""
    case = (await session.exec(select(Case).where(Case.id == case_id).with_for_update())).first()
    if case is None or case.escalation_due_at is None or case.escalation_due_at > now:
        return 0
    stages, last, due_at = next_stage(case, rules, now)
    if not await _advance(session, case, last, due_at):
        return 0
    for stage in stages:
        if stage.level == Level.REMINDER:
            await _remind(session, case, stage, rules, now)
        else:
            await escalate(
                session=session,
                case=case,
                level=stage.level,
                stage=stage.number,
                cause=stage.deadline,
                rules=rules,
                now=now,
            )
    return len(stages)


async def run_escalations(
    *, session: AsyncSession, rules: EscalationRules, now: datetime, limit: int
) -> list[int]:
    """Handle up to ``limit`` due cases in this transaction; the ids of the cases looked at."""
    ids = await due_case_ids(session=session, now=now, limit=limit)
    for case_id in ids:
        await check_case(session=session, case_id=case_id, rules=rules, now=now)
    return ids


def watch_again(case: Case, now: datetime) -> None:
    """Have the job look at the case on its next run (a deadline moved, the case reopened)."""
    case.escalation_due_at = now
