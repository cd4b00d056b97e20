"""Shared property in the directory file: which no-property community an enterprise took over,
and since which day (``shared_by`` and ``shared_since`` of a ``[[community]]``).

Import makes the current take-over of each community in the file say what the file says: a new
or different one ends the current one the day it begins (nothing is deleted, so routing and the
numbers of the past stay as they were); a community without ``shared_by`` ends its take-over
today. Export writes the current take-overs back, so export → import → export is exact.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.cases.routing import SharedProperty
from models.directory.document import DirectoryDocument
from models.periods import local_midnight


async def current_take_overs(*, session: AsyncSession) -> dict[int, SharedProperty]:
    """Each community's take-over that has not ended (the latest begun, if several)."""
    rows = await session.exec(
        select(SharedProperty)
        .where(col(SharedProperty.ended_at).is_(None))
        .order_by(col(SharedProperty.started_at), col(SharedProperty.id))
    )
    return {row.community_id: row for row in rows}


async def sync_shared_property(
    *,
    session: AsyncSession,
    document: DirectoryDocument,
    communities: dict[str, int],
    enterprises: dict[str, int],
    tz: tzinfo,
    now: datetime,
) -> int:
    """Make the file's communities' take-overs current; how many changed."""
    current = await current_take_overs(session=session)
    changed = 0
    for entry in document.communities:
        community_id = communities[entry.code]
        now_row = current.get(community_id)
        if entry.shared_by is None or entry.shared_since is None:
            if now_row is not None:
                now_row.ended_at = now
                session.add(now_row)
                changed += 1
            continue
        enterprise_id, start = enterprises[entry.shared_by], local_midnight(entry.shared_since, tz)
        if now_row is not None and (now_row.enterprise_id, now_row.started_at) == (enterprise_id, start):
            continue
        if now_row is not None:
            now_row.ended_at = max(start, now_row.started_at)
            session.add(now_row)
        session.add(SharedProperty(community_id=community_id, enterprise_id=enterprise_id, started_at=start))
        changed += 1
    await session.flush()
    return changed


def since_text(row: SharedProperty, tz: tzinfo) -> str:
    """The take-over's first day as the file writes it (a TOML date)."""
    return row.started_at.astimezone(tz).date().isoformat()
