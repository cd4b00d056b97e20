"""The escalation's messages: the owner's reminder of a deadline, the escalated level's card with
what it can do, the owner urged on, and the resident's line when the case escalates.

Oversight buttons are ``e:<action>:<case id>`` (models.escalation.oversight.Oversight), a
reassignment's choice ``e:to:<case id>:<person id>`` or ``e:ent:<case id>`` (the enterprise).
Every press is authorized again in the domain.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.outgoing.cards import case_card, category_name
from handlers.outgoing.parts import Outgoing, UnknownNotification
from locales.i18n import N_, format_time
from locales.i18n import gettext as _
from models.cases.tables import Case, CaseEvent
from models.directory.tables import Person
from models.escalation.oversight import Oversight, oversight_level
from models.escalation.rules import Deadline, Level
from models.outbox.queue import OutboxMessage

OVERSIGHT_PREFIX = "e"
TO = "to"  # e:to:<case id>:<person id>: reassign to this person
ENTERPRISE = "ent"  # e:ent:<case id>: give the work to the case's enterprise

OVERSIGHT_LABELS: dict[Oversight, str] = {
    Oversight.URGE: N_("Urge the owner"),
    Oversight.REASSIGN: N_("Reassign"),
    Oversight.TAKE: N_("Take over"),
    Oversight.EXTEND: N_("Extend the deadline"),
    Oversight.AGENDA: N_("Put on the Affairs Hall agenda"),
}
LEVEL_NAMES: dict[int, str] = {
    Level.COMMITTEE: N_("the community party committee"),
    Level.OFFICE: N_("the street property office"),
}
DEADLINE_NAMES: dict[str, str] = {
    Deadline.RESPONSE: N_("response"),
    Deadline.RESOLUTION: N_("resolution"),
    "reopened": N_("reopened twice"),
    "item": N_("Affairs Hall decision overdue"),
}


def oversight_data(action: Oversight, case_id: int) -> str:
    return f"{OVERSIGHT_PREFIX}:{action.value}:{case_id}"


def params_of(event: CaseEvent) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(event.reason_params) if event.reason_params else {}
    return loaded


def escalated_line(case: Case, event: CaseEvent) -> str:
    """What the resident is told when their case escalates."""
    params = params_of(event)
    level = LEVEL_NAMES.get(int(params.get("level", 0)), LEVEL_NAMES[Level.COMMITTEE])
    return _("Your case {number} was not handled in time and has been escalated to {level}.").format(
        number=case.number, level=_(level)
    )


def settled_line(case: Case, event: CaseEvent) -> str:
    """What the resident is told when an Affairs Hall decision settles their case."""
    held = params_of(event).get("meeting", "")
    try:
        when = format_time(datetime.fromisoformat(held), "short")
    except ValueError:
        when = "?"
    return _("Your case {number} was settled by the Affairs Hall of {date}: {action}").format(
        number=case.number, date=when, action=event.text or ""
    )


def _cause(event: CaseEvent) -> str:
    cause = params_of(event).get("cause") or params_of(event).get("deadline", "")
    return _(DEADLINE_NAMES.get(str(cause), DEADLINE_NAMES[Deadline.RESOLUTION]))


async def oversight_card(
    *, session: AsyncSession, case: Case, viewer: Person, now: datetime
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The case card for the escalated level, with its oversight buttons."""
    text, _owner_buttons = await case_card(session=session, case=case, viewer=viewer, now=now)
    level = await oversight_level(session=session, case=case, person=viewer)
    if level is None or not case.is_open:
        return text, None
    heading = _("Escalated to you ({level}).").format(level=_(LEVEL_NAMES[level]))
    buttons = [
        InlineKeyboardButton(_(label), callback_data=oversight_data(action, case.id or 0))
        for action, label in OVERSIGHT_LABELS.items()
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return heading + "\n" + text, InlineKeyboardMarkup(rows)


async def _case_and_event(session: AsyncSession, message: OutboxMessage) -> tuple[Case, CaseEvent]:
    case = await session.get(Case, message.case_id) if message.case_id is not None else None
    event_id = message.parameters().get("event_id")
    event = await session.get(CaseEvent, event_id) if isinstance(event_id, int) else None
    if case is None or event is None or event.case_id != case.id:
        raise UnknownNotification(f"outbox row {message.id}: case or event not found")
    return case, event


async def render_escalated(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The escalated level's card: why the case came up, and what it can do (nothing once closed)."""
    case, event = await _case_and_event(session, message)
    if not case.is_open:
        return []
    text, markup = await oversight_card(session=session, case=case, viewer=recipient, now=now)
    if markup is None:
        return []
    why = _("Case {number} escalated: {cause}.").format(number=case.number, cause=_cause(event))
    return [Outgoing(text=why + "\n" + text, reply_markup=markup)]


async def render_reminder(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The owner's reminder that a deadline is near (nothing if the case moved on)."""
    case, event = await _case_and_event(session, message)
    if not case.is_open or case.owner_id != recipient.id:
        return []
    response = params_of(event).get("deadline") == Deadline.RESPONSE
    if response and case.first_response_at is not None:
        return []
    due = case.response_due_at if response else case.resolution_due_at
    template = (
        _("Reminder: case {number} ({category}) needs a first response by {time}.")
        if response
        else _("Reminder: case {number} ({category}) is due to be resolved by {time}.")
    )
    text = template.format(number=case.number, category=category_name(case), time=format_time(due, "short"))
    return [Outgoing(text=text + "\n" + _("Otherwise it escalates. Open it with /cases."))]


async def render_urged(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The owner, urged on by the escalated level."""
    case, event = await _case_and_event(session, message)
    if not case.is_open:
        return []
    actor = await session.get(Person, event.actor_id) if event.actor_id is not None else None
    text = _("{name} urges you to handle case {number} now; it is overdue.").format(
        name=actor.name if actor is not None else "?", number=case.number
    )
    return [Outgoing(text=text + "\n" + _("Open it with /cases."))]
