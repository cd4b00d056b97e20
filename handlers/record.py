"""/record [enterprise code]: a governance record, step by step → Confirm → saved by the domain.

The street property office, community party committee members and instructors record about the
enterprises they work with: the enterprise (a button, or its code typed), the kind, its item,
yes or no or the points, the quarter (this one or the previous; another may be typed), a note
(required) and a photo if there is one. The office's record counts at once; anyone else's
waits for the office (handlers/assessment_input.py takes its decision). Every value is checked
by the domain as it is given, and again when the record is made. The draft lives in
``context.user_data["record"]`` (see handlers/drafts.py); buttons are in handlers/record_parts.py.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from handlers import record_parts as parts
from handlers import record_steps as steps
from handlers.callback_data import a_page, an_id
from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.drafts import (
    ANY_INPUT,
    END,
    NOT_TEXT,
    PRIVATE_MESSAGE,
    TEXT,
    close_buttons,
    drop_draft,
    new_draft,
    say,
)
from handlers.quarters import QUARTER_PATTERN
from handlers.replies import answer_unused, refuse_button
from locales.i18n import gettext as _
from locales.i18n import refusal_text
from models.assessment.access import NOT_RECORDER, RecordPower, recordable_enterprises, recording_right
from models.assessment.records import (
    ITEMS,
    RecordDraft,
    make_record,
)
from models.assessment.tables import RECORD_KIND_NAMES, RecordKind
from models.base import utcnow
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Enterprise
from models.periods import Quarter
from models.refusal import Refused

logger = logging.getLogger(__name__)


async def _enterprises(context: Context, telegram_id: int) -> list[Enterprise]:
    async with context.db.read() as session:
        person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
        return await recordable_enterprises(session=session, person=person)


def _enterprise_data(enterprise: Enterprise) -> str:
    return f"{parts.ENTERPRISE_DATA}{enterprise.id}"


def _page_data(page: int) -> str:
    return f"{parts.ENTERPRISE_PAGE}{page}"


async def start_record(update: Update, context: Context) -> int:
    """Start a record: about the enterprise whose code follows /record, or ask which one."""
    user = update.effective_user
    assert user is not None
    if await parts.FLOW.another_open(update, context):
        return END
    draft = new_draft(context, parts.KIND)
    if context.args:
        state = await _take_enterprise(update, context, draft, context.args[0])
        if state is None:
            drop_draft(context, parts.KIND)
            return END
        return state
    try:
        enterprises = await _enterprises(context, user.id)
    except Refused as refused:
        drop_draft(context, parts.KIND)
        await say(update, context, refusal_text(refused))
        return END
    if not enterprises:
        drop_draft(context, parts.KIND)
        await say(update, context, _("No property enterprise is listed for you to record about yet."))
        return END
    keyboard = parts.enterprise_keyboard(enterprises, 0, _enterprise_data, _page_data)
    await say(
        update,
        context,
        _("Which property enterprise is the record about? Tap it, or type its code."),
        keyboard,
    )
    return parts.ENTERPRISE


async def _take_enterprise(update: Update, context: Context, draft: dict[str, Any], code: str) -> int | None:
    """Take the enterprise if the domain lets this person record about it; None once told why not."""
    user = update.effective_user
    assert user is not None
    try:
        async with context.db.read() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            enterprise, right = await recording_right(session=session, person=person, enterprise_code=code)
    except Refused as refused:
        await say(update, context, refusal_text(refused))
        return None
    office = right.power == RecordPower.DIRECT
    draft.update(code=enterprise.code, enterprise=enterprise.id, name=enterprise.name, office=office)
    chosen = _("Enterprise: {enterprise}").format(enterprise=enterprise.name)
    await say(update, context, chosen + "\n\n" + _("What kind of record?"), parts.kind_keyboard(office))
    return parts.RECORD_KIND


@parts.record_step
async def enterprise_typed(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Take the enterprise by its typed code."""
    message = update.effective_message
    assert message is not None and message.text is not None
    state = await _take_enterprise(update, context, draft, message.text)
    if state is None:
        await say(update, context, _("Type another code, or /cancel."))
    return state


@parts.record_step
async def enterprise_chosen(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Take the enterprise from its button."""
    query = update.callback_query
    assert query is not None and query.data is not None
    enterprise_id = an_id(query.data.removeprefix(parts.ENTERPRISE_DATA))
    async with context.db.read() as session:
        enterprise = await session.get(Enterprise, enterprise_id) if enterprise_id is not None else None
    if enterprise is None:
        await refuse_button(update, context)
        return None
    await close_buttons(update)
    return await _take_enterprise(update, context, draft, enterprise.code)


@parts.record_step
async def enterprises_paged(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Show another page of enterprises."""
    query = update.callback_query
    assert query is not None and query.data is not None
    page = a_page(query.data.removeprefix(parts.ENTERPRISE_PAGE))
    if page is None:
        await refuse_button(update, context)
        return
    enterprises = await _enterprises(context, query.from_user.id)
    await query.answer()
    with answer_unused():
        await query.edit_message_reply_markup(
            parts.enterprise_keyboard(enterprises, page, _enterprise_data, _page_data)
        )


@parts.record_step
async def enterprise_hint(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Ask for the enterprise's code in words."""
    await say(update, context, _("Tap an enterprise above, or type its code."))


@parts.record_step
async def kind_chosen(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Take the kind of record, then ask for its item or its value."""
    query = update.callback_query
    assert query is not None and query.data is not None
    try:
        kind = RecordKind(query.data.removeprefix(parts.KIND_DATA))
    except ValueError:
        await refuse_button(update, context)
        return None
    for key in ("item", "yes", "points"):
        draft.pop(key, None)
    draft["kind"] = kind.value
    await parts.chosen(update, _("Kind: {kind}").format(kind=_(RECORD_KIND_NAMES[kind])))
    if ITEMS[kind] is not None:
        await say(update, context, _("Which one?"), parts.item_keyboard(kind))
        return parts.ITEM
    return await steps.ask_value(update, context, draft)


@parts.record_step
async def item_chosen(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Take the item (party-building item, duty, veto event), then ask for the value."""
    query = update.callback_query
    assert query is not None and query.data is not None
    item = query.data.removeprefix(parts.ITEM_DATA)
    names = parts.item_names(RecordKind(draft["kind"]))
    if item not in names:
        await refuse_button(update, context)
        return None
    draft["item"] = item
    await parts.chosen(update, _(names[item]))
    return await steps.ask_value(update, context, draft)


@parts.record_step
async def buttons_hint(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Point to the buttons of the kind or item asked for."""
    kind = draft.get("kind")
    if kind is None:
        keyboard = parts.kind_keyboard(bool(draft.get("office")))
    else:
        keyboard = parts.item_keyboard(RecordKind(kind))
    await say(update, context, _("Please choose with the buttons, or /cancel."), keyboard)


@parts.record_step
async def confirm(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Make the record in one transaction; the office is told of one that waits for it."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and query.data is not None and user is not None
    if query.data.removeprefix(parts.CONFIRM_DATA) != draft["key"] or not draft.get("note"):
        await refuse_button(update, context)
        return None
    record_draft = RecordDraft(
        enterprise_code=str(draft["code"]),
        quarter=Quarter.parse(str(draft["quarter"])),
        kind=RecordKind(draft["kind"]),
        item=draft.get("item"),
        yes=draft.get("yes"),
        points=draft.get("points"),
        note=str(draft["note"]),
        photo_file_id=draft.get("photo"),
    )
    await close_buttons(update)
    drop_draft(context, parts.KIND)
    try:
        async with context.db.write() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if person is None:
                raise Refused(NOT_RECORDER)
            record = await make_record(
                session=session,
                recorder=person,
                draft=record_draft,
                scheme=context.settings.assessment.scheme,
                now=utcnow(),
                tz=context.settings.bot.tzinfo,
            )
            record_id, waiting = record.id, record.decided_at is None
    except Refused as refused:
        await say(update, context, refusal_text(refused) + "\n" + _("Nothing was saved."))
        return END
    logger.info("governance record %s made by user %s", record_id, user.id)
    wake_outbox(context.application)
    if waiting:
        done = _(
            "Record #{number} is saved. The street property office is asked to approve it; you will be told."
        )
    else:
        done = _("Record #{number} is saved and counts at once.")
    await say(update, context, done.format(number=record_id))
    return END


def conversation() -> ConversationHandler[Context]:
    """/record's steps: enterprise, kind, item, value, quarter, note, photo, Confirm."""
    photo = PRIVATE_MESSAGE & filters.PHOTO
    pressed = CallbackQueryHandler
    return parts.FLOW.conversation(
        command="record",
        start=start_record,
        states={
            parts.ENTERPRISE: [
                pressed(enterprise_chosen, pattern=rf"^{parts.ENTERPRISE_DATA}\d{{1,12}}$"),
                pressed(enterprises_paged, pattern=rf"^{parts.ENTERPRISE_PAGE}\d{{1,6}}$"),
                MessageHandler(TEXT, enterprise_typed),
                MessageHandler(NOT_TEXT, enterprise_hint),
            ],
            parts.RECORD_KIND: [
                pressed(kind_chosen, pattern=f"^{parts.KIND_DATA}"),
                MessageHandler(ANY_INPUT, buttons_hint),
            ],
            parts.ITEM: [
                pressed(item_chosen, pattern=f"^{parts.ITEM_DATA}"),
                MessageHandler(ANY_INPUT, buttons_hint),
            ],
            parts.VALUE: [
                pressed(steps.yes_no_chosen, pattern=f"^({parts.YES}|{parts.NO})$"),
                MessageHandler(TEXT, steps.points_typed),
                MessageHandler(NOT_TEXT, steps.points_typed_hint),
            ],
            parts.QUARTER: [
                pressed(steps.quarter_chosen, pattern=rf"^{parts.QUARTER_DATA}{QUARTER_PATTERN}$"),
                MessageHandler(TEXT, steps.quarter_typed),
                MessageHandler(NOT_TEXT, steps.quarter_hint),
            ],
            parts.NOTE: [
                MessageHandler(TEXT, steps.note_typed),
                MessageHandler(photo, steps.note_photo),
                MessageHandler(NOT_TEXT, steps.note_hint),
            ],
            parts.PHOTO: [
                MessageHandler(photo, steps.photo_given),
                pressed(steps.photo_skipped, pattern=f"^{parts.NO_PHOTO}$"),
                MessageHandler(ANY_INPUT, steps.photo_hint),
            ],
            parts.CONFIRMING: [
                pressed(confirm, pattern=f"^{parts.CONFIRM_DATA}"),
                pressed(parts.FLOW.cancel, pattern=f"^{parts.CANCEL}$"),
                MessageHandler(ANY_INPUT, steps.confirm_hint),
            ],
        },
    )


def register(application: RedPropApplication) -> None:
    application.add_handler(conversation())
