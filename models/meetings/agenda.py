"""The Affairs Hall's agenda: built from the cases of the meeting's communities, changed by the admin.

It takes the open cases escalated to level 2 or 3 (and those the escalated level put on the
agenda), the open cases reopened twice, the open cases more than N days past their resolution
deadline, the suggestions still unanswered after N days, each suggestion passed to the agenda
(on the agenda of its community's earliest scheduled meeting, until one meeting has it), and
hotspots: at least k cases of one category in one community within 30 days. Every item lists
its case numbers. Building again adds only what is new (one item per subject); dropped items
stay dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, id_of
from models.cases.tables import OPEN_STATUSES, Case, Suggestion, SuggestionOutcome
from models.directory.tables import Person
from models.escalation.tables import AgendaRequest
from models.meetings.scheduling import NOT_AN_ADMIN, STALE, may_run, meeting_communities, open_meeting
from models.meetings.tables import AgendaItem, ItemKind, Meeting, MeetingCommunity, MeetingStatus
from models.refusal import Refused

EMPTY_ITEM = N_("Write what the item is about.")
HOTSPOT_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class AgendaRules:
    overdue_days: int = 7  # cases this many days past their resolution deadline
    suggestion_days: int = 14  # suggestions unanswered this long
    hotspot_cases: int = 3  # k cases of one category in one community within 30 days


async def build_agenda(*, session: AsyncSession, meeting: Meeting, rules: AgendaRules, now: datetime) -> int:
    """Add the items the data calls for that the agenda does not hold yet; the number added."""
    communities = [id_of(c) for c in await meeting_communities(session=session, meeting=meeting)]
    existing = set(await session.exec(select(AgendaItem.subject).where(AgendaItem.meeting_id == meeting.id)))
    wanted: list[AgendaItem] = []

    def item(kind: ItemKind, subject: str, numbers: list[str], text: str = "") -> None:
        if subject not in existing:
            existing.add(subject)
            wanted.append(
                AgendaItem(
                    meeting_id=id_of(meeting),
                    kind=kind,
                    subject=subject,
                    text=text,
                    case_numbers=" ".join(numbers),
                )
            )

    open_here = (
        select(Case)
        .where(col(Case.community_id).in_(communities))
        .where(col(Case.status).in_(list(OPEN_STATUSES)))
    )
    requested = select(AgendaRequest.case_id)
    for case in await session.exec(
        open_here.where(or_(col(Case.escalation_level) >= 2, col(Case.id).in_(requested))).order_by(
            col(Case.id)
        )
    ):
        item(ItemKind.ESCALATED, f"case:{case.id}", [case.number])
    for case in await session.exec(open_here.where(col(Case.reopen_count) >= 2).order_by(col(Case.id))):
        item(ItemKind.REOPENED, f"case:{case.id}", [case.number])
    late = now - timedelta(days=rules.overdue_days)
    for case in await session.exec(
        open_here.where(col(Case.resolution_due_at) < late).order_by(col(Case.id))
    ):
        item(ItemKind.OVERDUE, f"case:{case.id}", [case.number])
    old = now - timedelta(days=rules.suggestion_days)
    suggestions = await session.exec(
        select(Suggestion.community_id, func.count())
        .where(col(Suggestion.community_id).in_(communities))
        .where(col(Suggestion.created_at) < old)
        .where(col(Suggestion.answered_at).is_(None))
        .group_by(col(Suggestion.community_id))
    )
    for community_id, count in suggestions:
        item(ItemKind.SUGGESTIONS, f"suggestions:{community_id}", [], text=f"{community_id}:{count}")
    on_an_agenda = set(
        await session.exec(
            select(AgendaItem.subject)
            .where(AgendaItem.kind == ItemKind.SUGGESTION)
            .where(col(AgendaItem.dropped).is_(False))
        )
    )
    earliest: dict[int, int] = {}  # community → its earliest scheduled meeting
    for community_id, meeting_id in await session.exec(
        select(MeetingCommunity.community_id, Meeting.id)
        .join(Meeting, col(Meeting.id) == col(MeetingCommunity.meeting_id))
        .where(Meeting.status == MeetingStatus.SCHEDULED)
        .where(col(MeetingCommunity.community_id).in_(communities))
        .order_by(col(Meeting.starts_at), col(Meeting.id))
    ):
        earliest.setdefault(community_id, meeting_id or 0)
    passed = await session.exec(
        select(Suggestion)
        .where(col(Suggestion.community_id).in_(communities))
        .where(Suggestion.outcome == SuggestionOutcome.AGENDA)
        .order_by(col(Suggestion.id))
    )
    for suggestion in passed:
        first = earliest.get(suggestion.community_id, meeting.id) == meeting.id
        if first and (subject := f"suggestion:{suggestion.id}") not in on_an_agenda:
            item(ItemKind.SUGGESTION, subject, [], text=suggestion.text)
    recent = (
        select(Case.community_id, Case.category)
        .where(col(Case.community_id).in_(communities))
        .where(col(Case.created_at) >= now - HOTSPOT_WINDOW)
        .group_by(col(Case.community_id), col(Case.category))
        .having(func.count() >= rules.hotspot_cases)
    )
    for community_id, category in list(await session.exec(recent)):
        numbers = await session.exec(
            select(Case.number)
            .where(Case.community_id == community_id)
            .where(Case.category == category)
            .where(col(Case.created_at) >= now - HOTSPOT_WINDOW)
            .order_by(col(Case.id))
        )
        item(
            ItemKind.HOTSPOT,
            f"hotspot:{community_id}:{category}",
            list(numbers),
            text=f"{community_id}:{category}",
        )
    session.add_all(wanted)
    await session.flush()
    return len(wanted)


async def agenda(*, session: AsyncSession, meeting: Meeting) -> list[AgendaItem]:
    """The meeting's items still on the agenda, in the order they were added."""
    query = (
        select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id)
        .where(col(AgendaItem.dropped).is_(False))
    )
    return list(await session.exec(query.order_by(col(AgendaItem.id))))


async def _run_by(session: AsyncSession, meeting_id: int, actor: Person) -> Meeting:
    meeting = await open_meeting(session=session, meeting_id=meeting_id)
    communities = await meeting_communities(session=session, meeting=meeting)
    if not await may_run(session=session, person=actor, communities=communities):
        raise Refused(NOT_AN_ADMIN)
    return meeting


async def add_item(
    *, session: AsyncSession, meeting_id: int, actor: Person, text: str, now: datetime
) -> AgendaItem:
    """The admin adds an item of their own."""
    meeting = await _run_by(session, meeting_id, actor)
    if not text.strip():
        raise Refused(EMPTY_ITEM)
    count = len(list(await session.exec(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting.id))))
    item = AgendaItem(
        meeting_id=id_of(meeting), kind=ItemKind.ADDED, subject=f"added:{count + 1}", text=text.strip()
    )
    session.add(item)
    await session.flush()
    return item


async def drop_item(*, session: AsyncSession, meeting_id: int, item_id: int, actor: Person) -> AgendaItem:
    """The admin drops an item; a button of an old agenda (dropped already, meeting held) is stale."""
    meeting = await _run_by(session, meeting_id, actor)
    item = await session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id or item.dropped:
        raise Refused(STALE)
    item.dropped = True
    session.add(item)
    return item
