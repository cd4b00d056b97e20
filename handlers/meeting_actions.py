"""At and after the Affairs Hall: invitees answer (``h:yes|no:<invitation id>``), the admin
records attendance (``/attendance ID``, ``h:att:<invitation id>:1|0``) and decisions
(``/decide ITEM OWNER | ACTION | YYYY-MM-DD``), ``/minutes ID`` closes the meeting and sends the
minutes; owners close their action items from /cases (``h:close:<decision id>``).
"""

from __future__ import annotations

import logging
from datetime import datetime, time

from sqlmodel import col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.callback_data import an_id, fields, one_of
from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.meeting import person_of as _person
from handlers.outgoing.meetings import MEETING_PREFIX
from handlers.replies import refuse_button
from locales.i18n import gettext as _
from locales.i18n import refusal_text
from models.base import utcnow
from models.directory.tables import Person
from models.meetings.agenda import _run_by
from models.meetings.decisions import close_item, decide, hold_meeting, set_attendance
from models.meetings.scheduling import answer_invitation
from models.meetings.tables import Invitation
from models.refusal import Refused
from models.text import typed_text

logger = logging.getLogger(__name__)

ANSWERS = {"yes": True, "no": False}


async def _meeting_and_person(update: Update, context: Context, usage: str) -> tuple[int, Person] | None:
    """The meeting number the command names and who sent it; None (usage said) otherwise."""
    message = update.effective_message
    person = await _person(context, update)
    meeting_id = an_id(context.args[0]) if context.args else None
    if message is None or person is None or meeting_id is None:
        if message is not None:
            await message.reply_text(usage)
        return None
    return meeting_id, person


async def answer_button(update: Update, context: Context) -> None:
    """Attend or not; the answer goes into the invitation."""
    query = update.callback_query
    parts = fields(query.data if query is not None else None, MEETING_PREFIX, 2)
    person = await _person(context, update)
    if query is None or parts is None or person is None or one_of(parts[0], ANSWERS) is None:
        await refuse_button(update, context)
        return
    invitation_id = an_id(parts[1])
    if invitation_id is None:
        await refuse_button(update, context)
        return
    try:
        async with context.db.write() as session:
            await answer_invitation(
                session=session,
                invitation_id=invitation_id,
                person=person,
                coming=ANSWERS[parts[0]],
                now=utcnow(),
            )
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    await query.answer(_("Thank you; your answer is recorded."))


async def attendance_markup(context: Context, meeting_id: int) -> InlineKeyboardMarkup:
    async with context.db.read() as session:
        rows = await session.exec(
            select(Invitation, Person)
            .join(Person, col(Person.id) == col(Invitation.person_id))
            .where(Invitation.meeting_id == meeting_id)
            .order_by(col(Person.id))
        )
        buttons = [
            [
                InlineKeyboardButton(
                    ("✅ " if invitation.attended else "▫️ ") + (person.name or "?"),
                    callback_data=f"{MEETING_PREFIX}:att:{invitation.id}:{0 if invitation.attended else 1}",
                )
            ]
            for invitation, person in rows
        ]
    return InlineKeyboardMarkup(buttons)


async def attendance_command(update: Update, context: Context) -> None:
    """The invitees as buttons: a tap records that they came (or, again, that they did not)."""
    found = await _meeting_and_person(update, context, _("Write the meeting's number, like: /attendance 3"))
    message = update.effective_message
    if found is None or message is None:
        return
    meeting_id, person = found
    try:
        async with context.db.read() as session:
            await _run_by(session, meeting_id, person)
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
        return
    markup = await attendance_markup(context, meeting_id)
    await message.reply_text(_("Tap everyone who attended."), reply_markup=markup)


async def attendance_button(update: Update, context: Context) -> None:
    """Record one invitee's attendance and redraw the list."""
    query = update.callback_query
    parts = fields(query.data if query is not None else None, MEETING_PREFIX, 3)
    person = await _person(context, update)
    if query is None or parts is None or person is None or parts[0] != "att" or parts[2] not in ("0", "1"):
        await refuse_button(update, context)
        return
    invitation_id = an_id(parts[1])
    if invitation_id is None:
        await refuse_button(update, context)
        return
    try:
        async with context.db.write() as session:
            invitation = await set_attendance(
                session=session, invitation_id=invitation_id, actor=person, attended=parts[2] == "1"
            )
            meeting_id = invitation.meeting_id
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    await query.answer(_("Recorded."))
    await query.edit_message_reply_markup(await attendance_markup(context, meeting_id))


def parse_deadline(text: str, context: Context) -> datetime | None:
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d")
    except ValueError:
        return None
    return datetime.combine(day.date(), time(23, 59), tzinfo=context.settings.bot.tzinfo)


async def decide_command(update: Update, context: Context) -> None:
    """Record a decision: ``/decide ITEM OWNER | ACTION | YYYY-MM-DD``."""
    message = update.effective_message
    person = await _person(context, update)
    if message is None or person is None:
        return
    args = list(context.args or [])
    item_id = an_id(args[0]) if args else None
    parts = [part.strip() for part in " ".join(args[1:]).split("|")]
    if item_id is None:
        await message.reply_text(_("Write it like: /decide 12 hy | Build the charging shed | 2026-12-31"))
        return
    owner, action, deadline = [*parts, "", "", ""][:3]
    try:
        limit = context.settings.cases.max_text_length
        owner, action = typed_text(owner, limit=limit), typed_text(action, limit=limit)
        async with context.db.write() as session:
            await decide(
                session=session,
                item_id=item_id,
                actor=person,
                owner=owner,
                action=action,
                due_at=parse_deadline(deadline, context),
                now=utcnow(),
            )
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
        return
    await message.reply_text(_("The decision on item {id} is recorded.").format(id=item_id))


async def minutes_command(update: Update, context: Context) -> None:
    """Close the meeting and send the minutes to everyone who attended."""
    found = await _meeting_and_person(update, context, _("Write the meeting's number, like: /minutes 3"))
    message = update.effective_message
    if found is None or message is None:
        return
    meeting_id, person = found
    try:
        async with context.db.write() as session:
            await hold_meeting(
                session=session,
                meeting_id=meeting_id,
                actor=person,
                now=utcnow(),
                tz=context.settings.bot.tzinfo,
            )
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
        return
    wake_outbox(context.application)
    await message.reply_text(_("The meeting is closed; the minutes go to everyone who attended."))


async def close_button(update: Update, context: Context) -> None:
    """The owner closes an action item: its cases are settled and their residents told."""
    query = update.callback_query
    parts = fields(query.data if query is not None else None, MEETING_PREFIX, 2)
    person = await _person(context, update)
    decision_id = an_id(parts[1]) if parts is not None and parts[0] == "close" else None
    if query is None or person is None or decision_id is None:
        await refuse_button(update, context)
        return
    try:
        async with context.db.write() as session:
            await close_item(session=session, decision_id=decision_id, actor=person, now=utcnow())
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    wake_outbox(context.application)
    await query.answer(_("The action item is closed; its residents are told."))


def register(application: RedPropApplication) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("attendance", attendance_command, filters=private))
    application.add_handler(CommandHandler("decide", decide_command, filters=private))
    application.add_handler(CommandHandler("minutes", minutes_command, filters=private))
    application.add_handler(CallbackQueryHandler(answer_button, pattern=rf"^{MEETING_PREFIX}:(yes|no):\d+$"))
    application.add_handler(
        CallbackQueryHandler(attendance_button, pattern=rf"^{MEETING_PREFIX}:att:\d+:[01]$")
    )
    application.add_handler(CallbackQueryHandler(close_button, pattern=rf"^{MEETING_PREFIX}:close:\d+$"))
