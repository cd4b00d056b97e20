"""/report: category → description → photos → location → summary → a case number.

The draft lives in ``context.user_data["report"]`` and the conversation state in the database
(persistent ConversationHandler), so a restart in the middle lets the resident carry on.
Confirm carries the draft key: the domain opens one case per key, and a Confirm pressed again
after the case exists only names it. The steps themselves are in ``handlers/report_steps.py``.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import (
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers import report_steps as steps
from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.drafts import (
    ANY_INPUT,
    END,
    NOT_TEXT,
    PRIVATE_MESSAGE,
    TEXT,
    drop_draft,
    live_draft,
    new_draft,
    remove_keyboard,
    say,
)
from handlers.replies import answer_unused, refuse_button
from locales.i18n import N_, format_time, refusal_text
from locales.i18n import gettext as _
from models.base import utcnow
from models.cases.categories import ReportCategory
from models.cases.opening import CaseDraft, OpenedCase, case_for_draft
from models.cases.reporting import TOO_MANY_REPORTS, confirm_report, may_start_report
from models.cases.tables import OwnerLevel
from models.directory.people import find_person_by_telegram_id, is_registered, register_user
from models.refusal import Refused

KIND = steps.KIND
FLOW = steps.FLOW

OWNER_LEVEL_NAMES: dict[OwnerLevel, str] = {
    OwnerLevel.INSTRUCTOR: N_("party-building instructor"),
    OwnerLevel.PARTY_COMMITTEE: N_("community party committee"),
    OwnerLevel.OFFICE: N_("street property office"),
}


async def start_report(update: Update, context: Context) -> int:
    """Start a report: check the community and the hourly limit, then ask for the category."""
    user = update.effective_user
    assert user is not None
    if await FLOW.another_open(update, context):
        return END
    rules = context.settings.cases.report_rules
    community = None
    try:
        # A read will do for someone registered already, as a resident who reports always is.
        async with context.db.read() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if is_registered(person, language_code=user.language_code):
                community = await may_start_report(session=session, person=person, rules=rules, now=utcnow())
        if community is None:
            async with context.db.write() as session:
                person = await register_user(
                    session=session,
                    telegram_id=user.id,
                    name=user.full_name,
                    language_code=user.language_code,
                )
                community = await may_start_report(session=session, person=person, rules=rules, now=utcnow())
    except Refused as refused:
        drop_draft(context, KIND)
        await say(update, context, refusal_text(refused), remove_keyboard())
        return END
    text = _("What is the problem about? Choose a category:")
    if live_draft(context, KIND) is not None:
        text = _("Your unfinished report was discarded; here is a new one.") + "\n" + text
    new_draft(
        context,
        KIND,
        category=None,
        description=None,
        photos=[],
        lat=None,
        lon=None,
        # The summary names the community; read here once rather than again at that step.
        community=community,
    )
    await say(update, context, text, steps.category_keyboard())
    return steps.CATEGORY


def receipt(opened: OpenedCase) -> str:
    """What the resident is told once the case exists: its number, its owner, when to expect an answer."""
    case, owner = opened.case, opened.owner
    lines = [_("Thank you! Your case number is {number}.").format(number=case.number)]
    if owner is not None:
        role = _(OWNER_LEVEL_NAMES[OwnerLevel(case.owner_level)])
        lines.append(_("It went to {owner} ({role}).").format(owner=owner.name or "—", role=role))
    else:
        lines.append(_("It went to the street property office."))
    lines.append(
        _("Expect a first answer by {time}.").format(time=format_time(case.response_due_at, "short"))
    )
    return "\n".join(lines)


@steps.report_step
async def confirm(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Open the case from the draft (once, however often Confirm is pressed) and give its number."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and query.data is not None and user is not None
    if query.data.removeprefix(steps.CONFIRM_DATA) != draft["key"] or not draft.get("description"):
        await refuse_button(update, context)
        return None
    case_draft = CaseDraft(
        key=str(draft["key"]),
        category=ReportCategory(draft["category"]),
        description=str(draft["description"]),
        photo_file_ids=[str(file_id) for file_id in draft.get("photos") or []],
        latitude=draft.get("lat"),
        longitude=draft.get("lon"),
    )
    try:
        opened = await confirm_report(
            database=context.db,
            telegram_id=user.id,
            draft=case_draft,
            rules=context.settings.cases.report_rules,
            now=utcnow(),
            numbering_zone=context.settings.bot.tzinfo,
        )
    except Refused as refused:
        await query.answer()
        await say(update, context, refusal_text(refused))
        # Over the hourly limit the draft stays, to be confirmed later.
        if refused.message == TOO_MANY_REPORTS:
            return None
        drop_draft(context, KIND)
        return END
    details = await steps.report_details(context, user.id, draft)
    drop_draft(context, KIND)
    wake_outbox(context.application)
    await show_receipt(update, context, receipt(opened) + "\n\n" + details)
    return END


async def show_receipt(update: Update, context: Context, text: str) -> None:
    """Turn the confirmed summary into the receipt: the number where the resident is looking,
    what they reported under it, and no buttons left to press."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    try:
        with answer_unused():
            await query.edit_message_text(text)
    except BadRequest:
        # The summary can no longer be edited (deleted meanwhile): the receipt comes as a message.
        await say(update, context, text)


async def stale_confirm(update: Update, context: Context) -> None:
    """Answer a Confirm pressed after its report was sent: name the case, create nothing."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and query.data is not None and user is not None
    async with context.db.read() as session:
        reporter = await find_person_by_telegram_id(session=session, telegram_id=user.id)
        key = query.data.removeprefix(steps.CONFIRM_DATA)
        case = await case_for_draft(session=session, reporter=reporter, draft_key=key) if reporter else None
    if case is None:
        await refuse_button(update, context)
        return
    text = _("This report was already sent as case {number}.").format(number=case.number)
    await query.answer(text, show_alert=True)
    await query.edit_message_reply_markup(reply_markup=None)


def conversation() -> ConversationHandler[Context]:
    """/report's steps, from the category to Confirm."""
    private = PRIVATE_MESSAGE
    return FLOW.conversation(
        command="report",
        start=start_report,
        states={
            steps.CATEGORY: [
                CallbackQueryHandler(steps.category_chosen, pattern=f"^{steps.CATEGORY_DATA}"),
                MessageHandler(ANY_INPUT, steps.category_hint),
            ],
            steps.DESCRIPTION: [
                MessageHandler(TEXT, steps.description_given),
                MessageHandler(NOT_TEXT, steps.description_hint),
            ],
            steps.PHOTOS: [
                MessageHandler(private & filters.PHOTO, steps.photo_given),
                CallbackQueryHandler(
                    steps.photos_finished, pattern=f"^({steps.PHOTOS_DONE}|{steps.PHOTOS_SKIP})$"
                ),
                MessageHandler(ANY_INPUT, steps.photos_hint),
            ],
            steps.LOCATION: [
                MessageHandler(private & filters.LOCATION, steps.location_given),
                MessageHandler(TEXT, steps.location_text),  # the Skip key, or a hint
                CallbackQueryHandler(steps.location_skipped, pattern=f"^{steps.LOCATION_SKIP}$"),
                MessageHandler(ANY_INPUT, steps.location_hint),
            ],
            steps.CONFIRM: [
                CallbackQueryHandler(confirm, pattern=f"^{steps.CONFIRM_DATA}"),
                CallbackQueryHandler(steps.edit_chosen, pattern=f"^{steps.EDIT}(:|$)"),
                CallbackQueryHandler(FLOW.cancel, pattern=f"^{steps.CANCEL}$"),
                MessageHandler(ANY_INPUT, steps.confirm_hint),
            ],
        },
    )


def register(application: RedPropApplication) -> None:
    application.add_handler(conversation())
    application.add_handler(CallbackQueryHandler(stale_confirm, pattern=f"^{steps.CONFIRM_DATA}"))
