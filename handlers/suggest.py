"""/suggest: a suggestion for the resident's community (an idea, not a fault) → Confirm → stored.

Suggestions are counted apart from cases (``models.cases.tables.Suggestion``). The draft lives in
``context.user_data["suggest"]`` and the conversation state in the database, like /report's.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
)

from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.draft_flow import DraftFlow
from handlers.drafts import (
    ANY_INPUT,
    END,
    NOT_TEXT,
    TEXT,
    close_buttons,
    drop_draft,
    new_draft,
    say,
    text_taken,
)
from handlers.replies import refuse_button
from locales.i18n import N_, refusal_text
from locales.i18n import gettext as _
from models.base import utcnow
from models.cases.suggestions import check_suggestion_limit, submit_suggestion
from models.directory.people import register_user
from models.directory.tables import Community
from models.refusal import Refused

KIND = "suggest"
WRITING, CONFIRMING = range(2)

CONFIRM_DATA = "s:ok:"  # + the draft key
CANCEL = "s:cancel"

WRITE_IN_WORDS = N_("Please write your suggestion in words.")
FLOW = DraftFlow(
    kind=KIND,
    cancelled=N_("Suggestion cancelled. Nothing was sent."),
    discarded=N_("Your unfinished suggestion was discarded."),
    busy=N_("You are writing a suggestion. Finish it, or send /cancel to stop it."),
    expired=N_("Your unfinished suggestion was discarded after {duration}. Send /suggest to start again."),
)
suggest_step = FLOW.step


def confirm_keyboard(draft: dict[str, Any]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Confirm"), callback_data=f"{CONFIRM_DATA}{draft['key']}"),
                InlineKeyboardButton(_("Cancel"), callback_data=CANCEL),
            ]
        ]
    )


async def start_suggestion(update: Update, context: Context) -> int:
    """Start a suggestion for the resident's community: ask for the text."""
    user = update.effective_user
    assert user is not None
    if await FLOW.another_open(update, context):
        return END
    per_hour = context.settings.cases.suggestions_per_hour
    try:
        async with context.db.write() as session:
            person = await register_user(
                session=session, telegram_id=user.id, name=user.full_name, language_code=user.language_code
            )
            await check_suggestion_limit(session=session, author=person, per_hour=per_hour, now=utcnow())
            community = await session.get(Community, person.community_id)
            assert community is not None
    except Refused as refused:
        drop_draft(context, KIND)
        await say(update, context, refusal_text(refused))
        return END
    new_draft(context, KIND, text=None, community=community.name)
    text = _(
        "What would you like to suggest for {community}? An idea, not a fault (for a fault, use /report). "
        "Write it in one message."
    ).format(community=community.name)
    await say(update, context, text)
    return WRITING


@suggest_step
async def text_given(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Take the suggestion's text, if it is not too long, and ask to confirm it."""
    text = await text_taken(update, context, if_empty=WRITE_IN_WORDS)
    if text is None:
        return None
    draft["text"] = text
    summary = _("Your suggestion for {community}:").format(community=draft.get("community", "—"))
    await say(update, context, summary + "\n\n" + text, confirm_keyboard(draft))
    return CONFIRMING


@suggest_step
async def text_hint(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Ask for words instead of a sticker, voice note or the like."""
    await say(update, context, _(WRITE_IN_WORDS))


@suggest_step
async def confirm_hint(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Point to the Confirm and Cancel buttons."""
    await say(update, context, _("Please use the buttons: Confirm or Cancel."), confirm_keyboard(draft))


@suggest_step
async def confirm(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Store the suggestion for the resident's community and thank them."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and query.data is not None and user is not None
    if query.data.removeprefix(CONFIRM_DATA) != draft["key"] or not draft.get("text"):
        await refuse_button(update, context)
        return None
    try:
        async with context.db.write() as session:
            suggestion = await submit_suggestion(
                session=session,
                telegram_id=user.id,
                text=str(draft["text"]),
                per_hour=context.settings.cases.suggestions_per_hour,
                now=utcnow(),
            )
            community = await session.get(Community, suggestion.community_id)
    except Refused as refused:
        await query.answer()
        await say(update, context, refusal_text(refused))
        drop_draft(context, KIND)
        return END
    await close_buttons(update)
    drop_draft(context, KIND)
    wake_outbox(context.application)
    name = community.name if community is not None else "—"
    await say(
        update,
        context,
        _("Thank you! Your suggestion was passed on to {community}.").format(community=name),
    )
    return END


def conversation() -> ConversationHandler[Context]:
    """/suggest's steps: the text, then Confirm."""
    return FLOW.conversation(
        command="suggest",
        start=start_suggestion,
        states={
            WRITING: [MessageHandler(TEXT, text_given), MessageHandler(NOT_TEXT, text_hint)],
            CONFIRMING: [
                CallbackQueryHandler(confirm, pattern=f"^{CONFIRM_DATA}"),
                CallbackQueryHandler(FLOW.cancel, pattern=f"^{CANCEL}$"),
                MessageHandler(ANY_INPUT, confirm_hint),
            ],
        },
    )


def register(application: RedPropApplication) -> None:
    application.add_handler(conversation())
