"""Suggestions: ideas for a resident's community rather than faults, counted apart from cases.

A resident may leave at most so many an hour (``cases.suggestions_per_hour``), checked when
the suggestion starts and again when it is confirmed, like reports.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, id_of
from models.cases.opening import NO_COMMUNITY
from models.cases.suggestion_answers import route_suggestion
from models.cases.tables import Suggestion
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Person
from models.refusal import Refused

TOO_MANY_SUGGESTIONS = N_(
    "You have made {limit} suggestions in the last hour, the most we accept. Please try again a little later."
)
WINDOW = timedelta(hours=1)


async def check_suggestion_limit(
    *, session: AsyncSession, author: Person, per_hour: int, now: datetime
) -> None:
    """Refuse a suggestion from someone without a community, or past the hourly limit."""
    if author.community_id is None:
        raise Refused(NO_COMMUNITY)
    recent = await session.exec(
        select(func.count(col(Suggestion.id)))
        .where(Suggestion.author_id == author.id)
        .where(col(Suggestion.created_at) > now - WINDOW)
    )
    if int(recent.one()) >= per_hour:
        raise Refused(TOO_MANY_SUGGESTIONS, limit=per_hour)


async def submit_suggestion(
    *, session: AsyncSession, telegram_id: int, text: str, per_hour: int, now: datetime
) -> Suggestion:
    """Store a suggestion of the person behind this Telegram account for their community."""
    author = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
    if author is None:
        raise Refused(NO_COMMUNITY)
    await check_suggestion_limit(session=session, author=author, per_hour=per_hour, now=now)
    assert author.community_id is not None
    suggestion = Suggestion(
        author_id=id_of(author), community_id=author.community_id, text=text, created_at=now
    )
    session.add(suggestion)
    await session.flush()
    await route_suggestion(session=session, suggestion=suggestion, now=now)
    return suggestion


async def suggestion_count(*, session: AsyncSession, community_id: int) -> int:
    """How many suggestions a community has received."""
    count = await session.exec(
        select(func.count(col(Suggestion.id))).where(Suggestion.community_id == community_id)
    )
    return int(count.one())
