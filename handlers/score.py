"""/score [quarter]: an enterprise's assessment for its staff and its instructors: the score, every
item worst first, the service points per duty, what the governance points rest on, and, for
its staff while the published quarter is open to appeal, the Appeal button (``a:ap:…``, asked
for in handlers/assessment_input.py).

Without a quarter it shows the one in view (the quarter just ended until it is final, then the
current one); ``sc:<quarter>`` shows another. One message per enterprise the person may see.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.context import Context, RedPropApplication
from handlers.outgoing.assessment import appeal_data
from handlers.outgoing.scores import duty_lines, participation_lines, score_heading, score_lines, status_line
from handlers.quarters import QUARTER_PATTERN, quarter_row, typed_quarter
from handlers.replies import refuse_button
from locales.i18n import gettext as _
from locales.i18n import refusal_text
from models.assessment.access import own_enterprises, streets_of
from models.assessment.lifecycle import NOT_ASSESSED, appealable, assessment_view, quarter_in_view
from models.assessment.reports import breakdown
from models.assessment.scheme import AssessmentScheme
from models.base import utcnow
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Enterprise, Person
from models.periods import Quarter
from models.refusal import Refused

PREFIX = "sc"

Shown = tuple[str, InlineKeyboardMarkup]


def _quarter_data(quarter: Quarter) -> str:
    return f"{PREFIX}:{quarter}"


async def _enterprise_score(
    session: AsyncSession,
    *,
    person: Person,
    enterprise: Enterprise,
    street_id: int,
    quarter: Quarter,
    scheme: AssessmentScheme,
    tz: tzinfo,
    now: datetime,
) -> Shown:
    """One enterprise's quarter in one street, with the buttons that go with it."""
    enterprise_id = enterprise.id or 0
    view, stored = await assessment_view(
        session=session, street_id=street_id, quarter=quarter, scheme=scheme, tz=tz
    )
    rows = [quarter_row(quarter, now=now, tz=tz, data=_quarter_data)]
    heading = _("{enterprise}, assessment of {quarter}").format(enterprise=enterprise.name, quarter=quarter)
    score = view.of(enterprise_id)
    if score is None:
        return heading + "\n" + _(NOT_ASSESSED).format(quarter=quarter), InlineKeyboardMarkup(rows)
    lines = [
        heading,
        status_line(stored, scheme),
        "",
        score_heading(score),
        _("Every item, the weakest first:"),
        *score_lines(breakdown(score, scheme)),
        _("Service points by duty:"),
        *duty_lines(score, scheme),
        _("Governance:"),
        *participation_lines(score),
    ]
    if stored is not None:
        try:
            # Offered while the domain would take the appeal: to the staff, in the window.
            await appealable(
                session=session,
                assessment_id=stored.id or 0,
                enterprise_id=enterprise_id,
                appellant=person,
                scheme=scheme,
                tz=tz,
                now=now,
            )
            rows.insert(
                0,
                [InlineKeyboardButton(_("Appeal"), callback_data=appeal_data(stored.id or 0, enterprise_id))],
            )
        except Refused:
            pass
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def scores_of(context: Context, telegram_id: int, quarter: Quarter | None) -> list[Shown]:
    """What /score shows this person: one message per enterprise (and street); refused if none."""
    scheme, tz, now = context.settings.assessment.scheme, context.settings.bot.tzinfo, utcnow()
    shown = []
    # Aside: a draft is computed from every case and answer of the quarter.
    async with context.db.read_aside() as session:
        person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
        enterprises = await own_enterprises(session=session, person=person)
        assert person is not None  # own_enterprises refuses nobody
        for enterprise in enterprises:
            for street_id in await streets_of(session, enterprise.id or 0):
                in_view = quarter or await quarter_in_view(
                    session=session, street_id=street_id, now=now, tz=tz
                )
                shown.append(
                    await _enterprise_score(
                        session,
                        person=person,
                        enterprise=enterprise,
                        street_id=street_id,
                        quarter=in_view,
                        scheme=scheme,
                        tz=tz,
                        now=now,
                    )
                )
    return shown


async def _show(context: Context, chat_id: int, telegram_id: int, quarter: Quarter | None) -> str | None:
    """Send the scores; a refusal text instead if this person has none to see."""
    try:
        shown = await scores_of(context, telegram_id, quarter)
    except Refused as refused:
        return refusal_text(refused)
    if not shown:
        return _("Your enterprise manages no community yet, so it has no score.")
    for text, keyboard in shown:
        await context.bot.send_message(chat_id, text, reply_markup=keyboard)
    return None


async def score_command(update: Update, context: Context) -> None:
    """Show the enterprise's score, worst items first."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    try:
        quarter = typed_quarter(context.args, now=utcnow(), tz=context.settings.bot.tzinfo)
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
        return
    refusal = await _show(context, message.chat_id, user.id, quarter)
    if refusal is not None:
        await message.reply_text(refusal)


async def quarter_chosen(update: Update, context: Context) -> None:
    """Show another quarter's score."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None or query.message is None:
        await refuse_button(update, context)
        return
    try:
        quarter = Quarter.parse((query.data or "").removeprefix(f"{PREFIX}:"))
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    refusal = await _show(context, query.message.chat.id, user.id, quarter)
    await query.answer(refusal, show_alert=refusal is not None)


def register(application: RedPropApplication) -> None:
    application.add_handler(CommandHandler("score", score_command, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(quarter_chosen, pattern=rf"^{PREFIX}:{QUARTER_PATTERN}$"))
