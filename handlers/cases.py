"""/cases: the open cases an instructor, enterprise staff, party committee or office handles.

The list pages in place (``c:pg:<page>``), a tap shows a case's card (``c:open:<id>``), and the
card's one-tap buttons (Accept, Forward to enterprise, Work done) act at once and redraw the
card. The buttons that need words (reasons, notes) are in ``handlers/case_input.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.outgoing.cards import (
    CASE_PREFIX,
    OPEN,
    PAGE,
    case_card,
    category_name,
    open_data,
    page_data,
    parse_action_data,
    parse_number_data,
    status_name,
)
from handlers.outgoing.fitting import fit, inline
from handlers.outgoing.meetings import ITEM_ROOM, MEETING_PREFIX
from handlers.paging import page_count, with_page_buttons, with_page_line
from handlers.replies import refuse_button
from locales.i18n import N_, format_time, refusal_text
from locales.i18n import gettext as _
from models.base import utcnow
from models.cases.access import Action, case_handler, may_handle
from models.cases.actions import accept_case, forward_case, mark_work_done
from models.cases.tables import Case
from models.cases.worklist import is_overdue, open_cases_for
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Person
from models.meetings.decisions import open_items_for
from models.refusal import Refused

logger = logging.getLogger(__name__)

PER_PAGE = 8

CaseOperation = Callable[..., Awaitable[Case]]
# The buttons that act at once: the domain operation and what the button answers.
DIRECT_ACTIONS: dict[Action, tuple[CaseOperation, str]] = {
    Action.ACCEPT: (accept_case, N_("Accepted.")),
    Action.FORWARD: (forward_case, N_("Forwarded to the property enterprise.")),
    Action.WORK_DONE: (mark_work_done, N_("Marked as done; the case owner is asked to confirm.")),
}


async def send_or_edit_card(
    update: Update, context: Context, *, case_id: int, telegram_id: int, edit: bool
) -> bool:
    """Show the case's current card to a viewer allowed to see it; False if they are not."""
    async with context.db.read() as session:
        person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
        case = await session.get(Case, case_id)
        if person is None or case is None or not await may_handle(session=session, case=case, person=person):
            return False
        text, keyboard = await case_card(session=session, case=case, viewer=person, now=utcnow())
    query = update.callback_query
    if edit and query is not None:
        try:
            await query.edit_message_text(text, reply_markup=keyboard)
            return True
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return True
            # E.g. the card came as a photo caption: send a fresh card instead.
            logger.info("could not edit a card in place: %s", error)
    await context.bot.send_message(telegram_id, text, reply_markup=keyboard)
    return True


async def worklist_page(
    *, session: AsyncSession, person: Person, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of one page of the work list."""
    now = utcnow()
    cases, total = await open_cases_for(session=session, person=person, now=now, page=page, per_page=PER_PAGE)
    if not cases and total:
        # The page emptied since it was shown (cases closed): show the last one that exists.
        page = (total - 1) // PER_PAGE
        cases, total = await open_cases_for(
            session=session, person=person, now=now, page=page, per_page=PER_PAGE
        )
    if not total:
        return _("You have no open cases."), None
    rows = []
    any_overdue = False
    for case in cases:
        overdue = is_overdue(case, now)
        any_overdue = any_overdue or overdue
        label = f"{'⚠️ ' if overdue else ''}{case.number} · {category_name(case)} · {status_name(case)}"
        rows.append([InlineKeyboardButton(label, callback_data=open_data(case.id or 0))])
    pages = page_count(total, PER_PAGE)
    keyboard = with_page_buttons(rows, page, pages, page_data, (_("‹ Previous"), _("Next ›")))
    text = with_page_line(_("Your open cases: {count}").format(count=total), page, pages)
    if any_overdue:
        text += "\n" + _("⚠️ marks an overdue case.")
    text += "\n" + _("Tap a case to open it.")
    return text, keyboard


async def list_cases(update: Update, context: Context) -> None:
    """Show the first page of the user's open cases."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    async with context.db.read() as session:
        person = await case_handler(session=session, telegram_id=user.id)
        items = await action_items(session=session, telegram_id=user.id)
        if person is None and items is None:
            await message.reply_text(_("This command is for the people who handle cases."))
            return
        page = await worklist_page(session=session, person=person, page=0) if person is not None else None
    if page is not None:
        await message.reply_text(page[0], reply_markup=page[1])
    if items is not None:
        await message.reply_text(items[0], reply_markup=items[1])


async def turn_page(update: Update, context: Context) -> None:
    """Show another page of the work list in the same message."""
    query = update.callback_query
    user = update.effective_user
    page = parse_number_data(query.data or "", PAGE) if query is not None else None
    if query is None or user is None or page is None:
        await refuse_button(update, context)
        return
    async with context.db.read() as session:
        person = await case_handler(session=session, telegram_id=user.id)
        if person is None:
            await refuse_button(update, context)
            return
        text, keyboard = await worklist_page(session=session, person=person, page=page)
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


async def open_case_card(update: Update, context: Context) -> None:
    """Show a case's card with the buttons the user may press."""
    query = update.callback_query
    user = update.effective_user
    case_id = parse_number_data(query.data or "", OPEN) if query is not None else None
    if query is None or user is None or case_id is None:
        await refuse_button(update, context)
        return
    if not await send_or_edit_card(update, context, case_id=case_id, telegram_id=user.id, edit=False):
        await refuse_button(update, context)
        return
    await query.answer()


async def act_on_case(update: Update, context: Context) -> None:
    """Accept, forward or mark work done, then redraw the card as it is now."""
    query = update.callback_query
    user = update.effective_user
    parsed = parse_action_data(query.data or "") if query is not None else None
    if query is None or user is None or parsed is None or parsed[0] not in DIRECT_ACTIONS:
        await refuse_button(update, context)
        return
    action, case_id = parsed
    operation, done = DIRECT_ACTIONS[action]
    try:
        async with context.db.write() as session:
            actor = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if actor is None:
                await refuse_button(update, context)
                return
            await operation(session=session, case_id=case_id, actor=actor, now=utcnow())
    except Refused as refused:
        # Nothing changed; say why, and redraw the card so its stale buttons go away.
        await query.answer(refusal_text(refused), show_alert=True)
        await send_or_edit_card(update, context, case_id=case_id, telegram_id=user.id, edit=True)
        return
    logger.info("case %s: %s by user %s", case_id, action.value, user.id)
    wake_outbox(context.application)
    await query.answer(_(done))
    await send_or_edit_card(update, context, case_id=case_id, telegram_id=user.id, edit=True)


async def action_items(*, session: AsyncSession, telegram_id: int) -> tuple[str, InlineKeyboardMarkup] | None:
    """The Affairs Hall's open action items the person (or their enterprise) owns, with Close."""
    person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
    items = await open_items_for(session=session, person=person) if person is not None else []
    if not items:
        return None
    lines = [_("Affairs Hall action items:")]
    rows = []
    for decision, item in items:
        lines.append(
            _("{id}. {action}, by {time} {cases}").format(
                id=decision.id,
                action=inline(decision.action, ITEM_ROOM),
                time=format_time(decision.due_at, "short"),
                cases=item.case_numbers,
            )
        )
        rows.append(
            [
                InlineKeyboardButton(
                    _("Close item {id}").format(id=decision.id),
                    callback_data=f"{MEETING_PREFIX}:close:{decision.id}",
                )
            ]
        )
    return fit("\n".join(lines)), InlineKeyboardMarkup(rows)


def register(application: RedPropApplication) -> None:
    direct = "|".join(action.value for action in DIRECT_ACTIONS)
    application.add_handler(CommandHandler("cases", list_cases, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(turn_page, pattern=rf"^{CASE_PREFIX}:{PAGE}:\d+$"))
    application.add_handler(CallbackQueryHandler(open_case_card, pattern=rf"^{CASE_PREFIX}:{OPEN}:\d+$"))
    application.add_handler(CallbackQueryHandler(act_on_case, pattern=rf"^{CASE_PREFIX}:({direct}):\d+$"))
