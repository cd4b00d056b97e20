"""/stats: the survey and case numbers for the street office (its street) and a community party
committee member (their community): one block per enterprise, and a chart of satisfaction.

The same numbers as ``redprop stats --by enterprise``, for the current quarter by default;
buttons ``st:<period>`` show the previous quarter or this month. Who may see which area is
decided in the domain (:func:`models.surveys.stats_scope.stats_scope`), again on every button press.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlmodel import col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.callback_data import a_page, fields
from handlers.context import Context, RedPropApplication
from handlers.outgoing.fitting import fit
from handlers.paging import page_count, with_page_buttons, with_page_line
from handlers.picker import edit_text
from handlers.replies import refuse_button
from handlers.stats_chart import cjk_font, satisfaction_chart
from locales.i18n import gettext as _
from locales.i18n import percent, refusal_text, short_duration
from models.base import utcnow
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Enterprise
from models.periods import parse_period
from models.refusal import Refused
from models.surveys.stats import Grouping, StatsRow, survey_stats
from models.surveys.stats_scope import StatsScope, stats_scope

logger = logging.getLogger(__name__)

PREFIX = "st"
PER_PAGE = 6  # enterprises a message: with long names, well within Telegram's 4,096


def _quarter(year: int, month: int) -> str:
    return f"{year}Q{(month - 1) // 3 + 1}"


def periods(now_local: datetime) -> dict[str, str]:
    """The periods offered: this quarter, the previous one, this month (period → button label)."""
    year, month = now_local.year, now_local.month
    previous_month = month - 3 if month > 3 else month + 9
    previous_year = year if month > 3 else year - 1
    return {
        _quarter(year, month): _("This quarter"),
        _quarter(previous_year, previous_month): _("Previous quarter"),
        f"{year}-{month:02d}": _("This month"),
    }


def _block(row: StatsRow) -> str:
    name = _(row.name) if row.name_is_msgid else row.name
    lines = [
        name,
        _("Response: {rate} ({answered} of {sent} surveys)").format(
            rate=percent(row.response_rate), answered=row.answered, sent=row.sent
        ),
        _("Solved: {rate}").format(rate=percent(row.resolution_rate)),
        _("Satisfied: {rate}").format(rate=percent(row.satisfaction_rate)),
        _("Will pay the property fee: {rate}").format(rate=percent(row.pay_rate)),
        _("Reopened: {rate} of {resolved} resolved cases").format(
            rate=percent(row.reopen_rate), resolved=row.resolved
        ),
        _("First response (median): {time}").format(time=short_duration(row.median_first_response)),
        _("Resolved on time: {rate}").format(rate=percent(row.on_time_share)),
    ]
    return "\n".join(lines)


def stats_text(scope: StatsScope, period: str, rows: list[StatsRow], page: int = 0) -> str:
    """One page of the numbers: the heading, then :data:`PER_PAGE` enterprises."""
    heading = _("Survey numbers for {area}, {period}").format(area=scope.name, period=period)
    if not rows:
        return heading + "\n\n" + _("No surveys or cases in this period.")
    shown = rows[page * PER_PAGE : (page + 1) * PER_PAGE]
    text = "\n\n".join([heading, *(_block(row) for row in shown)])
    return fit(with_page_line(text, page, page_count(len(rows), PER_PAGE)))


def stats_keyboard(period: str, pages: int, page: int, now_local: datetime) -> InlineKeyboardMarkup:
    """The other periods, and the other pages of this one."""
    offered = periods(now_local)
    buttons = [
        InlineKeyboardButton(label, callback_data=f"{PREFIX}:{other}")
        for other, label in offered.items()
        if other != period
    ]
    return with_page_buttons([buttons], page, pages, lambda other: f"{PREFIX}:{period}:{other}")


async def _labels(context: Context, rows: list[StatsRow]) -> list[str]:
    """The bars' names; the enterprises' codes when no CJK font is installed."""
    names = [_(row.name) if row.name_is_msgid else row.name for row in rows]
    if cjk_font() is not None:
        return names
    ids = [row.key for row in rows if isinstance(row.key, int)]
    async with context.db.read() as session:
        codes = dict(
            (
                await session.exec(select(Enterprise.id, Enterprise.code).where(col(Enterprise.id).in_(ids)))
            ).all()
        )
    return [
        codes.get(row.key, name) if isinstance(row.key, int) else name
        for row, name in zip(rows, names, strict=True)
    ]


async def _rows(context: Context, telegram_id: int, period: str) -> tuple[StatsScope, list[StatsRow]]:
    """The area the person may see and its numbers for the period; refused otherwise."""
    start, end = parse_period(period, context.settings.bot.tzinfo)
    # Aside: over a large database this takes a while, and the bot keeps answering meanwhile.
    async with context.db.read_aside() as session:
        person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
        scope = await stats_scope(session=session, person=person)
        rows = await survey_stats(
            session=session,
            start=start,
            end=end,
            by=Grouping.ENTERPRISE,
            street_id=scope.street_id,
            community_id=scope.community_id,
        )
    return scope, rows


async def show_stats(context: Context, chat_id: int, telegram_id: int, period: str) -> str | None:
    """Send the numbers and the chart; a refusal text instead if this person may not see them."""
    try:
        scope, rows = await _rows(context, telegram_id, period)
    except Refused as refused:
        return refusal_text(refused)
    now_local = utcnow().astimezone(context.settings.bot.tzinfo)
    keyboard = stats_keyboard(period, page_count(len(rows), PER_PAGE), 0, now_local)
    await context.bot.send_message(chat_id, stats_text(scope, period, rows), reply_markup=keyboard)
    charted = [row for row in rows if row.satisfaction_rate is not None]
    if charted:
        labels = await _labels(context, charted)
        title = _("Satisfaction rate by enterprise, {period}").format(period=period)
        rates = [row.satisfaction_rate or 0.0 for row in charted]
        png = await asyncio.to_thread(satisfaction_chart, labels, rates, title)
        await context.bot.send_photo(chat_id, png)
    return None


async def stats_command(update: Update, context: Context) -> None:
    """Show this quarter's (or the given period's) numbers for the area the person looks after."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    now_local = utcnow().astimezone(context.settings.bot.tzinfo)
    # "/stats 2026Q2" or "/stats 2026-05" for another period.
    period = context.args[0] if context.args else _quarter(now_local.year, now_local.month)
    refusal = await show_stats(context, message.chat_id, user.id, period)
    if refusal is not None:
        await message.reply_text(refusal)


async def period_pressed(update: Update, context: Context) -> None:
    """Show the numbers of another period (``st:<period>``), or another page (``st:<period>:<page>``)."""
    query = update.callback_query
    user = update.effective_user
    data = query.data if query is not None else None
    paged = fields(data, PREFIX, 2)
    period = paged[0] if paged else (found[0] if (found := fields(data, PREFIX, 1)) else None)
    page = a_page(paged[1]) if paged else 0
    if query is None or user is None or query.message is None or period is None or page is None:
        await refuse_button(update, context)
        return
    if paged is None:
        refusal = await show_stats(context, query.message.chat.id, user.id, period)
        if refusal is not None:
            await query.answer(refusal, show_alert=True)
            return
        await query.answer()
        return
    try:
        scope, rows = await _rows(context, user.id, period)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    pages = page_count(len(rows), PER_PAGE)
    if page >= pages:
        await refuse_button(update, context)
        return
    await query.answer()
    now_local = utcnow().astimezone(context.settings.bot.tzinfo)
    await edit_text(
        update, stats_text(scope, period, rows, page), stats_keyboard(period, pages, page, now_local)
    )


def register(application: RedPropApplication) -> None:
    application.add_handler(CommandHandler("stats", stats_command, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(period_pressed, pattern=rf"^{PREFIX}:[0-9Q.-]+(:[0-9]+)?$"))
