"""After a resolution: the resident reopens the case, or it closes.

A reopened case goes back to the owner who resolved it; the second reopen of a case an
instructor owns sends it up to the community party committee, and escalates it to level 2
through models/escalation like a missed deadline. Both moves go through the
status machine and write the timeline, in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_
from models.cases.routing import route_up
from models.cases.tables import Case, CaseStatus, EventKind, OwnerLevel
from models.cases.timeline import give_to, load_case, move_case, owner_of, send_card
from models.directory.tables import Community, Person
from models.escalation.levels import escalate
from models.escalation.rules import REOPEN_STAGE, EscalationRules, Level
from models.refusal import Refused

NOT_REPORTER = N_("Only the resident who reported the case can reopen it.")

# From the second reopen on, an instructor's case goes up a level.
ESCALATE_AFTER = 2


async def reopen_case(*, session: AsyncSession, case_id: int, reporter: Person, now: datetime) -> Case:
    """The reporter says the problem is not solved: reopen it with its owner (or one level up)."""
    case = await load_case(session, case_id)
    if case.reporter_id != reporter.id:
        raise Refused(NOT_REPORTER)
    case.reopen_count += 1
    case.work_done_at = None
    case.escalation_due_at = now  # the escalation job watches its deadlines again
    await move_case(session, case, to=CaseStatus.REOPENED, kind=EventKind.REOPENED, actor=reporter, now=now)
    if case.reopen_count >= ESCALATE_AFTER:
        if case.owner_level == OwnerLevel.INSTRUCTOR:
            community = await session.get(Community, case.community_id)
            assert community is not None
            routing = await route_up(session=session, community=community, level=case.owner_level)
            await give_to(session, case, routing, now)
        # The committee oversees it like a missed deadline: the same level, reached once. The
        # resident is answering a survey just now, so no quiet hours apply.
        await escalate(
            session=session,
            case=case,
            level=Level.COMMITTEE,
            stage=REOPEN_STAGE,
            cause="reopened",
            rules=EscalationRules(),
            now=now,
        )
        return case
    await send_card(session, case, await owner_of(session, case), now)
    return case


async def close_case(*, session: AsyncSession, case_id: int, actor: Person | None, now: datetime) -> Case:
    """Close a resolved case (the resident confirmed it, or never answered); refused otherwise."""
    case = await load_case(session, case_id)
    await move_case(session, case, to=CaseStatus.CLOSED, kind=EventKind.CLOSED, actor=actor, now=now)
    case.closed_at = now
    session.add(case)
    return case
