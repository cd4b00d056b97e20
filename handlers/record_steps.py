"""/record's steps after the kind: yes or no or the points, the quarter, the note and the photo,
up to the summary to confirm (handlers/record.py has the rest)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from telegram import Update

from handlers import record_parts as parts
from handlers.context import Context
from handlers.drafts import close_buttons, say, text_taken
from handlers.replies import refuse_button
from locales.i18n import gettext as _
from locales.i18n import refusal_text
from models.assessment.access import recording_right
from models.assessment.records import YES_NO_KINDS, check_quarter_open, points_in_tenths, points_limit
from models.assessment.tables import RecordKind
from models.base import utcnow
from models.directory.people import find_person_by_telegram_id
from models.periods import Quarter
from models.refusal import Refused
from models.text import typed_text


async def ask_value(update: Update, context: Context, draft: dict[str, Any]) -> int:
    """Ask for yes or no, or for the points; a kind with neither (a veto event) goes on to the quarter."""
    kind = RecordKind(draft["kind"])
    if kind in YES_NO_KINDS:
        await say(update, context, parts.value_question(draft, None), parts.yes_no_keyboard())
        return parts.VALUE
    high = points_limit(kind, context.settings.assessment.scheme)
    if high is None:
        return await _ask_quarter(update, context)
    await say(update, context, parts.value_question(draft, f"{high.normalize():f}"))
    return parts.VALUE


@parts.record_step
async def yes_no_chosen(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Take yes or no."""
    query = update.callback_query
    assert query is not None
    if RecordKind(draft["kind"]) not in YES_NO_KINDS:
        await refuse_button(update, context)
        return None
    draft["yes"] = query.data == parts.YES
    await parts.chosen(
        update, parts.value_question(draft, None) + " " + (_("✓ Yes") if draft["yes"] else _("✗ No"))
    )
    return await _ask_quarter(update, context)


@parts.record_step
async def points_typed(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Take the points, checked by the domain's rule (0.1 up to the kind's most, in tenths)."""
    message = update.effective_message
    assert message is not None and message.text is not None
    kind = RecordKind(draft["kind"])
    high = points_limit(kind, context.settings.assessment.scheme)
    if high is None:  # yes or no: the buttons answer
        await say(update, context, _("Please tap Yes or No."), parts.yes_no_keyboard())
        return None
    try:
        tenths = points_in_tenths(message.text, high=high)
    except Refused as refused:
        await say(update, context, refusal_text(refused))
        return None
    draft["points"] = str(Decimal(tenths) / 10)
    return await _ask_quarter(update, context)


@parts.record_step
async def points_typed_hint(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Point to Yes and No, or ask for the points in digits."""
    if RecordKind(draft["kind"]) in YES_NO_KINDS:
        await say(update, context, _("Please tap Yes or No."), parts.yes_no_keyboard())
    else:
        await say(update, context, _("Please type the points as a number, like 1.5."))


@parts.record_step
async def quarter_hint(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Point to the quarter buttons."""
    current = Quarter.of(utcnow(), context.settings.bot.tzinfo)
    await say(
        update, context, _("Please tap a quarter, or type one like 2026Q2."), parts.quarter_keyboard(current)
    )


async def _ask_quarter(update: Update, context: Context) -> int:
    current = Quarter.of(utcnow(), context.settings.bot.tzinfo)
    text = _("Which quarter is it for? Tap one, or type another, like {example}.").format(
        example=current.previous.previous
    )
    await say(update, context, text, parts.quarter_keyboard(current))
    return parts.QUARTER


async def _take_quarter(update: Update, context: Context, draft: dict[str, Any], text: str) -> int | None:
    """Take the quarter if it has begun and is not final; None once told why not."""
    user = update.effective_user
    assert user is not None
    try:
        quarter = Quarter.parse(text)
        async with context.db.read() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            _enterprise, right = await recording_right(
                session=session, person=person, enterprise_code=draft["code"]
            )
            await check_quarter_open(
                session=session,
                street_id=right.street_id,
                quarter=quarter,
                now=utcnow(),
                tz=context.settings.bot.tzinfo,
            )
    except Refused as refused:
        current = Quarter.of(utcnow(), context.settings.bot.tzinfo)
        await say(update, context, refusal_text(refused), parts.quarter_keyboard(current))
        return None
    draft["quarter"] = str(quarter)
    text = _("Quarter: {quarter}").format(quarter=quarter) + "\n\n"
    text += _(
        "Now the note: what happened, when, who was there. You may send a photo with the note as its caption."
    )
    await say(update, context, text)
    return parts.NOTE


@parts.record_step
async def quarter_chosen(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Take the quarter from its button."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await close_buttons(update)
    return await _take_quarter(update, context, draft, query.data.removeprefix(parts.QUARTER_DATA))


@parts.record_step
async def quarter_typed(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Take a typed quarter, like 2026Q2."""
    message = update.effective_message
    assert message is not None and message.text is not None
    return await _take_quarter(update, context, draft, message.text)


@parts.record_step
async def note_typed(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Take the note, then offer to add a photo."""
    text = await text_taken(update, context, if_empty=parts.WRITE_THE_NOTE)
    if text is None:
        return None
    draft["note"] = text
    await say(update, context, _("Add a photo as evidence, or tap No photo."), parts.photo_keyboard())
    return parts.PHOTO


@parts.record_step
async def note_photo(update: Update, context: Context, draft: dict[str, Any]) -> int | None:
    """Take a photo with the note as its caption."""
    message = update.effective_message
    assert message is not None and message.photo
    try:
        note = typed_text(message.caption or "", limit=context.settings.cases.max_text_length)
    except Refused as refused:
        await say(update, context, refusal_text(refused))
        return None
    if not note:
        await say(
            update, context, _("Please write the note as the photo's caption, or send it as text first.")
        )
        return None
    draft["note"] = note
    draft["photo"] = message.photo[-1].file_id
    return await _show_summary(update, context, draft)


@parts.record_step
async def note_hint(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Ask for the note in words."""
    await say(update, context, _(parts.WRITE_THE_NOTE))


@parts.record_step
async def photo_given(update: Update, context: Context, draft: dict[str, Any]) -> int:
    """Take the photo (its largest size)."""
    message = update.effective_message
    assert message is not None and message.photo
    draft["photo"] = message.photo[-1].file_id
    return await _show_summary(update, context, draft)


@parts.record_step
async def photo_skipped(update: Update, context: Context, draft: dict[str, Any]) -> int:
    """Go on without a photo."""
    draft.pop("photo", None)
    await close_buttons(update)
    return await _show_summary(update, context, draft)


@parts.record_step
async def photo_hint(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Ask for a photo, or No photo."""
    await say(update, context, _("Please send a photo, or tap No photo."), parts.photo_keyboard())


async def _show_summary(update: Update, context: Context, draft: dict[str, Any]) -> int:
    await say(update, context, parts.summary(draft), parts.confirm_keyboard(draft))
    return parts.CONFIRMING


@parts.record_step
async def confirm_hint(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Point to Confirm and Cancel."""
    await say(update, context, _("Please use the buttons: Confirm or Cancel."), parts.confirm_keyboard(draft))
