"""What the outbox says: each queued row rendered, in its recipient's language, as Bot API sends.

The sender (bot/outbox/sender.py) sets the recipient's locale around :func:`render_outbox` and
sends the returned parts in order, one API call each. Texts for residents never carry phone
numbers: only the names of the people handling their case.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardRemove

from handlers.outgoing.cards import action_data, case_card, routing_reason
from locales.i18n import gettext as _
from models.cases.actions import CARD, STATUS, WORK_DONE, Action, allowed_actions
from models.cases.tables import STATUS_NAMES, Case, CaseEvent, CasePhoto, EventKind
from models.directory.tables import Enterprise, Person
from models.outbox.queue import OutboxMessage

# Telegram takes at most ten photos in one media group.
MEDIA_GROUP_SIZE = 10


class UnknownNotification(ValueError):
    """The row's kind, case or event cannot be rendered; the row is marked failed."""


@dataclass(frozen=True)
class Outgoing:
    """One Bot API call: photos (one photo or a media group) if any are given, else a text message."""

    text: str = ""
    reply_markup: InlineKeyboardMarkup | ReplyKeyboardRemove | None = None
    photo_file_ids: list[str] = field(default_factory=list)


Renderer = Callable[..., Awaitable[list[Outgoing]]]
# Renderers of the kinds other features queue (e.g. surveys), added by their ``register``:
# called as ``renderer(session=..., message=..., recipient=..., now=...)``.
RENDERERS: dict[str, Renderer] = {}


def register_renderer(kind: str, renderer: Renderer) -> None:
    """Let the sender deliver outbox rows of ``kind``; rows of unknown kinds are marked failed."""
    RENDERERS[kind] = renderer


def _photo_parts(file_ids: list[str]) -> list[Outgoing]:
    return [
        Outgoing(photo_file_ids=file_ids[start : start + MEDIA_GROUP_SIZE])
        for start in range(0, len(file_ids), MEDIA_GROUP_SIZE)
    ]


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
        return heading + "\n" + (event.text or "")
    return _("Case {number} is now {status}.").format(number=number, status=_(STATUS_NAMES[event.status]))


async def _status_text(session: AsyncSession, case: Case, event: CaseEvent, recipient: Person) -> str:
    """The sentence telling the reporter (or the owner, see :func:`_to_handler`) what happened."""
    if recipient.id != case.reporter_id:
        return _to_handler(case, event)
    number = case.number
    actor = await _name(session, event.actor_id)
    note = event.text or ""
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
    if event.kind == EventKind.ROUTED:
        return _("Your case {number} has been passed on: {reason}").format(
            number=number, reason=routing_reason(event)
        )
    return _("Your case {number} is now {status}.").format(
        number=number, status=_(STATUS_NAMES[event.status])
    )


async def _render_status(
    session: AsyncSession, message: OutboxMessage, case: Case, recipient: Person
) -> list[Outgoing]:
    event_id = message.parameters().get("event_id")
    event = await session.get(CaseEvent, event_id) if isinstance(event_id, int) else None
    if event is None or event.case_id != case.id:
        raise UnknownNotification(f"outbox row {message.id}: event {event_id} not found")
    text = await _status_text(session, case, event, recipient)
    photos = []
    if event.kind in (EventKind.NOTE, EventKind.RESOLVED):
        photos = await _photos(session, case.id or 0, event.id)
    return [*_photo_parts(photos), Outgoing(text=text)]


async def _render_work_done(session: AsyncSession, case: Case, recipient: Person) -> list[Outgoing]:
    text = _(
        "The enterprise reports the work on case {number} is done. Please confirm the resolution."
    ).format(number=case.number)
    markup = None
    if Action.RESOLVE in await allowed_actions(session=session, case=case, person=recipient):
        button = InlineKeyboardButton(_("Resolve"), callback_data=action_data(Action.RESOLVE, case.id or 0))
        markup = InlineKeyboardMarkup([[button]])
    return [Outgoing(text=text, reply_markup=markup)]


async def render_outbox(
    *, session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The messages that deliver ``message`` to ``recipient``, in the current locale, in order."""
    if message.kind == CARD:
        case = await _case_of(session, message)
        text, markup = await case_card(session=session, case=case, viewer=recipient, now=now)
        photos = await _photos(session, case.id or 0, None)
        return [*_photo_parts(photos), Outgoing(text=text, reply_markup=markup)]
    if message.kind == STATUS:
        return await _render_status(session, message, await _case_of(session, message), recipient)
    if message.kind == WORK_DONE:
        return await _render_work_done(session, await _case_of(session, message), recipient)
    renderer = RENDERERS.get(message.kind)
    if renderer is not None:
        return await renderer(session=session, message=message, recipient=recipient, now=now)
    raise UnknownNotification(f"outbox row {message.id}: unknown kind {message.kind!r}")
