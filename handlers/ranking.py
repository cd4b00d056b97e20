"""/ranking [quarter]: a street's quarterly star assessment, for its property office (the whole
street, with Publish, Finalise and the decisions waiting) and for a community party committee
member (the enterprises of their communities): pages of text and a chart.

Without a quarter it shows the one in view (the quarter just ended until it is final, then the
current one). Publish and Finalise ask first: ``rk:pub|fin:<quarter>`` shows the question,
``rk:P|F:<quarter>`` does it, ``rk:x`` leaves it. The layout and the other buttons are in
handlers/ranking_view.py; every press is authorized again in the domain.
"""

from __future__ import annotations

import asyncio
import logging

from sqlmodel import col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.callback_data import a_page
from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.picker import edit_text
from handlers.quarters import QUARTER_PATTERN, typed_quarter
from handlers.ranking_chart import ChartWords, ranking_chart
from handlers.ranking_view import PREFIX, Ranking, chart_bars, ranking_keyboard, ranking_pages, read_ranking
from handlers.replies import refuse_button
from handlers.stats_chart import cjk_font
from locales.i18n import format_time, refusal_text
from locales.i18n import gettext as _
from models.assessment.access import office_street
from models.assessment.lifecycle import appeal_deadline, finalise_assessment, publish_assessment
from models.base import utcnow
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Enterprise
from models.periods import Quarter
from models.refusal import Refused

logger = logging.getLogger(__name__)

CHART_BARS = 50  # more would make the picture too tall to read on a phone
LEAVE = f"{PREFIX}:x"


async def _read(context: Context, telegram_id: int, quarter: Quarter | None) -> Ranking:
    """The ranking this person may see; refused otherwise."""
    # Aside: a draft is computed from every case and answer of the quarter.
    async with context.db.read_aside() as session:
        person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
        return await read_ranking(
            session=session,
            person=person,
            quarter=quarter,
            scheme=context.settings.assessment.scheme,
            tz=context.settings.bot.tzinfo,
            now=utcnow(),
        )


async def _labels(context: Context, ranking: Ranking) -> dict[int, str]:
    """The bars' names: the enterprises' codes when no CJK font is installed."""
    if cjk_font() is not None:
        return {score.enterprise_id: score.name for score in ranking.scores}
    ids = [score.enterprise_id for score in ranking.scores]
    async with context.db.read() as session:
        rows = await session.exec(select(Enterprise.id, Enterprise.code).where(col(Enterprise.id).in_(ids)))
        return {enterprise_id: code for enterprise_id, code in rows.all() if enterprise_id is not None}


async def _send(context: Context, chat_id: int, ranking: Ranking) -> None:
    """The first page with its buttons, then the chart."""
    scheme, tz = context.settings.assessment.scheme, context.settings.bot.tzinfo
    pages = ranking_pages(ranking, scheme)
    keyboard = ranking_keyboard(ranking, 0, len(pages), now=utcnow(), tz=tz)
    await context.bot.send_message(chat_id, pages[0], reply_markup=keyboard)
    if not ranking.scores:
        return
    bars = chart_bars(ranking, await _labels(context, ranking), CHART_BARS)
    words = ChartWords(
        title=_("Star assessment of {quarter}, {street}").format(
            quarter=ranking.quarter, street=ranking.street
        ),
        axis=_("Score (on each bar: score · answered surveys / cases)"),
        apart=_("Not ranked: too little data"),
    )
    png = await asyncio.to_thread(ranking_chart, bars, words)
    await context.bot.send_photo(chat_id, png)


async def ranking_command(update: Update, context: Context) -> None:
    """Show the quarter's ranking to the office or a committee member."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    try:
        quarter = typed_quarter(context.args, now=utcnow(), tz=context.settings.bot.tzinfo)
        ranking = await _read(context, user.id, quarter)
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
        return
    await _send(context, message.chat_id, ranking)


def _argument(update: Update) -> tuple[str, str] | None:
    """The action and the rest of the pressed button's data: ``rk:pg:2026Q3:1`` → ("pg", "2026Q3:1")."""
    query = update.callback_query
    parts = (query.data or "").split(":", 2) if query is not None else []
    return (parts[1], parts[2]) if len(parts) == 3 else None


async def page_turned(update: Update, context: Context) -> None:
    """Show another page of the ranking in the same message."""
    query, argument, user = update.callback_query, _argument(update), update.effective_user
    if query is None or argument is None or user is None:
        await refuse_button(update, context)
        return
    quarter_text, _colon, page_text = argument[1].partition(":")
    if (wanted := a_page(page_text)) is None:
        await refuse_button(update, context)
        return
    try:
        ranking = await _read(context, user.id, Quarter.parse(quarter_text))
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    pages = ranking_pages(ranking, context.settings.assessment.scheme)
    page = min(wanted, len(pages) - 1)
    await query.answer()
    keyboard = ranking_keyboard(ranking, page, len(pages), now=utcnow(), tz=context.settings.bot.tzinfo)
    await edit_text(update, pages[page], keyboard)


async def quarter_chosen(update: Update, context: Context) -> None:
    """Show another quarter's ranking as a new message, with its chart."""
    query, argument, user = update.callback_query, _argument(update), update.effective_user
    if query is None or argument is None or user is None or query.message is None:
        await refuse_button(update, context)
        return
    try:
        ranking = await _read(context, user.id, Quarter.parse(argument[1]))
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    await query.answer()
    await _send(context, query.message.chat.id, ranking)


async def _office_check(context: Context, telegram_id: int) -> None:
    async with context.db.read() as session:
        person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
        await office_street(session=session, person=person)


async def action_asked(update: Update, context: Context) -> None:
    """Ask the office to confirm publishing or finalising the quarter."""
    query, argument, user = update.callback_query, _argument(update), update.effective_user
    if query is None or argument is None or user is None:
        await refuse_button(update, context)
        return
    action, quarter = argument
    try:
        await _office_check(context, user.id)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    if action == "pub":
        days = context.settings.assessment.scheme.appeal_days
        question = _(
            "Publish the assessment of {quarter}? Each enterprise's staff are told their score, and may "
            "appeal within {days} days."
        ).format(quarter=quarter, days=days)
        button = InlineKeyboardButton(_("Publish"), callback_data=f"{PREFIX}:P:{quarter}")
    else:
        question = _(
            "Finalise the assessment of {quarter}? It is computed once more from the data as it stands and "
            "frozen, and the three-quarter rule is applied."
        ).format(quarter=quarter)
        button = InlineKeyboardButton(_("Finalise"), callback_data=f"{PREFIX}:F:{quarter}")
    await query.answer()
    keyboard = InlineKeyboardMarkup([[button, InlineKeyboardButton(_("Cancel"), callback_data=LEAVE)]])
    await context.bot.send_message(user.id, question, reply_markup=keyboard)


async def action_confirmed(update: Update, context: Context) -> None:
    """Publish or finalise the quarter, as confirmed."""
    query, argument, user = update.callback_query, _argument(update), update.effective_user
    if query is None or argument is None or user is None:
        await refuse_button(update, context)
        return
    action, quarter_text = argument
    scheme, tz, now = context.settings.assessment.scheme, context.settings.bot.tzinfo, utcnow()
    try:
        quarter = Quarter.parse(quarter_text)
        async with context.db.write() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            street_id = await office_street(session=session, person=person)
            assert person is not None  # office_street refuses nobody
            if action == "P":
                stored = await publish_assessment(
                    session=session,
                    street_id=street_id,
                    quarter=quarter,
                    admin=person,
                    scheme=scheme,
                    tz=tz,
                    now=now,
                )
            else:
                stored = await finalise_assessment(
                    session=session,
                    street_id=street_id,
                    quarter=quarter,
                    admin=person,
                    scheme=scheme,
                    tz=tz,
                    now=now,
                )
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        await edit_text(update, refusal_text(refused))
        return
    logger.info(
        "assessment %s %s by user %s", quarter, "published" if action == "P" else "finalised", user.id
    )
    wake_outbox(context.application)
    if action == "P":
        done = _("The assessment of {quarter} is published. Enterprises may appeal until {time}.").format(
            quarter=quarter, time=format_time(appeal_deadline(stored, scheme), "short")
        )
    else:
        done = _("The assessment of {quarter} is final (revision {revision}).").format(
            quarter=quarter, revision=stored.revision
        )
    await query.answer(done)
    await edit_text(update, done)


async def left_alone(update: Update, context: Context) -> None:
    """Leave the quarter as it is."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    await edit_text(update, _("Nothing was changed."))


def register(application: RedPropApplication) -> None:
    quarter = QUARTER_PATTERN
    application.add_handler(CommandHandler("ranking", ranking_command, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(page_turned, pattern=rf"^{PREFIX}:pg:{quarter}:\d{{1,4}}$"))
    application.add_handler(CallbackQueryHandler(quarter_chosen, pattern=rf"^{PREFIX}:q:{quarter}$"))
    application.add_handler(CallbackQueryHandler(action_asked, pattern=rf"^{PREFIX}:(pub|fin):{quarter}$"))
    application.add_handler(CallbackQueryHandler(action_confirmed, pattern=rf"^{PREFIX}:[PF]:{quarter}$"))
    application.add_handler(CallbackQueryHandler(left_alone, pattern=rf"^{LEAVE}$"))
