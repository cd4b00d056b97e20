"""Who is told what when an assessment is published, and when the three-quarter rule fires:
the warning, the dismissal proposal, and the office's decision on it.

Each notice is queued in the outbox in the caller's transaction; a warning is noted per street,
quarter and enterprise, and a proposal is unique per enterprise and quarter, so two processes
or a re-run never send one twice. Nothing leaves the bot: the bad-credit report goes to the
street office as a file in the chat, for it to pass on.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.assessment.access import check_office, office_admins
from models.assessment.scheme import AssessmentScheme
from models.assessment.scoring import EnterpriseScore
from models.assessment.tables import (
    Assessment,
    AssessmentNotice,
    DismissalProposal,
    NoticeKind,
    ProposalStatus,
)
from models.base import N_
from models.directory.tables import Community, Person, Role, RoleKind
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue
from models.refusal import Refused

NO_SUCH_PROPOSAL = N_("There is no such dismissal proposal waiting for a decision.")


async def note_once(
    session: AsyncSession, street_id: int, quarter: str, kind: NoticeKind, enterprise_id: int, now: datetime
) -> bool:
    """Note that a notice goes out; False if it went out before (so it is not sent twice)."""
    found = await session.exec(
        select(col(AssessmentNotice.id))
        .where(AssessmentNotice.street_id == street_id)
        .where(AssessmentNotice.quarter == quarter)
        .where(AssessmentNotice.kind == kind)
        .where(AssessmentNotice.enterprise_id == enterprise_id)
    )
    if found.first() is not None:
        return False
    session.add(
        AssessmentNotice(
            street_id=street_id, quarter=quarter, kind=kind, enterprise_id=enterprise_id, sent_at=now
        )
    )
    await session.flush()
    return True


async def people_around(session: AsyncSession, enterprise_id: int, *kinds: RoleKind) -> list[Person]:
    """The people holding ``kinds`` of roles for the enterprise: its staff and instructors, and the
    party and owners' committees of the communities it manages; each once, in the order of ids."""
    communities = select(col(Community.id)).where(col(Community.enterprise_id) == enterprise_id)
    by_enterprise = (col(Role.enterprise_id) == enterprise_id) & col(Role.kind).in_(
        [k for k in kinds if k in (RoleKind.ENTERPRISE_STAFF, RoleKind.INSTRUCTOR)]
    )
    by_community = col(Role.community_id).in_(communities) & col(Role.kind).in_(
        [k for k in kinds if k in (RoleKind.PARTY_COMMITTEE, RoleKind.OWNERS_COMMITTEE)]
    )
    rows = await session.exec(
        select(Person)
        .join(Role, col(Role.person_id) == col(Person.id))
        .where(by_enterprise | by_community)
        .order_by(col(Person.id))
    )
    return list({person.id: person for person in rows}.values())


async def notify_published(
    *, session: AsyncSession, assessment: Assessment, scores: list[EnterpriseScore], now: datetime
) -> None:
    """Each assessed enterprise's staff: their score, and the way to appeal."""
    for score in scores:
        for person in await people_around(session, score.enterprise_id, RoleKind.ENTERPRISE_STAFF):
            await enqueue(
                session=session,
                recipient=person,
                kind=OutboxKind.ASSESSMENT_PUBLISHED,
                now=now,
                assessment_id=assessment.id,
                enterprise_id=score.enterprise_id,
            )


async def notify_failing(
    *,
    session: AsyncSession,
    street_id: int,
    enterprise_id: int,
    run: list[str],
    scheme: AssessmentScheme,
    now: datetime,
) -> None:
    """One quarter short: warn the enterprise's staff, instructors and owners' committees. At the
    rule's count: a dismissal proposal for the office to decide."""
    quarter = run[0]
    quarters = ",".join(reversed(run))
    if len(run) < scheme.failing_quarters:
        if not await note_once(session, street_id, quarter, NoticeKind.WARNING, enterprise_id, now):
            return
        kinds = (RoleKind.ENTERPRISE_STAFF, RoleKind.INSTRUCTOR, RoleKind.OWNERS_COMMITTEE)
        for person in await people_around(session, enterprise_id, *kinds):
            await enqueue(
                session=session,
                recipient=person,
                kind=OutboxKind.FAILING_WARNING,
                now=now,
                enterprise_id=enterprise_id,
                street_id=street_id,
                quarters=quarters,
                line=str(scheme.failing_below),
            )
        return
    exists = await session.exec(
        select(col(DismissalProposal.id))
        .where(DismissalProposal.enterprise_id == enterprise_id)
        .where(DismissalProposal.quarter == quarter)
    )
    if exists.first() is not None:
        return
    proposal = DismissalProposal(
        street_id=street_id,
        enterprise_id=enterprise_id,
        quarter=quarter,
        quarters=",".join(reversed(run[: scheme.failing_quarters])),
        status=ProposalStatus.PENDING,
        created_at=now,
    )
    session.add(proposal)
    await session.flush()
    for admin in await office_admins(session, street_id):
        await enqueue(
            session=session,
            recipient=admin,
            kind=OutboxKind.DISMISSAL_PROPOSED,
            now=now,
            proposal_id=proposal.id,
        )


async def pending_proposal(
    *, session: AsyncSession, proposal_id: int, admin: Person, lock: bool = False
) -> DismissalProposal:
    """The dismissal proposal waiting for a decision that ``admin``'s office may take; refused otherwise."""
    query = select(DismissalProposal).where(DismissalProposal.id == proposal_id)
    proposal = (await session.exec(query.with_for_update() if lock else query)).first()
    if proposal is None:
        raise Refused(NO_SUCH_PROPOSAL)
    await check_office(session=session, person=admin, street_id=proposal.street_id)
    if proposal.status != ProposalStatus.PENDING:
        raise Refused(NO_SUCH_PROPOSAL)
    return proposal


async def open_proposals(*, session: AsyncSession, street_id: int, quarter: str) -> list[DismissalProposal]:
    """The street's dismissal proposals of the quarter still waiting for a decision."""
    rows = await session.exec(
        select(DismissalProposal)
        .where(DismissalProposal.street_id == street_id)
        .where(DismissalProposal.quarter == quarter)
        .where(DismissalProposal.status == ProposalStatus.PENDING)
        .order_by(col(DismissalProposal.id))
    )
    return list(rows)


async def decide_dismissal(
    *, session: AsyncSession, proposal_id: int, admin: Person, confirm: bool, note: str, now: datetime
) -> DismissalProposal:
    """The office confirms or rejects a dismissal proposal, with a note. Confirmed: the enterprise's
    staff, instructors, party committees and owners' committees are told, and the office gets
    the bad-credit report."""
    proposal = await pending_proposal(session=session, proposal_id=proposal_id, admin=admin, lock=True)
    proposal.status = ProposalStatus.CONFIRMED if confirm else ProposalStatus.REJECTED
    proposal.decided_by, proposal.decided_at, proposal.note = admin.id, now, note
    session.add(proposal)
    await session.flush()
    if not confirm:
        return proposal
    kinds = (
        RoleKind.ENTERPRISE_STAFF,
        RoleKind.INSTRUCTOR,
        RoleKind.PARTY_COMMITTEE,
        RoleKind.OWNERS_COMMITTEE,
    )
    told = await people_around(session, proposal.enterprise_id, *kinds)
    told += [admin for admin in await office_admins(session, proposal.street_id) if admin not in told]
    for person in told:
        await enqueue(
            session=session,
            recipient=person,
            kind=OutboxKind.DISMISSAL_CONFIRMED,
            now=now,
            proposal_id=proposal.id,
        )
    return proposal
