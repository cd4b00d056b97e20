"""Satisfaction surveys: one per resolution of a case, asked of its reporter after a delay.

The due times live in the ``survey`` table. Periodic jobs call :func:`due_surveys`,
:func:`due_reminders` and :func:`expire_surveys`; each claims its rows and queues the outbox
messages in the caller's one transaction, so a restart neither loses nor duplicates a survey,
and surveys that fell due while the bot was down go out when it is back. Nothing is sent in
quiet hours: the outbox row waits (``not_before``) for the morning. The answers are taken in
``models/surveys/answers.py``; the numbers they feed are in ``models/surveys/stats.py``.

A resolution and its survey go together: :func:`resolve_and_schedule_survey` is the one call
that resolves a case, and schedules its survey after the category's delay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.base import id_of
from models.cases.actions import resolve_case
from models.cases.categories import for_category
from models.cases.reopening import close_case
from models.cases.tables import Case, CaseEvent, CaseStatus, EventKind, OwnerLevel
from models.directory.tables import Community, Person, Role, RoleKind
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage, enqueue
from models.surveys.tables import Survey, SurveyStatus


@dataclass(frozen=True)
class QuietHours:
    """No survey message goes out between ``start`` and ``end`` local time (may wrap midnight)."""

    start: time
    end: time
    tz: tzinfo

    def next_allowed(self, moment: datetime) -> datetime:
        return next_allowed_time(moment, self.start, self.end, self.tz)


def next_allowed_time(moment: datetime, quiet_start: time, quiet_end: time, tz: tzinfo) -> datetime:
    """``moment`` if it is outside the quiet hours, else the end of the quiet hours (in UTC)."""
    if quiet_start == quiet_end:
        return moment
    local = moment.astimezone(tz)
    now = local.time().replace(tzinfo=None)
    end_day: date | None = None
    if quiet_start < quiet_end:
        if quiet_start <= now < quiet_end:
            end_day = local.date()
    elif now >= quiet_start:  # 21:00–08:00: the evening part ends tomorrow morning
        end_day = local.date() + timedelta(days=1)
    elif now < quiet_end:
        end_day = local.date()
    if end_day is None:
        return moment
    return datetime.combine(end_day, quiet_end, tzinfo=tz).astimezone(UTC)


async def resolutions(*, session: AsyncSession, case_id: int) -> int:
    """How many times the case has been resolved: the round of its latest survey."""
    count = await session.exec(
        select(func.count(col(CaseEvent.id)))
        .where(CaseEvent.case_id == case_id)
        .where(CaseEvent.kind == EventKind.RESOLVED)
    )
    return int(count.one())


async def _handles_area(session: AsyncSession, person_id: int, case: Case, street_id: int) -> bool:
    """Whether the person is one of those who handle cases where ``case`` was reported."""
    if person_id == case.owner_id:
        return True
    enterprises = {case.enterprise_id, case.forwarded_enterprise_id} - {None}
    for role in await session.exec(select(Role).where(Role.person_id == person_id)):
        if (
            role.kind in (RoleKind.INSTRUCTOR, RoleKind.ENTERPRISE_STAFF)
            and role.enterprise_id in enterprises
        ):
            return True
        if role.kind == RoleKind.PARTY_COMMITTEE and role.community_id == case.community_id:
            return True
        if role.kind == RoleKind.OFFICE_ADMIN and role.street_id == street_id:
            return True
    return False


async def schedule_survey(*, session: AsyncSession, case: Case, delay: timedelta, now: datetime) -> Survey:
    """Schedule the survey of the case's latest resolution; scheduling it again returns the same one."""
    round_ = await resolutions(session=session, case_id=id_of(case))
    if round_ == 0 or case.status != CaseStatus.RESOLVED:
        raise ValueError(f"case {case.id} is not resolved: no survey to schedule")
    existing = (
        await session.exec(select(Survey).where(Survey.case_id == case.id).where(Survey.round == round_))
    ).first()
    if existing is not None:
        return existing
    community = await session.get(Community, case.community_id)
    assert community is not None
    survey = Survey(
        case_id=id_of(case),
        round=round_,
        reporter_id=case.reporter_id,
        enterprise_id=case.enterprise_id,
        community_id=case.community_id,
        street_id=community.street_id,
        duty=case.duty,
        category=case.category,
        instructor_id=case.owner_id if case.owner_level == OwnerLevel.INSTRUCTOR else None,
        excluded_from_numbers=await _handles_area(session, case.reporter_id, case, community.street_id),
        status=SurveyStatus.SCHEDULED,
        due_at=now + delay,
    )
    session.add(survey)
    await session.flush()
    return survey


async def resolve_and_schedule_survey(
    *,
    session: AsyncSession,
    case_id: int,
    actor: Person,
    note: str,
    photo_file_ids: list[str],
    now: datetime,
    delays: Mapping[str, timedelta],
) -> Case:
    """Resolve the case and schedule its reporter's survey after the category's delay in ``delays``
    (per report category, with a ``default``)."""
    case = await resolve_case(
        session=session, case_id=case_id, actor=actor, note=note, photo_file_ids=photo_file_ids, now=now
    )
    await schedule_survey(session=session, case=case, delay=for_category(delays, case.category), now=now)
    return case


async def close_if_current(
    *, session: AsyncSession, survey: Survey, actor: Person | None, now: datetime
) -> None:
    """Close the survey's case if it is still resolved by the resolution this survey is about."""
    case = await session.get(Case, survey.case_id)
    if case is None or case.status != CaseStatus.RESOLVED:
        return
    if await resolutions(session=session, case_id=survey.case_id) != survey.round:
        return
    await close_case(session=session, case_id=survey.case_id, actor=actor, now=now)


async def _claim(session: AsyncSession, query: SelectOfScalar[Survey], limit: int) -> list[Survey]:
    """Lock up to ``limit`` rows of ``query``, skipping those another job has claimed."""
    return list(await session.exec(query.limit(limit).with_for_update(skip_locked=True)))


async def _send(
    session: AsyncSession, survey: Survey, reporter: Person, kind: OutboxKind, *, now: datetime, at: datetime
) -> OutboxMessage | None:
    """Queue the survey's ``kind`` message for its reporter, to go out at ``at``."""
    return await enqueue(
        session=session,
        recipient=reporter,
        kind=kind,
        now=now,
        case_id=survey.case_id,
        not_before=at,
        survey_id=id_of(survey),
    )


async def _expire(session: AsyncSession, survey: Survey, now: datetime) -> None:
    """Close the survey unanswered; its case closes if this survey is about its latest resolution."""
    survey.status = SurveyStatus.EXPIRED
    survey.expired_at = now
    session.add(survey)
    await close_if_current(session=session, survey=survey, actor=None, now=now)


async def due_surveys(
    *, session: AsyncSession, now: datetime, limit: int, quiet: QuietHours | None = None
) -> list[Survey]:
    """Send the surveys that are due: each is marked sent and its question queued, once."""
    query = (
        select(Survey)
        .where(Survey.status == SurveyStatus.SCHEDULED)
        .where(col(Survey.due_at) <= now)
        .order_by(col(Survey.due_at), col(Survey.id))
    )
    claimed = await _claim(session, query, limit)
    send_at = quiet.next_allowed(now) if quiet is not None else now
    for survey in claimed:
        case = await session.get(Case, survey.case_id)
        reporter = await session.get(Person, survey.reporter_id)
        message = None
        if case is not None and case.status == CaseStatus.RESOLVED and reporter is not None:
            message = await _send(session, survey, reporter, OutboxKind.SURVEY_ASK, now=now, at=send_at)
        if message is None:
            # Nobody to ask (no Telegram account, blocked the bot): as if never answered.
            await _expire(session, survey, now)
            continue
        survey.status = SurveyStatus.SENT
        survey.sent_at = send_at
        session.add(survey)
    await session.flush()
    return claimed


async def due_reminders(
    *,
    session: AsyncSession,
    now: datetime,
    reminder_after: timedelta,
    limit: int,
    quiet: QuietHours | None = None,
) -> list[Survey]:
    """Remind, once, the reporters who have not started answering ``reminder_after`` since it went out."""
    query = (
        select(Survey)
        .where(Survey.status == SurveyStatus.SENT)
        .where(col(Survey.answered_at).is_(None))
        .where(col(Survey.sent_at) <= now - reminder_after)
        .order_by(col(Survey.sent_at), col(Survey.id))
    )
    claimed = await _claim(session, query, limit)
    send_at = quiet.next_allowed(now) if quiet is not None else now
    for survey in claimed:
        reporter = await session.get(Person, survey.reporter_id)
        if reporter is not None:
            await _send(session, survey, reporter, OutboxKind.SURVEY_REMIND, now=now, at=send_at)
        survey.status = SurveyStatus.REMINDED
        survey.reminded_at = send_at
        session.add(survey)
    await session.flush()
    return claimed


async def expire_surveys(
    *, session: AsyncSession, now: datetime, expire_after: timedelta, limit: int
) -> list[Survey]:
    """Close the surveys left unfinished ``expire_after`` since they went out; their cases close."""
    query = (
        select(Survey)
        .where(col(Survey.status).in_([SurveyStatus.SENT, SurveyStatus.REMINDED]))
        .where(col(Survey.sent_at) <= now - expire_after)
        .order_by(col(Survey.sent_at), col(Survey.id))
    )
    claimed = await _claim(session, query, limit)
    for survey in claimed:
        await _expire(session, survey, now)
    await session.flush()
    return claimed
