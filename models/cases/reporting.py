"""What residents send in: confirmed reports (with the hourly limit) and suggestions.

The chat flow that collects a report is in ``handlers/report.py``; here are the rules that
hold whatever client sends it: one case per draft, at most so many reports an hour, and a
resident must belong to a community.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ScalarSelect, bindparam, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, id_of
from models.cases.opening import (
    NO_COMMUNITY,
    CaseDraft,
    Deadlines,
    OpenedCase,
    open_new_case,
    owner_of,
)
from models.cases.tables import Case, Suggestion
from models.cases.timeline import CaseActionRefused
from models.directory.tables import Community, Person

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
    deadlines: Deadlines,
    per_hour: int,
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
        raise CaseActionRefused(NO_COMMUNITY)
    reporter, existing_id, recent = found
    if existing_id is not None:
        existing = await session.get(Case, existing_id)
        assert existing is not None
        return OpenedCase(existing, await owner_of(session=session, case=existing))
    if reporter.community_id is None:
        raise CaseActionRefused(NO_COMMUNITY)
    if recent >= per_hour:
        raise CaseActionRefused(TOO_MANY_REPORTS, limit=per_hour)
    return await open_new_case(
        session=session,
        reporter=reporter,
        draft=draft,
        deadlines=deadlines,
        now=now,
        numbering_zone=numbering_zone,
    )


async def submit_suggestion(*, session: AsyncSession, author: Person, text: str, now: datetime) -> Suggestion:
    """Store a suggestion for the author's community; counted apart from cases."""
    if author.community_id is None:
        raise CaseActionRefused(NO_COMMUNITY)
    suggestion = Suggestion(
        author_id=id_of(author), community_id=author.community_id, text=text, created_at=now
    )
    session.add(suggestion)
    await session.flush()
    return suggestion


async def suggestion_count(*, session: AsyncSession, community_id: int) -> int:
    """How many suggestions a community has received."""
    count = await session.exec(
        select(func.count(col(Suggestion.id))).where(Suggestion.community_id == community_id)
    )
    return int(count.one())
