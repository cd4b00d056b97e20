"""The steps of /report between the category and the summary, and the texts and keyboards they show.

Each step keeps the draft in ``context.user_data["report"]`` (see ``handlers/drafts.py``); while
the resident edits one field from the summary (``draft["editing"]``), a step goes straight
back to the summary instead of on to the next step.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup, Update

from config.settings import SUPPORTED_LOCALES
from handlers.context import Context
from handlers.draft_flow import DraftFlow
from handlers.drafts import close_buttons, remove_keyboard, reply_keyboard, say, text_taken
from handlers.replies import answer_unused, refuse_button
from locales.i18n import N_, per_language, use_locale
from locales.i18n import gettext as _
from models.cases.categories import CATEGORY_NAMES, ReportCategory
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Community

KIND = "report"
CATEGORY, DESCRIPTION, PHOTOS, LOCATION, CONFIRM = range(5)

CATEGORY_DATA = "r:cat:"
PHOTOS_DONE = "r:photos:done"
PHOTOS_SKIP = "r:photos:skip"
LOCATION_SKIP = "r:loc:skip"
CONFIRM_DATA = "r:ok:"  # + the draft key, so an old summary never confirms a newer draft
EDIT = "r:edit"
EDIT_FIELD = "r:edit:"
CANCEL = "r:cancel"

DESCRIBE_IN_WORDS = N_("Please describe the problem in words.")
FLOW = DraftFlow(
    kind=KIND,
    cancelled=N_("Report cancelled. Nothing was sent."),
    discarded=N_("Your unfinished report was discarded."),
    busy=N_("You are in the middle of a report. Carry on, or send /cancel to stop it."),
    expired=N_("Your unfinished report was discarded after {duration}. Send /report to start again."),
)
report_step = FLOW.step


# --- keyboards and texts -------------------------------------------------------------------


# Keyboards that depend only on the language (and the choice shown) are built once: twelve
# buttons were a noticeable part of the work of each /report when built every time.


@per_language
def category_keyboard(current: str | None = None) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            ("✓ " if category.value == current else "") + _(CATEGORY_NAMES[category]),
            callback_data=f"{CATEGORY_DATA}{category.value}",
        )
        for category in ReportCategory
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


@per_language
def photos_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Done"), callback_data=PHOTOS_DONE),
                InlineKeyboardButton(_("Skip"), callback_data=PHOTOS_SKIP),
            ]
        ]
    )


def summary_keyboard(draft: dict[str, Any]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Confirm"), callback_data=f"{CONFIRM_DATA}{draft['key']}"),
                InlineKeyboardButton(_("Edit"), callback_data=EDIT),
            ],
            [InlineKeyboardButton(_("Cancel"), callback_data=CANCEL)],
        ]
    )


def edit_keyboard(max_photos: int) -> InlineKeyboardMarkup:
    fields = [("category", _("Category")), ("description", _("Description"))]
    if max_photos:
        fields.append(("photos", _("Photos")))
    fields.append(("location", _("Location")))
    buttons = [InlineKeyboardButton(label, callback_data=f"{EDIT_FIELD}{name}") for name, label in fields]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(_("Back to the summary"), callback_data=f"{EDIT_FIELD}back")])
    return InlineKeyboardMarkup(rows)


def shown(text: str, room: int = 3500) -> str:
    """The resident's text, cut to leave room for our lines within Telegram's 4096 characters."""
    return text if len(text) <= room else text[:room] + "…"


def category_name(value: str | None) -> str:
    try:
        return _(CATEGORY_NAMES[ReportCategory(str(value))])
    except ValueError:
        return "—"


async def community_name(context: Context, telegram_id: int) -> str:
    """The resident's community, read for a draft that does not carry its name."""
    async with context.db.read() as session:
        person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
        community = (
            await session.get(Community, person.community_id)
            if person is not None and person.community_id is not None
            else None
        )
    return community.name if community is not None else "—"


async def report_details(context: Context, telegram_id: int, draft: dict[str, Any]) -> str:
    """What the resident reported, as the summary and then the receipt show it."""
    photos = len(draft.get("photos") or [])
    if draft.get("lat") is not None and draft.get("lon") is not None:
        location = f"{draft['lat']:.5f}, {draft['lon']:.5f}"
    else:
        location = _("not given")
    lines = [
        _("Community: {community}").format(
            community=draft.get("community") or await community_name(context, telegram_id)
        ),
        _("Category: {category}").format(category=category_name(draft.get("category"))),
        _("Photos: {count}").format(count=photos),
        _("Location: {location}").format(location=location),
        "",
        shown(str(draft.get("description") or "")),
    ]
    return "\n".join(lines)


async def show_summary(update: Update, context: Context, draft: dict[str, Any]) -> int:
    """Show everything the resident entered, with Confirm / Edit / Cancel."""
    draft.pop("editing", None)
    user = update.effective_user
    assert user is not None
    details = await report_details(context, user.id, draft)
    await say(update, context, _("Please check your report:") + "\n\n" + details, summary_keyboard(draft))
    return CONFIRM


def description_prompt(draft: dict[str, Any]) -> str:
    if draft.get("editing") and draft.get("description"):
        text = _("The description now reads:") + "\n\n" + shown(str(draft["description"])) + "\n\n"
        return text + _("Send the new description.")
    return _("Describe the problem in a message: what is wrong, where exactly (building, floor), since when.")


async def ask_description(update: Update, context: Context, draft: dict[str, Any]) -> int:
    await say(update, context, description_prompt(draft))
    return DESCRIPTION


async def ask_photos(update: Update, context: Context, draft: dict[str, Any]) -> int:
    limit = context.settings.cases.max_photos
    if not limit:
        return await ask_location(update, context, draft)
    photos = draft.get("photos") or []
    if draft.get("editing") and photos:
        text = _(
            "You have attached {count} photos. Send more (up to {limit} in all) and tap Done, "
            "or tap Skip to remove them all."
        ).format(count=len(photos), limit=limit)
    else:
        draft["photos"] = []
        text = _("Send up to {limit} photos of the problem, then tap Done. No photos? Tap Skip.").format(
            limit=limit
        )
    await say(update, context, text, photos_keyboard())
    return PHOTOS


@cache
def skip_words() -> frozenset[str]:
    """The Skip key's label in every language: a reply keyboard sends it back as text."""
    words = set()
    for locale in SUPPORTED_LOCALES:
        with use_locale(locale):
            words.add(_("Skip"))
    return frozenset(words)


@per_language
def location_keyboard() -> ReplyKeyboardMarkup:
    # A reply keyboard is big and easy to hit on a phone, and carries both choices.
    return reply_keyboard(
        [[KeyboardButton(_("📍 Send my location"), request_location=True)], [KeyboardButton(_("Skip"))]]
    )


async def ask_location(update: Update, context: Context, draft: dict[str, Any]) -> int:
    text = _("Where is the problem? Tap “Send my location” below, or attach a location on the map.")
    await say(update, context, text + "\n" + _("No location to give? Tap Skip."), location_keyboard())
    return LOCATION


# --- the steps ------------------------------------------------------------------------------


@report_step
async def category_chosen(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Take the category from its button."""
    query = update.callback_query
    assert query is not None and query.data is not None
    try:
        category = ReportCategory(query.data.removeprefix(CATEGORY_DATA))
    except ValueError:
        await refuse_button(update, context)
        return None
    draft["category"] = category.value
    await query.answer()
    chosen = _("Category: {category}").format(category=category_name(category.value))
    if draft.get("editing"):
        await query.edit_message_text(chosen)
        return await show_summary(update, context, draft)
    # The next question goes into the message just tapped: where the resident is looking.
    with answer_unused():
        await query.edit_message_text(chosen + "\n\n" + description_prompt(draft))
    return DESCRIPTION


@report_step
async def category_hint(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Point to the category buttons."""
    await say(
        update,
        context,
        _("Please choose a category with the buttons."),
        category_keyboard(draft.get("category")),
    )


@report_step
async def description_given(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Take the description, if it is not too long."""
    text = await text_taken(update, context, if_empty=DESCRIBE_IN_WORDS)
    if text is None:
        return None
    draft["description"] = text
    if draft.get("editing"):
        return await show_summary(update, context, draft)
    return await ask_photos(update, context, draft)


@report_step
async def description_hint(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Ask for words instead of a sticker, voice note, photo or the like."""
    await say(update, context, _(DESCRIBE_IN_WORDS))


@report_step
async def photo_given(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Keep the photo (its largest size), up to the limit."""
    message = update.effective_message
    assert message is not None and message.photo
    limit = context.settings.cases.max_photos
    photos: list[str] = draft.setdefault("photos", [])
    if len(photos) >= limit:
        text = _("You can attach at most {limit} photos. Tap Done to continue.").format(limit=limit)
    else:
        file_id = message.photo[-1].file_id
        if file_id not in photos:  # Telegram may deliver the same update again after a crash
            photos.append(file_id)
        text = _("Photo {count} received (up to {limit}).").format(count=len(photos), limit=limit) + " "
        text += _("Send more, or tap Done.") if len(photos) < limit else _("Tap Done to continue.")
    await say(update, context, text, photos_keyboard())


@report_step
async def photos_hint(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Ask for photos (not files, stickers or text), or Done / Skip."""
    message = update.effective_message
    if message is not None and message.document is not None:
        text = _("Please send pictures as photos, not as files.")
    else:
        text = _("Please send photos of the problem, or tap Done or Skip.")
    await say(update, context, text, photos_keyboard())


@report_step
async def photos_finished(update: Update, context: Context, draft: dict[str, Any]) -> int:
    """Move on from the photos: Done keeps them, Skip drops them."""
    query = update.callback_query
    assert query is not None
    if query.data == PHOTOS_SKIP:
        draft["photos"] = []
    await close_buttons(update)
    if draft.get("editing"):
        return await show_summary(update, context, draft)
    return await ask_location(update, context, draft)


@report_step
async def location_given(update: Update, context: Context, draft: dict[str, Any]) -> int:
    """Take the shared location and show the summary."""
    message = update.effective_message
    assert message is not None and message.location is not None
    draft["lat"] = message.location.latitude
    draft["lon"] = message.location.longitude
    await say(update, context, _("Location received."), remove_keyboard())
    return await show_summary(update, context, draft)


async def _without_location(update: Update, context: Context, draft: dict[str, Any]) -> int:
    draft["lat"] = draft["lon"] = None
    await close_buttons(update)
    await say(update, context, _("OK, no location."), remove_keyboard())
    return await show_summary(update, context, draft)


async def _point_to_location(update: Update, context: Context) -> None:
    text = _("Please share a location with the button below, or tap Skip.")
    await say(update, context, text, location_keyboard())


@report_step
async def location_skipped(update: Update, context: Context, draft: dict[str, Any]) -> int:
    """Go on without a location (the inline Skip of a message sent before the Skip key)."""
    return await _without_location(update, context, draft)


@report_step
async def location_text(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Take Skip from the keyboard; point any other text to the location key and Skip."""
    message = update.effective_message
    assert message is not None and message.text is not None
    if message.text.strip() in skip_words():
        return await _without_location(update, context, draft)
    await _point_to_location(update, context)
    return None


@report_step
async def location_hint(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Point to the location key and Skip."""
    await _point_to_location(update, context)


@report_step
async def confirm_hint(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Point to the summary's buttons."""
    await say(update, context, _("Please use the buttons: Confirm, Edit or Cancel."), summary_keyboard(draft))


@report_step
async def edit_chosen(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Offer the fields to change, or go to the one chosen."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if query.data == EDIT:
        await query.answer()
        await query.edit_message_reply_markup(edit_keyboard(context.settings.cases.max_photos))
        return None
    field = query.data.removeprefix(EDIT_FIELD)
    if field == "back":
        await query.answer()
        await query.edit_message_reply_markup(summary_keyboard(draft))
        return None
    if field not in ("category", "description", "photos", "location"):
        await refuse_button(update, context)
        return None
    await close_buttons(update)
    draft["editing"] = True
    if field == "category":
        await say(update, context, _("Choose the category:"), category_keyboard(draft.get("category")))
        return CATEGORY
    if field == "description":
        return await ask_description(update, context, draft)
    if field == "photos":
        return await ask_photos(update, context, draft)
    return await ask_location(update, context, draft)
