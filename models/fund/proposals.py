"""Reward applications proposed from a quarter's red list, as drafts.

Once a quarter's assessment is final, the office can propose a reward for each enterprise on its
red list: a draft application in the name of the enterprise's (first) paired instructor, who
checks it (they are told), adds what it needs and submits it like any other. Each enterprise's reward for a
quarter is proposed once (``FundApplication.proposed_for``), however often the office asks.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.assessment.access import check_office
from models.assessment.lifecycle import assessment_view, latest_assessment
from models.assessment.scheme import AssessmentScheme
from models.assessment.tables import AssessmentStatus
from models.base import N_
from models.directory.tables import Person, Role, RoleKind
from models.fund.applications import add_event
from models.fund.tables import FundApplication, FundEventKind, FundStatus, FundType
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue
from models.periods import Quarter
from models.refusal import Refused

NOT_FINAL = N_("The assessment of {quarter} is not final yet: rewards are proposed from a final red list.")
PURPOSE = N_("Red list reward for {enterprise}, {quarter}")


def proposal_key(enterprise_id: int, quarter: Quarter) -> str:
    return f"red:{enterprise_id}:{quarter}"


async def propose_red_list_rewards(
    *,
    session: AsyncSession,
    admin: Person,
    street_id: int,
    quarter: Quarter,
    amount_fen: int,
    purpose: str,
    scheme: AssessmentScheme,
    tz: tzinfo,
    now: datetime,
) -> list[FundApplication]:
    """Draft a reward for each red-list enterprise of the final quarter not proposed yet; the
    drafts made now (none: all proposed already, or no instructor to propose to). ``purpose`` is
    :data:`PURPOSE` in the office's language, filled for each enterprise."""
    await check_office(session=session, person=admin, street_id=street_id)
    stored = await latest_assessment(session=session, street_id=street_id, quarter=quarter)
    if stored is None or stored.status != AssessmentStatus.FINALISED:
        raise Refused(NOT_FINAL, quarter=str(quarter))
    view, _stored = await assessment_view(
        session=session, street_id=street_id, quarter=quarter, scheme=scheme, tz=tz
    )
    drafts = []
    for score in (s for s in view.scores if s.red):
        key = proposal_key(score.enterprise_id, quarter)
        if (
            await session.exec(select(FundApplication.id).where(FundApplication.proposed_for == key))
        ).first():
            continue
        instructor = (
            await session.exec(
                select(Role)
                .where(Role.kind == RoleKind.INSTRUCTOR)
                .where(Role.enterprise_id == score.enterprise_id)
                .order_by(col(Role.id))
            )
        ).first()
        if instructor is None:
            continue
        application = FundApplication(
            street_id=street_id,
            applicant_id=instructor.person_id,
            fund_type=FundType.REWARD,
            amount_fen=amount_fen,
            purpose=purpose.format(enterprise=score.name, quarter=quarter),
            status=FundStatus.DRAFT,
            proposed_for=key,
            created_at=now,
        )
        session.add(application)
        await session.flush()
        event = await add_event(session, application, kind=FundEventKind.CREATED, actor=admin, now=now)
        applicant = await session.get(Person, instructor.person_id)
        if applicant is not None:  # the instructor is told, with the draft's buttons
            await enqueue(
                session=session,
                recipient=applicant,
                kind=OutboxKind.FUND_DECIDED,
                now=now,
                application_id=application.id,
                event_id=event.id,
            )
        drafts.append(application)
    return drafts
