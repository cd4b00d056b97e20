"""/workreport [2026|2026Q3]: the street's work report for street office admins: the message, the
chart of satisfaction and willingness to pay (overall and after fund-paid repairs), and the
workbook. Without a period: this year so far."""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update
from telegram.ext import CommandHandler, filters

from handlers.context import Context, RedPropApplication
from handlers.replies import answer_unused
from handlers.work_report_view import report_chart, report_text
from locales.i18n import refusal_text
from models.assessment.access import office_street
from models.base import utcnow
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Street
from models.refusal import Refused
from models.report.breakdown import Breakdown, breakdown
from models.report.work import WorkReport, report_period, work_report


async def work_report_command(update: Update, context: Context) -> None:
    """Send the street's work report: text, chart and workbook."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    tz = context.settings.bot.tzinfo
    typed = context.args[0] if context.args else str(utcnow().astimezone(tz).year)
    try:
        name, start, end = report_period(typed, tz)
        async with context.db.read_aside() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            street_id = await office_street(session=session, person=person)
            street = await session.get(Street, street_id)
            report = await work_report(
                session=session, street_id=street_id, period=name, start=start, end=end
            )
            rows = await breakdown(session=session, street_id=street_id, start=start, end=end, tz=tz)
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
        return
    street_name = street.name if street is not None else ""
    with answer_unused():
        await message.reply_text(report_text(report, street_name))
    png = await asyncio.to_thread(report_chart, report)
    if png is not None:
        await context.bot.send_photo(user.id, png)
    workbook = await asyncio.to_thread(_workbook, report, rows)
    code = street.code if street is not None else "street"
    await context.bot.send_document(user.id, InputFile(workbook, filename=f"work-report-{code}-{name}.xlsx"))


def _workbook(report: WorkReport, rows: Breakdown) -> bytes:
    # Imported here, in the worker thread: openpyxl (and numpy with it) would otherwise add to
    # every start of the bot, and the first import would hold up the event loop.
    from handlers.work_report_workbook import report_workbook

    return report_workbook(report, rows)


def register(application: RedPropApplication) -> None:
    application.add_handler(
        CommandHandler("workreport", work_report_command, filters=filters.ChatType.PRIVATE)
    )
