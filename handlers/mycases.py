"""/mycases: a resident's own cases, newest first, each with its timeline and a way to withdraw it.

Callback data: ``m:p:<page>`` a page of the list, ``m:o:<case id>`` open a case's timeline
(as a new message), ``m:v:<case id>`` redraw it in place, ``m:w:<case id>`` ask to withdraw,
``m:wy:<case id>`` withdraw. The domain decides who may see and withdraw what: a case id that
is not the user's own is refused like any stale button. No phone number is ever shown here.
"""

from __future__ import annotations

import json
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.callback_data import a_page, an_id, fields
from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.outgoing.cards import category_name, routing_reason, status_name
from handlers.outgoing.fitting import block, inline
from handlers.paging import page_count, with_page_buttons, with_page_line
from handlers.picker import edit_text
from handlers.replies import refuse_button
from locales.i18n import N_, format_time, refusal_text
from locales.i18n import gettext as _
from models.base import id_of, utcnow
from models.cases.actions import withdraw_case
from models.cases.tables import EventKind
from models.cases.timeline import NOT_ALLOWED, wrong_status
from models.cases.views import Timeline, TimelineEntry, case_timeline, cases_of_reporter
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Person
from models.fund.decisions import FUNDED_LINE
from models.refusal import Refused

logger = logging.getLogger(__name__)

PREFIX = "m"
PER_PAGE = 5
MAX_MESSAGE = 4000  # below Telegram's 4096, with room for the header

EVENT_NAMES: dict[EventKind, str] = {
    EventKind.REPORTED: N_("Reported"),
    EventKind.ROUTED: N_("Assigned"),
    EventKind.ACCEPTED: N_("Accepted"),
    EventKind.FORWARDED: N_("Passed to the property enterprise"),
    EventKind.NOTE: N_("Progress note"),
    EventKind.WORK_DONE: N_("Work done"),
    EventKind.RESOLVED: N_("Resolved"),
    EventKind.REJECTED: N_("Not our responsibility"),
    EventKind.DUPLICATE: N_("Marked as a duplicate"),
    EventKind.WITHDRAWN: N_("Withdrawn"),
    EventKind.REOPENED: N_("Reopened"),
    EventKind.CLOSED: N_("Closed"),
    EventKind.REMINDED: N_("Owner reminded of the deadline"),
    EventKind.ESCALATED: N_("Escalated"),
    EventKind.URGED: N_("Owner urged"),
    EventKind.TAKEN_OVER: N_("Taken over"),
    EventKind.REASSIGNED: N_("Reassigned"),
    EventKind.EXTENDED: N_("Deadline extended"),
    EventKind.AGENDA: N_("Put on the Affairs Hall agenda"),
    EventKind.SETTLED: N_("Settled by the Affairs Hall"),
    EventKind.FUNDED: N_("Funded"),
}


CASE_KINDS = frozenset({"o", "v", "w", "wy"})  # the buttons that name a case
PAGE_KIND = frozenset({"p"})


def _argument(update: Update, kinds: frozenset[str]) -> int | None:
    """The page (``m:p:<page>``) or case id of a pressed ``m:<kind>:<number>`` button; None else."""
    query = update.callback_query
    parts = fields(query.data if query is not None else None, PREFIX, 2)
    if parts is None or parts[0] not in kinds:
        return None
    return a_page(parts[1]) if kinds == PAGE_KIND else an_id(parts[1])


async def _viewer(context: Context, telegram_id: int) -> Person | None:
    async with context.db.read() as session:
        return await find_person_by_telegram_id(session=session, telegram_id=telegram_id)


async def list_page(context: Context, person: Person, page: int) -> tuple[str, InlineKeyboardMarkup] | None:
    """The text and buttons of one page of the person's cases; None if the page does not exist."""
    async with context.db.read() as session:
        cases, total = await cases_of_reporter(session=session, person=person, page=page, per_page=PER_PAGE)
    pages = page_count(total, PER_PAGE)
    if page < 0 or page >= pages:
        return None
    if not total:
        return _("You have not reported any problems yet. Use /report to report one."), InlineKeyboardMarkup(
            []
        )
    rows = [
        [
            InlineKeyboardButton(
                f"{case.number} · {category_name(case)} · {status_name(case)}",
                callback_data=f"{PREFIX}:o:{case.id}",
            )
        ]
        for case in cases
    ]
    keyboard = with_page_buttons(rows, page, pages, lambda other: f"{PREFIX}:p:{other}")
    return with_page_line(_("Your cases, newest first. Tap one to see its progress."), page, pages), keyboard


async def my_cases(update: Update, context: Context) -> None:
    """List the user's own cases, newest first."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    person = await _viewer(context, user.id)
    shown = await list_page(context, person, 0) if person is not None else None
    if shown is None:
        await message.reply_text(_("You have not reported any problems yet. Use /report to report one."))
        return
    text, keyboard = shown
    await message.reply_text(text, reply_markup=keyboard if keyboard.inline_keyboard else None)


async def page_shown(update: Update, context: Context) -> None:
    """Show another page of the list in place."""
    query = update.callback_query
    page = _argument(update, PAGE_KIND)
    assert query is not None
    person = await _viewer(context, query.from_user.id)
    shown = await list_page(context, person, page) if person is not None and page is not None else None
    if shown is None:
        await refuse_button(update, context)
        return
    await query.answer()
    await edit_text(update, *shown)


def _entry_lines(entry: TimelineEntry) -> list[str]:
    event = entry.event
    who = entry.actor_name if entry.actor_name is not None else _("system")
    lines = [f"{format_time(event.at, 'short')} {_(EVENT_NAMES[event.kind])} — {who}"]
    params = json.loads(event.reason_params) if event.reason_params else {}
    if event.kind == EventKind.DUPLICATE and "original" in params:
        lines.append("   " + _("Duplicate of {number}").format(number=params["original"]))
    if event.kind == EventKind.FUNDED:
        lines.append("   " + _(FUNDED_LINE).format(number=params.get("application", "?")))
    if event.reason:
        lines.append("   " + routing_reason(event))
    if event.text:
        lines.append("   " + inline(event.text, 600))
    return lines


def timeline_text(timeline: Timeline) -> str:
    """The case's header and timeline, oldest first, trimmed from the top if it grows too long."""
    case = timeline.case
    header = [
        _("Case {number}").format(number=case.number),
        _("Category: {category}").format(category=category_name(case)),
        _("Status: {status}").format(status=status_name(case)),
        "",
        block(case.description, 600),
        "",
        _("Progress:"),
    ]
    events = [_entry_lines(entry) for entry in timeline.entries]
    trimmed = False
    while events and len("\n".join(header + [line for lines in events for line in lines])) > MAX_MESSAGE:
        events.pop(0)
        trimmed = True
    body = (["…"] if trimmed else []) + [line for lines in events for line in lines]
    return "\n".join(header + body)


def timeline_keyboard(timeline: Timeline) -> InlineKeyboardMarkup | None:
    if not timeline.can_withdraw:
        return None
    data = f"{PREFIX}:w:{timeline.case.id}"
    return InlineKeyboardMarkup([[InlineKeyboardButton(_("Withdraw"), callback_data=data)]])


async def _own_timeline(update: Update, context: Context) -> Timeline | None:
    """The pressed button's case, if it is the user's own; otherwise refuse the button."""
    query = update.callback_query
    assert query is not None
    case_id = _argument(update, CASE_KINDS)
    person = await _viewer(context, query.from_user.id)
    timeline = None
    if person is not None and case_id is not None:
        async with context.db.read() as session:
            timeline = await case_timeline(session=session, case_id=case_id, viewer=person)
    # Staff may see a case's timeline elsewhere; /mycases is the reporter's own view only.
    if timeline is None or not timeline.viewer_is_reporter:
        await refuse_button(update, context)
        return None
    return timeline


async def _show_own_timeline(update: Update, context: Context, *, in_place: bool) -> None:
    """Show the user's own case's timeline, in place or as a new message."""
    timeline = await _own_timeline(update, context)
    query = update.callback_query
    if timeline is None or query is None:
        return
    await query.answer()
    text, keyboard = timeline_text(timeline), timeline_keyboard(timeline)
    if in_place:
        await edit_text(update, text, keyboard)
    else:
        await context.bot.send_message(query.from_user.id, text, reply_markup=keyboard)


async def case_opened(update: Update, context: Context) -> None:
    """Send the case's timeline as a new message."""
    await _show_own_timeline(update, context, in_place=False)


async def case_redrawn(update: Update, context: Context) -> None:
    """Redraw the case's timeline in place (back from the withdraw question)."""
    await _show_own_timeline(update, context, in_place=True)


async def withdraw_asked(update: Update, context: Context) -> None:
    """Ask whether to withdraw the case."""
    timeline = await _own_timeline(update, context)
    query = update.callback_query
    if timeline is None or query is None:
        return
    case = timeline.case
    if not timeline.can_withdraw:
        await query.answer(refusal_text(wrong_status(case)), show_alert=True)
        await edit_text(update, timeline_text(timeline), None)
        return
    await query.answer()
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Yes, withdraw it"), callback_data=f"{PREFIX}:wy:{case.id}"),
                InlineKeyboardButton(_("No, keep it"), callback_data=f"{PREFIX}:v:{case.id}"),
            ]
        ]
    )
    text = _("Withdraw case {number}? The people handling it will be told, and it cannot be undone.").format(
        number=case.number
    )
    await edit_text(update, text, keyboard)


async def withdraw_confirmed(update: Update, context: Context) -> None:
    """Withdraw the case and redraw its timeline."""
    query = update.callback_query
    assert query is not None
    # Someone else's case is refused before the domain could say what state it is in.
    own = await _own_timeline(update, context)
    person = await _viewer(context, query.from_user.id)
    if own is None or person is None:
        return
    case_id = id_of(own.case)
    try:
        async with context.db.write() as session:
            case = await withdraw_case(session=session, case_id=case_id, actor=person, now=utcnow())
            number = case.number
    except Refused as refused:
        if refused.message == NOT_ALLOWED:
            await refuse_button(update, context)
            return
        # A second tap, or the case moved on meanwhile: say so and show where it stands.
        await query.answer(refusal_text(refused), show_alert=True)
        await _redraw_after(update, context, person, case_id)
        return
    logger.info("case %s withdrawn by its reporter", number)
    wake_outbox(context.application)
    await query.answer(_("Case {number} is withdrawn.").format(number=number))
    await _redraw_after(update, context, person, case_id)


async def _redraw_after(update: Update, context: Context, person: Person, case_id: int) -> None:
    async with context.db.read() as session:
        timeline = await case_timeline(session=session, case_id=case_id, viewer=person)
    if timeline is not None:
        await edit_text(update, timeline_text(timeline), timeline_keyboard(timeline))


def register(application: RedPropApplication) -> None:
    application.add_handler(CommandHandler("mycases", my_cases, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(page_shown, pattern=rf"^{PREFIX}:p:"))
    application.add_handler(CallbackQueryHandler(case_opened, pattern=rf"^{PREFIX}:o:"))
    application.add_handler(CallbackQueryHandler(case_redrawn, pattern=rf"^{PREFIX}:v:"))
    application.add_handler(CallbackQueryHandler(withdraw_asked, pattern=rf"^{PREFIX}:w:"))
    application.add_handler(CallbackQueryHandler(withdraw_confirmed, pattern=rf"^{PREFIX}:wy:"))
