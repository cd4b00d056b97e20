"""Suggestions: ideas for a resident's community rather than faults, counted apart from cases."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import id_of
from models.cases.opening import NO_COMMUNITY
from models.cases.tables import Suggestion
from models.directory.people import find_person_by_telegram_id
from models.refusal import Refused


async def submit_suggestion(
    *, session: AsyncSession, telegram_id: int, text: str, now: datetime
) -> Suggestion:
    """Store a suggestion of the person behind this Telegram account for their community."""
    author = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
    if author is None or author.community_id is None:
        raise Refused(NO_COMMUNITY)
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
