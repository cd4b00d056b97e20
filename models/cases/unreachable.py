"""When someone blocks the bot: nothing more is sent to them, and the cases they own move on.

The outbox sender calls :func:`recipient_blocked` when Telegram answers that the recipient
blocked the bot; everything happens in its one transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import id_of
from models.cases.routing import route_up
from models.cases.tables import OPEN_STATUSES, Case
from models.cases.timeline import give_to
from models.directory.people import mark_unreachable
from models.directory.tables import Community, Person
from models.outbox.delivery import block_chat
from models.outbox.queue import OutboxMessage


async def recipient_blocked(
    *, session: AsyncSession, message: OutboxMessage, error: str, now: datetime
) -> list[Case]:
    """The message's recipient blocked the bot: their pending rows are ``blocked``, they are
    unreachable, and each open case they own moves one level up. Returns the cases moved."""
    await block_chat(session=session, message=message, error=error)
    await mark_unreachable(session=session, telegram_id=message.chat_id)
    person = await session.get(Person, message.recipient_id) if message.recipient_id is not None else None
    if person is None:
        return []
    await session.refresh(person)
    return await reroute_from_unreachable(session=session, person=person, now=now)


async def reroute_from_unreachable(*, session: AsyncSession, person: Person, now: datetime) -> list[Case]:
    """The person blocked the bot: move each open case they own one level up, saying so in its timeline."""
    owned = list(
        await session.exec(
            select(Case)
            .where(Case.owner_id == person.id)
            .where(col(Case.status).in_(list(OPEN_STATUSES)))
            .with_for_update()
        )
    )
    for case in owned:
        community = await session.get(Community, case.community_id)
        assert community is not None
        routing = await route_up(
            session=session, community=community, level=case.owner_level, exclude={id_of(person)}
        )
        await give_to(session, case, routing, now)
    return owned
