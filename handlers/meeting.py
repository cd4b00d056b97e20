"""/meeting schedules the Red Property Affairs Hall; /agenda shows the draft agendas within the
reader's scope (the admin also builds it again, adds ``/agenda ID add TEXT`` and drops items).

``/meeting 2026-12-20 14:00 dfht,bahy 街道会议室``: date, local time, community codes, place.
A drop button is ``h:drop:<meeting id>:<item id>``; on an old agenda it answers that the agenda
changed and changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.callback_data import an_id, fields
from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.outgoing.fitting import fit
from handlers.outgoing.meetings import MEETING_PREFIX, item_line, meeting_heading
from handlers.replies import refuse_button
from locales.i18n import gettext as _
from locales.i18n import refusal_text
from models.base import utcnow
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Person
from models.meetings.agenda import AgendaRules, add_item, build_agenda, drop_item
from models.meetings.minutes import minutes_of
from models.meetings.scheduling import schedule_meeting, visible_meetings
from models.meetings.tables import Invitation, Meeting, MeetingStatus
from models.refusal import Refused
from models.text import typed_text

logger = logging.getLogger(__name__)

DROP = "drop"


def _usage() -> str:
    return _(
        "Schedule the Affairs Hall like this: /meeting 2026-12-20 14:00 dfht,bahy Street meeting room "
        "(date, time, community codes, place)."
    )


def parse_meeting(args: list[str], context: Context) -> tuple[datetime, list[str], str] | None:
    """Date, time, community codes and place from the command's words; None if malformed."""
    if len(args) < 4:
        return None
    try:
        local = datetime.strptime(f"{args[0]} {args[1]}", "%Y-%m-%d %H:%M")
    except ValueError:
        return None
    starts_at = local.replace(tzinfo=context.settings.bot.tzinfo)
    return starts_at, [code for code in args[2].split(",") if code], " ".join(args[3:])


async def person_of(context: Context, update: Update) -> Person | None:
    """Who sent the update, as the directory knows them."""
    user = update.effective_user
    if user is None:
        return None
    async with context.db.read() as session:
        return await find_person_by_telegram_id(session=session, telegram_id=user.id)


async def meeting_command(update: Update, context: Context) -> None:
    """Schedule a meeting and invite everyone concerned."""
    message = update.effective_message
    person = await person_of(context, update)
    if message is None:
        return
    parsed = parse_meeting(list(context.args or []), context)
    if person is None or parsed is None:
        await message.reply_text(_usage())
        return
    starts_at, codes, place = parsed
    now = utcnow()
    try:
        place = typed_text(place, limit=context.settings.cases.max_text_length)
        async with context.db.write() as session:
            meeting = await schedule_meeting(
                session=session,
                actor=person,
                starts_at=starts_at,
                place=place,
                community_codes=codes,
                now=now,
            )
            await build_agenda(session=session, meeting=meeting, rules=AgendaRules(), now=now)
            invited = len(
                list(await session.exec(select(Invitation.id).where(Invitation.meeting_id == meeting.id)))
            )
            meeting_id = meeting.id
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
        return
    logger.info("meeting %s scheduled by person %s", meeting_id, person.id)
    wake_outbox(context.application)
    await message.reply_text(
        _(
            "The Affairs Hall #{id} is scheduled; {count} people are invited. /agenda shows its draft agenda."
        ).format(id=meeting_id, count=invited)
    )


async def _visible_meetings(context: Context, person: Person) -> list[tuple[Meeting, bool]]:
    """The scheduled meetings ``person`` is invited to or runs; the agendas of those they run
    are built again first, so they show what the data calls for now."""
    async with context.db.read() as session:
        found = await visible_meetings(session=session, person=person)
    if any(runs for _meeting, runs in found):
        now = utcnow()
        async with context.db.write() as session:
            for meeting, runs in found:
                current = await session.get(Meeting, meeting.id) if runs else None
                if current is not None and current.status == MeetingStatus.SCHEDULED:
                    await build_agenda(session=session, meeting=current, rules=AgendaRules(), now=now)
    return found


async def agenda_text(
    context: Context, meeting: Meeting, runs: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    async with context.db.read() as session:
        minutes = await minutes_of(session=session, meeting=meeting)
    lines = [_("Draft agenda") + " — " + meeting_heading(meeting, minutes.communities)]
    lines += [item_line(number, item) for number, item in enumerate(minutes.items, start=1)] or [
        _("No items yet.")
    ]
    if not runs:
        return "\n".join(lines), None
    lines.append(
        _(
            "Add: /agenda {id} add TEXT · Decide: /decide ITEM OWNER | ACTION | YYYY-MM-DD · "
            "Attendance: /attendance {id} · Minutes: /minutes {id}"
        ).format(id=meeting.id)
    )
    rows = [
        [
            InlineKeyboardButton(
                _("Drop item {id}").format(id=item.item_id),
                callback_data=f"{MEETING_PREFIX}:{DROP}:{meeting.id}:{item.item_id}",
            )
        ]
        for item in minutes.items
    ]
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


async def agenda_command(update: Update, context: Context) -> None:
    """Show the draft agendas within the reader's scope; ``/agenda ID add TEXT`` adds an item."""
    message = update.effective_message
    person = await person_of(context, update)
    if message is None or person is None:
        return
    args = list(context.args or [])
    if len(args) >= 3 and args[1] == "add" and (meeting_id := an_id(args[0])) is not None:
        try:
            async with context.db.write() as session:
                await add_item(
                    session=session,
                    meeting_id=meeting_id,
                    actor=person,
                    text=typed_text(" ".join(args[2:]), limit=context.settings.cases.max_text_length),
                    now=utcnow(),
                )
        except Refused as refused:
            await message.reply_text(refusal_text(refused))
            return
        await message.reply_text(_("The item is added to the agenda."))
    visible = await _visible_meetings(context, person)
    if not visible:
        await message.reply_text(_("No Affairs Hall is scheduled for you."))
        return
    for meeting, runs in visible:
        text, keyboard = await agenda_text(context, meeting, runs)
        await message.reply_text(fit(text), reply_markup=keyboard)


async def drop_button(update: Update, context: Context) -> None:
    """Drop an item from the agenda; an old agenda's button changes nothing."""
    query = update.callback_query
    parts = fields(query.data if query is not None else None, MEETING_PREFIX, 3)
    person = await person_of(context, update)
    if query is None or parts is None or parts[0] != DROP or person is None:
        await refuse_button(update, context)
        return
    meeting_id, item_id = an_id(parts[1]), an_id(parts[2])
    if meeting_id is None or item_id is None:
        await refuse_button(update, context)
        return
    try:
        async with context.db.write() as session:
            await drop_item(session=session, meeting_id=meeting_id, item_id=item_id, actor=person)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    await query.answer(_("Dropped."))


def register(application: RedPropApplication) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("meeting", meeting_command, filters=private))
    application.add_handler(CommandHandler("agenda", agenda_command, filters=private))
    application.add_handler(CallbackQueryHandler(drop_button, pattern=rf"^{MEETING_PREFIX}:{DROP}:\d+:\d+$"))
