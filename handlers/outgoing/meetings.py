"""The Affairs Hall's messages: the invitation with attend / can't attend, the reminder the day
before, the minutes to the attendees, and an action item's reminder or overdue notice.

Invitation buttons are ``h:yes|no:<invitation id>``; an action item's Close is
``h:close:<decision id>``. Every press is authorized in the domain.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.outgoing.fitting import fit, inline
from handlers.outgoing.parts import Outgoing, UnknownNotification
from locales.i18n import N_, format_time
from locales.i18n import gettext as _
from models.directory.tables import Person
from models.meetings.minutes import Minutes, MinutesItem, minutes_of
from models.meetings.scheduling import meeting_communities
from models.meetings.tables import (
    AgendaItem,
    Decision,
    Invitation,
    ItemKind,
    ItemStatus,
    Meeting,
    MeetingStatus,
)
from models.outbox.queue import OutboxMessage

MEETING_PREFIX = "h"  # the Affairs Hall ("g" is the governance records')
# An item's own words in a chat message (a resident's suggestion may be long); the minutes file
# (redprop meeting minutes) keeps them whole.
ITEM_ROOM = 200

ITEM_KINDS: dict[ItemKind, str] = {
    ItemKind.ESCALATED: N_("Escalated case"),
    ItemKind.REOPENED: N_("Reopened twice"),
    ItemKind.OVERDUE: N_("Long past its deadline"),
    ItemKind.SUGGESTIONS: N_("Suggestions unanswered"),
    ItemKind.SUGGESTION: N_("A resident's suggestion"),
    ItemKind.HOTSPOT: N_("Hotspot"),
    ItemKind.ADDED: N_("Added"),
}


def meeting_heading(meeting: Meeting, communities: list[str]) -> str:
    return _("Red Property Affairs Hall #{id}: {time}, {place} ({communities})").format(
        id=meeting.id,
        time=format_time(meeting.starts_at, "short"),
        place=meeting.place,
        communities=", ".join(communities),
    )


def item_line(number: int, item: MinutesItem) -> str:
    cases = " ".join(item.case_numbers)
    words = inline(item.text, ITEM_ROOM)
    line = f"{number}. [{item.item_id}] {_(ITEM_KINDS[item.kind])}: {words} {cases}".rstrip()
    if item.decision is not None:
        line += "\n   " + _("Decision: {owner} — {action}, by {time}").format(
            owner=item.decision.owner,
            action=item.decision.action,
            time=format_time(item.decision.due_at, "short"),
        )
    return line


def minutes_text(minutes: Minutes) -> str:
    lines = [_("Minutes") + " — " + meeting_heading(minutes.meeting, minutes.communities)]
    lines.append(_("Attended: {names}").format(names=", ".join(minutes.attended) or "—"))
    lines.append(_("Absent: {names}").format(names=", ".join(minutes.absent) or "—"))
    lines += [item_line(number, item) for number, item in enumerate(minutes.items, start=1)]
    return "\n".join(lines)


async def _invitation(session: AsyncSession, message: OutboxMessage) -> tuple[Invitation, Meeting]:
    invitation = await session.get(Invitation, message.parameters().get("invitation_id"))
    meeting = await session.get(Meeting, invitation.meeting_id) if invitation is not None else None
    if invitation is None or meeting is None:
        raise UnknownNotification(f"outbox row {message.id}: invitation not found")
    return invitation, meeting


async def render_invitation(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The invitation, with attend / can't attend (nothing once the meeting is held)."""
    invitation, meeting = await _invitation(session, message)
    if meeting.status != MeetingStatus.SCHEDULED:
        return []
    communities = [c.name for c in await meeting_communities(session=session, meeting=meeting)]
    reminder = message.kind == "meeting.remind"
    text = (_("Reminder: the Affairs Hall is tomorrow.") + "\n" if reminder else "") + _(
        "You are invited to the {heading}. Will you attend? /agenda shows the draft agenda."
    ).format(heading=meeting_heading(meeting, communities))
    buttons = [
        InlineKeyboardButton(_("I will attend"), callback_data=f"{MEETING_PREFIX}:yes:{invitation.id}"),
        InlineKeyboardButton(_("I cannot attend"), callback_data=f"{MEETING_PREFIX}:no:{invitation.id}"),
    ]
    return [Outgoing(text=text, reply_markup=InlineKeyboardMarkup([buttons]))]


async def render_minutes(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The minutes of the meeting, for an attendee."""
    meeting = await session.get(Meeting, message.parameters().get("meeting_id"))
    if meeting is None:
        raise UnknownNotification(f"outbox row {message.id}: meeting not found")
    return [Outgoing(text=fit(minutes_text(await minutes_of(session=session, meeting=meeting))))]


async def render_item_notice(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """An action item near its deadline, or overdue (nothing once closed)."""
    decision = await session.get(Decision, message.parameters().get("decision_id"))
    item = await session.get(AgendaItem, decision.item_id) if decision is not None else None
    if decision is None or item is None:
        raise UnknownNotification(f"outbox row {message.id}: decision not found")
    if decision.status != ItemStatus.OPEN:
        return []
    template = (
        _("Overdue: the Affairs Hall's action item {id} ({action}) was due {time}.")
        if message.kind == "item.overdue"
        else _("Reminder: the Affairs Hall's action item {id} ({action}) is due {time}.")
    )
    text = template.format(id=decision.id, action=decision.action, time=format_time(decision.due_at, "short"))
    return [Outgoing(text=text + " " + item.case_numbers + "\n" + _("Close it from /cases when it is done."))]
