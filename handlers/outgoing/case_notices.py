"""The outbox's case messages: the card of a new or returning case, a step told to the reporter
(or the owner), and "work done" asking the owner to confirm.

Texts for residents never carry phone numbers: only the names of the people handling their
case. A card is sent only to someone who still handles the case when it goes out.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.outgoing.cards import action_data, case_card, routing_reason
from handlers.outgoing.escalation import escalated_line, settled_line
from handlers.outgoing.fitting import TEXT_LIMIT, inline, one_line
from handlers.outgoing.parts import Outgoing, UnknownNotification, photo_parts
from locales.i18n import gettext as _
from models.cases.access import Action, allowed_actions, may_handle
from models.cases.tables import STATUS_NAMES, Case, CaseEvent, CasePhoto, EventKind
from models.directory.tables import Enterprise, Person
from models.fund.decisions import FUNDED_LINE
from models.outbox.queue import OutboxMessage


async def _photos(session: AsyncSession, case_id: int, event_id: int | None) -> list[str]:
    """The photos of the report (``event_id`` None) or of one timeline event, in upload order."""
    query = select(CasePhoto).where(CasePhoto.case_id == case_id).order_by(col(CasePhoto.id))
    if event_id is None:
        query = query.where(col(CasePhoto.event_id).is_(None))
    else:
        query = query.where(CasePhoto.event_id == event_id)
    return [photo.file_id for photo in await session.exec(query)]


async def _case_of(session: AsyncSession, message: OutboxMessage) -> Case:
    case = await session.get(Case, message.case_id) if message.case_id is not None else None
    if case is None:
        raise UnknownNotification(f"outbox row {message.id}: case {message.case_id} not found")
    return case


# What a note may take of a notice: the rest holds the bot's sentence.
ROOM = TEXT_LIMIT - 300


async def _name(session: AsyncSession, person_id: int | None) -> str:
    person = await session.get(Person, person_id) if person_id is not None else None
    return person.name if person is not None else ""


def _to_handler(case: Case, event: CaseEvent) -> str:
    """What an owner is told of an event (a withdrawal, a resident's comment)."""
    number = case.number
    if event.kind == EventKind.WITHDRAWN:
        return _("Case {number} was withdrawn by the resident who reported it.").format(number=number)
    if event.kind == EventKind.NOTE and event.actor_id == case.reporter_id:
        heading = _("The resident added a note to case {number}:").format(number=number)
        return heading + "\n" + inline(event.text or "", ROOM)
    return _("Case {number} is now {status}.").format(number=number, status=_(STATUS_NAMES[event.status]))


async def _status_text(session: AsyncSession, case: Case, event: CaseEvent, recipient: Person) -> str:
    """The sentence telling the reporter (or the owner, see :func:`_to_handler`) what happened."""
    if recipient.id != case.reporter_id:
        return _to_handler(case, event)
    number = case.number
    actor = one_line(await _name(session, event.actor_id))
    # Staff's words after the bot's own: a note's second line cannot pass for a line of ours.
    note = inline(event.text or "", ROOM)
    if event.kind == EventKind.ACCEPTED:
        if actor:
            return _("Your case {number} was accepted by {name}.").format(number=number, name=actor)
        return _("Your case {number} was accepted.").format(number=number)
    if event.kind == EventKind.FORWARDED:
        enterprise = await session.get(Enterprise, case.enterprise_id) if case.enterprise_id else None
        if enterprise is not None:
            return _("Your case {number} is being worked on by the property enterprise {enterprise}.").format(
                number=number, enterprise=enterprise.name
            )
        return _("Your case {number} is being worked on by the property enterprise.").format(number=number)
    if event.kind == EventKind.NOTE:
        return _("Progress on your case {number}:").format(number=number) + "\n" + note
    if event.kind == EventKind.RESOLVED:
        return _("Your case {number} has been resolved: {note}").format(number=number, note=note)
    if event.kind == EventKind.REJECTED:
        enterprise = await session.get(Enterprise, case.enterprise_id) if case.enterprise_id else None
        who = enterprise.name if enterprise is not None else actor
        return (
            _("Your case {number} is not the responsibility of {name}: {reason}").format(
                number=number, name=who or _("its handler"), reason=note
            )
            + "\n"
            + _("The street property office will follow up.")
        )
    if event.kind == EventKind.DUPLICATE:
        params: dict[str, Any] = json.loads(event.reason_params) if event.reason_params else {}
        return _(
            "Your case {number} is the same problem as case {original}, which is already being handled."
        ).format(number=number, original=params.get("original", "?"))
    if event.kind == EventKind.ESCALATED:
        return escalated_line(case, event)
    if event.kind == EventKind.SETTLED:
        return settled_line(case, event)
    if event.kind == EventKind.FUNDED:
        params = json.loads(event.reason_params) if event.reason_params else {}
        funded = _(FUNDED_LINE).format(number=params.get("application", "?"))
        return _("Good news on your case {number}: {funded}").format(number=number, funded=funded)
    if event.kind == EventKind.ROUTED:
        return _("Your case {number} has been passed on: {reason}").format(
            number=number, reason=routing_reason(event)
        )
    return _("Your case {number} is now {status}.").format(
        number=number, status=_(STATUS_NAMES[event.status])
    )


async def render_card(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The case's photos, then its card with the actions the recipient may take now; nothing if
    they no longer handle it (it moved on since the card was queued)."""
    case = await _case_of(session, message)
    if not await may_handle(session=session, case=case, person=recipient):
        return []
    text, markup = await case_card(session=session, case=case, viewer=recipient, now=now)
    photos = await _photos(session, case.id or 0, None)
    return [*photo_parts(photos), Outgoing(text=text, reply_markup=markup)]


async def render_status(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """One step of the case, told in a sentence (with the step's photos, if any)."""
    case = await _case_of(session, message)
    event_id = message.parameters().get("event_id")
    event = await session.get(CaseEvent, event_id) if isinstance(event_id, int) else None
    if event is None or event.case_id != case.id:
        raise UnknownNotification(f"outbox row {message.id}: event {event_id} not found")
    text = await _status_text(session, case, event, recipient)
    photos = []
    if event.kind in (EventKind.NOTE, EventKind.RESOLVED):
        photos = await _photos(session, case.id or 0, event.id)
    return [*photo_parts(photos), Outgoing(text=text)]


async def render_work_done(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The enterprise is done: the owner is asked to confirm, with a Resolve button if they may."""
    case = await _case_of(session, message)
    text = _(
        "The enterprise reports the work on case {number} is done. Please confirm the resolution."
    ).format(number=case.number)
    markup = None
    if Action.RESOLVE in await allowed_actions(session=session, case=case, person=recipient):
        button = InlineKeyboardButton(_("Resolve"), callback_data=action_data(Action.RESOLVE, case.id or 0))
        markup = InlineKeyboardMarkup([[button]])
    return [Outgoing(text=text, reply_markup=markup)]
