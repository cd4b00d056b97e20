"""What a resident's confirmed report becomes: the rules that hold whatever client sends it.

One case per draft, at most so many reports an hour (checked by :func:`check_report_limit`,
both when a report starts and when it is confirmed), and a resident must belong to a
community. The chat flow that collects a report is in ``handlers/report.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ScalarSelect, bindparam, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, id_of
from models.cases.categories import ReportCategory, for_category
from models.cases.opening import NO_COMMUNITY, CaseDraft, Deadlines, OpenedCase, open_new_case
from models.cases.tables import Case
from models.cases.timeline import owner_of
from models.directory.tables import Community, Person
from models.refusal import Refused
from storage.database import Database

REPORT_WINDOW = timedelta(hours=1)
TOO_MANY_REPORTS = N_(
    "You have sent {limit} reports in the last hour, the most we accept. Please try again a little later."
)


def _reports_since(reporter: Any) -> ScalarSelect[int]:
    """How many cases ``reporter`` (a parameter or a column) reported after the ``since`` parameter."""
    return (
        select(func.count(col(Case.id)))
        .where(col(Case.reporter_id) == reporter)
        .where(col(Case.created_at) > bindparam("since"))
        .scalar_subquery()
    )


# The questions below are built once (see models/directory/people.py): every /report and Confirm asks one.
# What /report asks before it starts: where the resident lives and how much they reported lately.
_COMMUNITY_AND_RECENT_REPORTS = select(col(Community.name), _reports_since(bindparam("reporter"))).where(
    col(Community.id) == bindparam("community")
)


@dataclass(frozen=True)
class ReportRules:
    """What the street's configuration says of reports: deadlines per category, and the hourly limit."""

    response_due: Mapping[str, timedelta]  # per report category, with a "default"
    resolution_due: Mapping[str, timedelta]
    per_hour: int

    def deadlines(self, category: ReportCategory) -> Deadlines:
        return Deadlines(
            response=for_category(self.response_due, category.value),
            resolution=for_category(self.resolution_due, category.value),
        )


def check_report_limit(*, community: object | None, reports_last_hour: int, per_hour: int) -> None:
    """Refuse a report from someone without a community, or past the hourly limit."""
    if community is None:
        raise Refused(NO_COMMUNITY)
    if reports_last_hour >= per_hour:
        raise Refused(TOO_MANY_REPORTS, limit=per_hour)


@dataclass(frozen=True)
class ReportAllowance:
    """Whether a resident may start a report: their community, and how many they sent this hour."""

    community: str | None  # its name; None: no community chosen yet
    reports_last_hour: int


async def report_allowance(*, session: AsyncSession, person: Person, now: datetime) -> ReportAllowance:
    """The resident's community and their reports in the hour before ``now``, in one query."""
    if person.community_id is None:
        return ReportAllowance(None, 0)
    params = {"community": person.community_id, "reporter": id_of(person), "since": now - REPORT_WINDOW}
    row = (await session.exec(_COMMUNITY_AND_RECENT_REPORTS, params=params)).first()
    if row is None:
        return ReportAllowance(None, 0)
    name, count = row
    return ReportAllowance(name, int(count))


async def may_start_report(
    *, session: AsyncSession, person: Person, rules: ReportRules, now: datetime
) -> str:
    """The name of the resident's community, if they may start a report now; else refused."""
    allowance = await report_allowance(session=session, person=person, now=now)
    check_report_limit(
        community=allowance.community, reports_last_hour=allowance.reports_last_hour, per_hour=rules.per_hour
    )
    assert allowance.community is not None
    return allowance.community


# What Confirm asks first, in one query: who reports (by Telegram account), whether this draft
# is their case already, and how many cases they reported this hour.
_REPORTER_DRAFT_CASE_AND_RECENT_REPORTS = select(
    Person,
    select(col(Case.id))
    .where(col(Case.draft_key) == bindparam("draft_key"))
    .where(col(Case.reporter_id) == col(Person.id))
    .scalar_subquery(),
    _reports_since(col(Person.id)),
).where(col(Person.telegram_id) == bindparam("telegram_id"))


async def submit_report(
    *,
    session: AsyncSession,
    telegram_id: int,
    draft: CaseDraft,
    rules: ReportRules,
    now: datetime,
    numbering_zone: tzinfo = UTC,
) -> OpenedCase:
    """Open the case for a draft the owner of this Telegram account confirmed, within the hourly
    limit; confirming again returns it, whatever the limit.

    ``numbering_zone``: the zone whose year the case number counts in (see ``open_new_case``).
    """
    params = {"telegram_id": telegram_id, "draft_key": draft.key, "since": now - REPORT_WINDOW}
    found = (await session.exec(_REPORTER_DRAFT_CASE_AND_RECENT_REPORTS, params=params)).first()
    if found is None:
        raise Refused(NO_COMMUNITY)
    reporter, existing_id, recent = found
    if existing_id is not None:
        existing = await session.get(Case, existing_id)
        assert existing is not None
        return OpenedCase(existing, await owner_of(session, existing))
    check_report_limit(community=reporter.community_id, reports_last_hour=recent, per_hour=rules.per_hour)
    return await open_new_case(
        session=session,
        reporter=reporter,
        draft=draft,
        deadlines=rules.deadlines(draft.category),
        now=now,
        numbering_zone=numbering_zone,
    )


async def confirm_report(
    *,
    database: Database,
    telegram_id: int,
    draft: CaseDraft,
    rules: ReportRules,
    now: datetime,
    numbering_zone: tzinfo = UTC,
) -> OpenedCase:
    """:func:`submit_report` in a write transaction of its own.

    Run once more if the commit met a unique key: another Confirm of the same draft (from a
    second process) or the street's first number of the year was committed meanwhile, and the
    second run finds that case, or that counter.
    """
    for attempt in (1, 2):
        try:
            async with database.write() as session:
                return await submit_report(
                    session=session,
                    telegram_id=telegram_id,
                    draft=draft,
                    rules=rules,
                    now=now,
                    numbering_zone=numbering_zone,
                )
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
