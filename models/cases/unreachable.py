"""When someone blocks the bot, or a case card cannot reach its owner: the case moves on.

The outbox sender calls :func:`recipient_blocked` when Telegram answers that the recipient
blocked the bot, and :func:`card_undelivered` when a case card became a dead letter (refused,
or failing for all of ``outbox.retry_for``); everything happens in the caller's one transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.assessment.access import office_admins
from models.base import id_of
from models.cases.routing import route_up
from models.cases.tables import OPEN_STATUSES, Case
from models.cases.timeline import give_to
from models.directory.people import mark_unreachable
from models.directory.tables import Community, Person
from models.outbox.delivery import block_chat
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage, enqueue


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
        await _move_up(session, case, community, person, now)
    return owned


async def _move_up(
    session: AsyncSession, case: Case, community: Community, past: Person, now: datetime
) -> None:
    """Give the case to the next level up, passing over ``past``; its timeline says so."""
    routing = await route_up(
        session=session, community=community, level=case.owner_level, exclude={id_of(past)}
    )
    await give_to(session, case, routing, now)


async def card_undelivered(*, session: AsyncSession, message: OutboxMessage, now: datetime) -> Case | None:
    """A case card could not be delivered: the street office is told at once, and if its recipient
    still owns the open case, the case moves one level up as for a blocked owner (the recipient
    is not marked unreachable: other messages may still reach them). Returns the case moved."""
    if message.kind != OutboxKind.CASE_CARD or message.case_id is None:
        return None
    case = (await session.exec(select(Case).where(Case.id == message.case_id).with_for_update())).first()
    if case is None or case.status not in OPEN_STATUSES:
        return None
    community = await session.get(Community, case.community_id)
    assert community is not None
    recipient = await session.get(Person, message.recipient_id) if message.recipient_id is not None else None
    moved = recipient is not None and case.owner_id == recipient.id
    if recipient is not None and moved:
        await _move_up(session, case, community, recipient, now)
    for admin in await office_admins(session, community.street_id):
        await enqueue(
            session=session,
            recipient=admin,
            kind=OutboxKind.CARD_UNDELIVERED,
            now=now,
            case_id=case.id,
            recipient_name=recipient.name if recipient is not None else "",
            moved=moved,
        )
    return case if moved else None
