"""A quarter's assessment from draft to final: publish, appeals, finalise, re-run, and the
three-quarter rule.

1. **Draft**: computed from the data at any time (:func:`assessment_view`), never stored.
2. **Publish**: once the quarter has ended, an office admin publishes it: a snapshot is kept
   and each enterprise's staff are told their score and how to appeal.
3. **Appeal**: an enterprise's staff may appeal within ``appeal_days`` of publication; the
   office upholds or rejects each appeal with a note (and may add a record).
4. **Finalise**: with no appeal open, the office finalises: the assessment is computed again
   and frozen. A later run is a new revision with a reason; both are kept.

On finalisation the three-quarter rule looks back over the finalised quarters with enough
data (a quarter without enough data neither counts nor breaks a run): one quarter short of
``failing_quarters`` under ``failing_below`` warns the enterprise's staff, its instructors and
its communities' owners' committees; at ``failing_quarters`` the office gets a dismissal
proposal to confirm or reject with a note.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.assessment.access import check_office, is_staff_of, office_admins
from models.assessment.compute import StreetAssessment, assess_street, from_snapshot, to_snapshot
from models.assessment.notices import note_once, notify_failing, notify_published
from models.assessment.scheme import AssessmentScheme
from models.assessment.tables import (
    Appeal,
    AppealStatus,
    Assessment,
    AssessmentStatus,
    NoticeKind,
)
from models.base import N_, id_of
from models.directory.tables import Person, Street
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue
from models.periods import Quarter
from models.refusal import Refused

QUARTER_NOT_OVER = N_("{quarter} is not over yet; it can be published once it has ended.")
ALREADY_PUBLISHED = N_("{quarter} is published already.")
NOT_PUBLISHED = N_("{quarter} has not been published yet.")
APPEALS_OPEN = N_("First decide the appeals still open: {count}.")
REASON_NEEDED = N_("{quarter} is final already; to run it again, give the reason.")
APPEAL_CLOSED = N_("Appeals against {quarter} closed on {day}.")
NOT_YOUR_ENTERPRISE = N_("Only the enterprise's own staff can appeal its assessment.")
NO_SUCH_APPEAL = N_("There is no such appeal waiting for a decision.")
NOT_ASSESSED = N_("This enterprise is not in the assessment of {quarter}.")


async def latest_assessment(*, session: AsyncSession, street_id: int, quarter: Quarter) -> Assessment | None:
    """The quarter's published or finalised assessment, its latest revision."""
    rows = await session.exec(
        select(Assessment)
        .where(Assessment.street_id == street_id)
        .where(Assessment.quarter == str(quarter))
        .order_by(col(Assessment.revision).desc())
        .limit(1)
    )
    return rows.first()


async def quarter_in_view(*, session: AsyncSession, street_id: int, now: datetime, tz: tzinfo) -> Quarter:
    """The quarter people mean when they name none: the one just ended until it is final, then
    the current one."""
    current = Quarter.of(now, tz)
    stored = await latest_assessment(session=session, street_id=street_id, quarter=current.previous)
    return current if stored is not None and stored.status == AssessmentStatus.FINALISED else current.previous


async def assessment_view(
    *, session: AsyncSession, street_id: int, quarter: Quarter, scheme: AssessmentScheme, tz: tzinfo
) -> tuple[StreetAssessment, Assessment | None]:
    """What the quarter's assessment says now: the finalised snapshot if there is one, else a
    draft computed from the data (the published row, if any, comes along)."""
    stored = await latest_assessment(session=session, street_id=street_id, quarter=quarter)
    if stored is not None and stored.status == AssessmentStatus.FINALISED:
        return from_snapshot(stored.snapshot), stored
    draft = await assess_street(session=session, street_id=street_id, quarter=quarter, scheme=scheme, tz=tz)
    return draft, stored


async def publish_assessment(
    *,
    session: AsyncSession,
    street_id: int,
    quarter: Quarter,
    admin: Person,
    scheme: AssessmentScheme,
    tz: tzinfo,
    now: datetime,
) -> Assessment:
    """Publish the ended quarter: keep what it says now and tell each enterprise's staff."""
    await check_office(session=session, person=admin, street_id=street_id)
    if now < quarter.bounds(tz)[1]:
        raise Refused(QUARTER_NOT_OVER, quarter=str(quarter))
    if await latest_assessment(session=session, street_id=street_id, quarter=quarter) is not None:
        raise Refused(ALREADY_PUBLISHED, quarter=str(quarter))
    computed = await assess_street(
        session=session, street_id=street_id, quarter=quarter, scheme=scheme, tz=tz
    )
    stored = Assessment(
        street_id=street_id,
        quarter=str(quarter),
        revision=1,
        status=AssessmentStatus.PUBLISHED,
        scheme_version=scheme.version,
        snapshot=to_snapshot(computed, scheme),
        published_at=now,
        published_by=admin.id,
    )
    session.add(stored)
    await session.flush()
    await notify_published(session=session, assessment=stored, scores=computed.scores, now=now)
    return stored


def appeal_deadline(assessment: Assessment, scheme: AssessmentScheme) -> datetime:
    return assessment.published_at + timedelta(days=scheme.appeal_days)


async def appealable(
    *,
    session: AsyncSession,
    assessment_id: int,
    enterprise_id: int,
    appellant: Person,
    scheme: AssessmentScheme,
    tz: tzinfo,
    now: datetime,
) -> Assessment:
    """The published assessment ``appellant`` may appeal now for the enterprise; refused otherwise."""
    assessment = await session.get(Assessment, assessment_id)
    if assessment is None or not await is_staff_of(
        session=session, person=appellant, enterprise_id=enterprise_id
    ):
        raise Refused(NOT_YOUR_ENTERPRISE)
    quarter = assessment.quarter
    if assessment.status != AssessmentStatus.PUBLISHED or now > appeal_deadline(assessment, scheme):
        day = appeal_deadline(assessment, scheme).astimezone(tz).date().isoformat()
        raise Refused(APPEAL_CLOSED, quarter=quarter, day=day)
    if from_snapshot(assessment.snapshot).of(enterprise_id) is None:
        raise Refused(NOT_ASSESSED, quarter=quarter)
    return assessment


async def appeal_assessment(
    *,
    session: AsyncSession,
    assessment_id: int,
    enterprise_id: int,
    appellant: Person,
    text: str,
    photo_file_id: str | None,
    scheme: AssessmentScheme,
    tz: tzinfo,
    now: datetime,
) -> Appeal:
    """An enterprise's staff appeal its published assessment, within the window; the office is told."""
    assessment = await appealable(
        session=session,
        assessment_id=assessment_id,
        enterprise_id=enterprise_id,
        appellant=appellant,
        scheme=scheme,
        tz=tz,
        now=now,
    )
    appeal = Appeal(
        assessment_id=assessment_id,
        enterprise_id=enterprise_id,
        appellant_id=id_of(appellant),
        text=text,
        photo_file_id=photo_file_id,
        created_at=now,
        status=AppealStatus.PENDING,
    )
    session.add(appeal)
    await session.flush()
    for admin in await office_admins(session, assessment.street_id):
        await enqueue(
            session=session, recipient=admin, kind=OutboxKind.APPEAL_RECEIVED, now=now, appeal_id=appeal.id
        )
    return appeal


async def pending_appeal(
    *, session: AsyncSession, appeal_id: int, admin: Person, lock: bool = False
) -> Appeal:
    """The appeal waiting for a decision that ``admin``'s office may take; refused otherwise."""
    query = select(Appeal).where(Appeal.id == appeal_id)
    appeal = (await session.exec(query.with_for_update() if lock else query)).first()
    assessment = await session.get(Assessment, appeal.assessment_id) if appeal is not None else None
    if appeal is None or assessment is None:
        raise Refused(NO_SUCH_APPEAL)
    await check_office(session=session, person=admin, street_id=assessment.street_id)
    if appeal.status != AppealStatus.PENDING:
        raise Refused(NO_SUCH_APPEAL)
    return appeal


async def decide_appeal(
    *, session: AsyncSession, appeal_id: int, admin: Person, uphold: bool, note: str, now: datetime
) -> Appeal:
    """The office upholds or rejects an appeal, with a note; the appellant is told."""
    appeal = await pending_appeal(session=session, appeal_id=appeal_id, admin=admin, lock=True)
    appeal.status = AppealStatus.UPHELD if uphold else AppealStatus.REJECTED
    appeal.decided_by, appeal.decided_at, appeal.decision_note = admin.id, now, note
    session.add(appeal)
    appellant = await session.get(Person, appeal.appellant_id)
    if appellant is not None:
        await enqueue(
            session=session, recipient=appellant, kind=OutboxKind.APPEAL_DECIDED, now=now, appeal_id=appeal.id
        )
    await session.flush()
    return appeal


async def open_appeals(*, session: AsyncSession, assessment_id: int) -> list[Appeal]:
    rows = await session.exec(
        select(Appeal)
        .where(Appeal.assessment_id == assessment_id)
        .where(Appeal.status == AppealStatus.PENDING)
        .order_by(col(Appeal.id))
    )
    return list(rows)


async def finalise_assessment(
    *,
    session: AsyncSession,
    street_id: int,
    quarter: Quarter,
    admin: Person,
    scheme: AssessmentScheme,
    tz: tzinfo,
    now: datetime,
    reason: str | None = None,
) -> Assessment:
    """Freeze the quarter (or, with a reason, add a new revision of a final one), then apply the
    three-quarter rule."""
    await check_office(session=session, person=admin, street_id=street_id)
    stored = await latest_assessment(session=session, street_id=street_id, quarter=quarter)
    if stored is None:
        raise Refused(NOT_PUBLISHED, quarter=str(quarter))
    pending = await open_appeals(session=session, assessment_id=id_of(stored))
    if pending:
        raise Refused(APPEALS_OPEN, count=len(pending))
    computed = await assess_street(
        session=session, street_id=street_id, quarter=quarter, scheme=scheme, tz=tz
    )
    if stored.status == AssessmentStatus.FINALISED:
        if not (reason or "").strip():
            raise Refused(REASON_NEEDED, quarter=str(quarter))
        stored = Assessment(
            street_id=street_id,
            quarter=str(quarter),
            revision=stored.revision + 1,
            status=AssessmentStatus.FINALISED,
            scheme_version=scheme.version,
            snapshot="",
            reason=reason,
            published_at=stored.published_at,
            published_by=stored.published_by,
        )
    stored.status = AssessmentStatus.FINALISED
    stored.scheme_version = scheme.version
    stored.snapshot = to_snapshot(computed, scheme)
    stored.finalised_at, stored.finalised_by = now, admin.id
    session.add(stored)
    await session.flush()
    await apply_three_quarter_rule(
        session=session, street_id=street_id, final=computed, scheme=scheme, now=now
    )
    return stored


async def finalised_history(
    *, session: AsyncSession, street_id: int, up_to: Quarter
) -> list[StreetAssessment]:
    """The street's finalised quarters up to ``up_to``, newest first, each as its latest revision."""
    rows = await session.exec(
        select(Assessment)
        .where(Assessment.street_id == street_id)
        .where(Assessment.status == AssessmentStatus.FINALISED)
        .where(col(Assessment.quarter) <= str(up_to))
        .order_by(col(Assessment.quarter).desc(), col(Assessment.revision).desc())
    )
    latest: dict[str, Assessment] = {}
    for row in rows:
        latest.setdefault(row.quarter, row)
    return [from_snapshot(row.snapshot) for row in latest.values()]


def failing_run(history: list[StreetAssessment], enterprise_id: int, scheme: AssessmentScheme) -> list[str]:
    """The quarters of the enterprise's current run under the line, newest first (quarters
    without enough data are skipped; a passing one ends the run)."""
    run: list[str] = []
    for assessment in history:
        score = assessment.of(enterprise_id)
        if score is None or score.insufficient:
            continue
        if score.score >= scheme.failing_below:
            break
        run.append(assessment.quarter)
    return run


async def apply_three_quarter_rule(
    *, session: AsyncSession, street_id: int, final: StreetAssessment, scheme: AssessmentScheme, now: datetime
) -> None:
    """Warn, or propose a dismissal, for each enterprise whose run of failing quarters is long enough."""
    history = await finalised_history(
        session=session, street_id=street_id, up_to=Quarter.parse(final.quarter)
    )
    for score in final.scores:
        if score.insufficient or score.score >= scheme.failing_below:
            continue
        run = failing_run(history, score.enterprise_id, scheme)
        if len(run) >= scheme.failing_quarters - 1:
            await notify_failing(
                session=session,
                street_id=street_id,
                enterprise_id=score.enterprise_id,
                run=run,
                scheme=scheme,
                now=now,
            )


async def due_publish_reminders(
    *, session: AsyncSession, scheme: AssessmentScheme, tz: tzinfo, now: datetime
) -> int:
    """Remind each street's office, once, of a quarter ended ``publish_reminder_days`` ago and
    not published yet; returns how many streets were reminded."""
    quarter = Quarter.of(now, tz).previous
    if now < quarter.bounds(tz)[1] + timedelta(days=scheme.publish_reminder_days):
        return 0
    reminded = 0
    for street in await session.exec(select(Street).order_by(col(Street.id))):
        street_id = id_of(street)
        if await latest_assessment(session=session, street_id=street_id, quarter=quarter) is not None:
            continue
        if not await note_once(session, street_id, str(quarter), NoticeKind.PUBLISH_REMINDER, 0, now):
            continue
        for admin in await office_admins(session, street_id):
            await enqueue(
                session=session,
                recipient=admin,
                kind=OutboxKind.PUBLISH_REMINDER,
                now=now,
                street_id=street_id,
                quarter=str(quarter),
            )
        reminded += 1
    return reminded
