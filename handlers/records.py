"""/records [enterprise code] [quarter]: one enterprise's governance records of a quarter, newest
first, a page at a time, with an Undo button on each record the person may undo.

For whoever may record about the enterprise (the domain decides, in
``models.assessment.records.records_about``); the quarter is the current one unless typed.
Callback data: ``rl:ep:<page>`` a page of enterprises to choose from, ``rl:<enterprise id>:
<quarter>:<page>`` a page of its records. ``g:un:<record id>`` asks for the reason and undoes
the record by a reversal record (handlers/assessment_input.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, tzinfo

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.callback_data import a_page, an_id, fields
from handlers.context import Context, RedPropApplication
from handlers.outgoing.scores import record_line
from handlers.paging import page_count, with_page_buttons, with_page_line
from handlers.picker import edit_text
from handlers.quarters import QUARTER_PATTERN, quarter_row, typed_quarter
from handlers.record_parts import enterprise_keyboard
from handlers.replies import refuse_button
from locales.i18n import N_, format_time, refusal_text
from locales.i18n import gettext as _
from models.assessment.access import recordable_enterprises
from models.assessment.records import RecordEntry, records_about
from models.assessment.tables import RecordStatus
from models.base import utcnow
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Enterprise, Person
from models.periods import Quarter
from models.refusal import Refused

PREFIX = "rl"
PER_PAGE = 6
NOTE_SHOWN = 150  # characters of each note: six records stay well within one message

STATUS_NAMES: dict[RecordStatus, str] = {
    RecordStatus.APPROVED: N_("counts"),
    RecordStatus.PENDING: N_("waiting for the office"),
    RecordStatus.REJECTED: N_("rejected"),
}


def list_data(enterprise_id: int, quarter: Quarter, page: int) -> str:
    return f"{PREFIX}:{enterprise_id}:{quarter}:{page}"


def undo_data(record_id: int) -> str:
    return f"g:un:{record_id}"


async def _entry_text(session: AsyncSession, entry: RecordEntry) -> str:
    record = entry.record
    status = _("undone") if entry.undone else _(STATUS_NAMES[RecordStatus(record.status)])
    recorder = await session.get(Person, record.recorded_by)
    by = _("by {name}, {time}").format(
        name=recorder.name if recorder is not None else "?", time=format_time(record.recorded_at, "short")
    )
    return f"#{record.id} ({status}) " + await record_line(session, record, NOTE_SHOWN) + "\n" + by


async def records_page(
    *,
    session: AsyncSession,
    person: Person | None,
    code: str,
    quarter: Quarter,
    page: int,
    now: datetime,
    tz: tzinfo,
) -> tuple[str, InlineKeyboardMarkup]:
    """One page of the enterprise's records of the quarter, with their Undo buttons; refused for
    someone who may not record about it."""
    enterprise, entries = await records_about(
        session=session, person=person, enterprise_code=code, quarter=quarter
    )
    enterprise_id = enterprise.id or 0
    pages = page_count(len(entries), PER_PAGE)
    page = min(max(page, 0), pages - 1)
    shown = entries[page * PER_PAGE : (page + 1) * PER_PAGE]
    if entries:
        heading = _("Governance records of {enterprise}, {quarter}: {count}").format(
            enterprise=enterprise.name, quarter=quarter, count=len(entries)
        )
        text = "\n\n".join([heading, *[await _entry_text(session, entry) for entry in shown]])
    else:
        text = _("No governance records of {enterprise} in {quarter}.").format(
            enterprise=enterprise.name, quarter=quarter
        )
    undo = [
        InlineKeyboardButton(
            _("Undo #{number}").format(number=entry.record.id), callback_data=undo_data(entry.record.id or 0)
        )
        for entry in shown
        if entry.may_undo
    ]
    rows = [undo[i : i + 3] for i in range(0, len(undo), 3)]
    keyboard = with_page_buttons(
        rows,
        page,
        pages,
        lambda other: list_data(enterprise_id, quarter, other),
        after=[quarter_row(quarter, now=now, tz=tz, data=lambda other: list_data(enterprise_id, other, 0))],
    )
    return with_page_line(text, page, pages), keyboard


def _choose(quarter: Quarter) -> Callable[[Enterprise], str]:
    return lambda enterprise: list_data(enterprise.id or 0, quarter, 0)


def _turn(page: int) -> str:
    return f"{PREFIX}:ep:{page}"


async def records_command(update: Update, context: Context) -> None:
    """List an enterprise's records of the quarter, or first ask which enterprise."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    tz, now = context.settings.bot.tzinfo, utcnow()
    args = list(context.args or [])
    quarter_args = [arg for arg in args if re.fullmatch(r"\d{4}[Qq]\d", arg)]
    codes = [arg for arg in args if arg not in quarter_args]
    try:
        quarter = typed_quarter(quarter_args, now=now, tz=tz) or Quarter.of(now, tz)
        async with context.db.read() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if codes:
                text, keyboard = await records_page(
                    session=session, person=person, code=codes[0], quarter=quarter, page=0, now=now, tz=tz
                )
            else:
                enterprises = await recordable_enterprises(session=session, person=person)
                keyboard = enterprise_keyboard(enterprises, 0, _choose(quarter), _turn)
                text = _("Whose records? Tap the enterprise, or send /records and its code.")
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
        return
    await message.reply_text(text, reply_markup=keyboard)


async def records_paged(update: Update, context: Context) -> None:
    """Show another page (or quarter) of an enterprise's records, in place."""
    query = update.callback_query
    user = update.effective_user
    parts = fields(query.data if query is not None else None, PREFIX, 3)
    enterprise_id = an_id(parts[0]) if parts else None
    page = a_page(parts[2]) if parts else None
    if query is None or user is None or parts is None or enterprise_id is None or page is None:
        await refuse_button(update, context)
        return
    tz, now = context.settings.bot.tzinfo, utcnow()
    try:
        async with context.db.read() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            enterprise = await session.get(Enterprise, enterprise_id)
            if enterprise is None:
                await refuse_button(update, context)
                return
            text, keyboard = await records_page(
                session=session,
                person=person,
                code=enterprise.code,
                quarter=Quarter.parse(parts[1]),
                page=page,
                now=now,
                tz=tz,
            )
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    await query.answer()
    await edit_text(update, text, keyboard)


async def enterprises_paged(update: Update, context: Context) -> None:
    """Show another page of enterprises to choose from."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    tz, now = context.settings.bot.tzinfo, utcnow()
    try:
        async with context.db.read() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            enterprises = await recordable_enterprises(session=session, person=person)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    page = int((query.data or "").rsplit(":", 1)[-1])
    await query.answer()
    await edit_text(
        update,
        _("Whose records? Tap the enterprise, or send /records and its code."),
        enterprise_keyboard(enterprises, page, _choose(Quarter.of(now, tz)), _turn),
    )


def register(application: RedPropApplication) -> None:
    application.add_handler(CommandHandler("records", records_command, filters=filters.ChatType.PRIVATE))
    application.add_handler(
        CallbackQueryHandler(records_paged, pattern=rf"^{PREFIX}:\d{{1,12}}:{QUARTER_PATTERN}:\d{{1,6}}$")
    )
    application.add_handler(CallbackQueryHandler(enterprises_paged, pattern=rf"^{PREFIX}:ep:\d{{1,6}}$"))
