"""What the minutes of an Affairs Hall hold: when and where, who was invited and came, and each
item with its case numbers and decision. Rendered for the chat (handlers/outgoing/meetings.py)
and as a Markdown or Word document (bot/meeting_cli.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.directory.tables import Community, Enterprise, Person
from models.meetings.agenda import agenda
from models.meetings.scheduling import meeting_communities
from models.meetings.tables import AgendaItem, Decision, Invitation, ItemKind, Meeting


@dataclass(frozen=True)
class MinutesDecision:
    owner: str
    action: str
    due_at: datetime


@dataclass(frozen=True)
class MinutesItem:
    item_id: int
    kind: ItemKind
    text: str
    case_numbers: list[str]
    decision: MinutesDecision | None


@dataclass(frozen=True)
class Minutes:
    meeting: Meeting
    communities: list[str]
    attended: list[str]
    absent: list[str]
    items: list[MinutesItem]


async def item_text(session: AsyncSession, item: AgendaItem) -> str:
    """An item's own words: what the admin wrote, or the community (and category) it is about."""
    if item.kind in (ItemKind.ADDED, ItemKind.SUGGESTION):
        return item.text
    if item.kind in (ItemKind.HOTSPOT, ItemKind.SUGGESTIONS):
        community_id, _sep, rest = item.text.partition(":")
        community = await session.get(Community, int(community_id)) if community_id.isdigit() else None
        return f"{community.name if community else '?'} {rest}".strip()
    return ""


async def minutes_of(*, session: AsyncSession, meeting: Meeting) -> Minutes:
    communities = [c.name for c in await meeting_communities(session=session, meeting=meeting)]
    invited = await session.exec(
        select(Person, Invitation)
        .join(Invitation, col(Invitation.person_id) == col(Person.id))
        .where(Invitation.meeting_id == meeting.id)
        .order_by(col(Person.id))
    )
    attended: list[str] = []
    absent: list[str] = []
    for person, invitation in invited:
        (attended if invitation.attended else absent).append(person.name)
    items = []
    for item in await agenda(session=session, meeting=meeting):
        decision = (await session.exec(select(Decision).where(Decision.item_id == item.id))).first()
        summary = None
        if decision is not None:
            owner = (
                await session.get(Person, decision.owner_person_id)
                if decision.owner_person_id is not None
                else await session.get(Enterprise, decision.owner_enterprise_id)
            )
            summary = MinutesDecision(owner.name if owner else "?", decision.action, decision.due_at)
        items.append(
            MinutesItem(
                item.id or 0, item.kind, await item_text(session, item), item.case_numbers.split(), summary
            )
        )
    return Minutes(meeting, communities, attended, absent, items)
