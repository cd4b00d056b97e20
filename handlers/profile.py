"""/profile: a resident's community, building/unit and phone, and the steps that change them.

Callback data: ``p:chg`` change community (the picker in ``handlers/picker.py``), ``p:cm:<id>``
a community chosen, ``p:bld`` change building, ``p:bskip`` skip the building, ``p:ph`` share
the phone (Telegram's contact button), ``p:rmph`` remove it.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from handlers import picker  # its handlers are registered with the profile's
from handlers.callback_data import an_id, fields
from handlers.context import Context, RedPropApplication
from handlers.picker import PREFIX, chosen_street, edit_text, picker_start
from handlers.replies import refuse_button
from handlers.start import help_command, start
from locales.i18n import N_, refusal_text
from locales.i18n import gettext as _
from models.directory.people import register_user
from models.directory.residence import (
    Residence,
    choose_community,
    remove_phone,
    residence_of,
    set_building,
    set_phone,
)
from models.directory.tables import Person
from models.refusal import Refused

# Conversation states.
BUILDING = 1  # waiting for the building/unit as text
PHONE = 2  # the contact button is shown

PHONE_AUDIENCE = N_("Only the instructor and staff handling your cases will see your number.")


@asynccontextmanager
async def _registered(update: Update, context: Context) -> AsyncIterator[tuple[AsyncSession, Person]]:
    """A write transaction and the user as a person in it, registered if this is their first contact."""
    user = update.effective_user
    assert user is not None
    async with context.db.write() as session:
        person = await register_user(
            session=session, telegram_id=user.id, name=user.full_name, language_code=user.language_code
        )
        yield session, person


async def _person(update: Update, context: Context) -> Person:
    """The user as a person, registering them if this is their first contact."""
    async with _registered(update, context) as (_session, person):
        return person


def profile_view(residence: Residence) -> tuple[str, InlineKeyboardMarkup]:
    """The profile text and its buttons."""
    person = residence.person
    lines = [_("Your profile")]
    if residence.community is not None and residence.street is not None:
        place = f"{residence.community.name} ({residence.street.name})"
        lines.append(_("Community: {community}").format(community=place))
    else:
        lines.append(_("Community: not chosen yet"))
    lines.append(_("Building/unit: {building}").format(building=person.building or _("not given")))
    if person.phone and person.phone_shared:
        lines.append(_("Phone: {phone}").format(phone=person.phone))
        lines.append(_(PHONE_AUDIENCE))
    else:
        lines.append(_("Phone: not shared"))
    if residence.community is None:
        rows = [[InlineKeyboardButton(_("Choose community"), callback_data=f"{PREFIX}:chg")]]
    else:
        rows = [
            [
                InlineKeyboardButton(_("Change community"), callback_data=f"{PREFIX}:chg"),
                InlineKeyboardButton(_("Change building"), callback_data=f"{PREFIX}:bld"),
            ]
        ]
    phone_row = [InlineKeyboardButton(_("Share phone"), callback_data=f"{PREFIX}:ph")]
    if person.phone_shared:
        phone_row.append(InlineKeyboardButton(_("Remove phone"), callback_data=f"{PREFIX}:rmph"))
    rows.append(phone_row)
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def _profile_of(context: Context, person: Person) -> tuple[str, InlineKeyboardMarkup]:
    async with context.db.read() as session:
        fresh = await session.get(Person, person.id)
        assert fresh is not None
        return profile_view(await residence_of(session=session, person=person))


async def send_profile(update: Update, context: Context, person: Person) -> None:
    message = update.effective_message
    if message is not None:
        text, keyboard = await _profile_of(context, person)
        await message.reply_text(text, reply_markup=keyboard)


async def show_profile(update: Update, context: Context) -> int:
    """Show the user's community, building and phone with buttons to change them."""
    await send_profile(update, context, await _person(update, context))
    return ConversationHandler.END


async def change_community(update: Update, context: Context) -> None:
    """Turn the profile into the street → community picker."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    async with context.db.read() as session:
        text, keyboard = await picker_start(session=session, context=context)
    await edit_text(update, text, keyboard if keyboard.inline_keyboard else None)


def _building_prompt() -> tuple[str, InlineKeyboardMarkup]:
    text = _("Which building and unit do you live in? For example: 3-2-501.") + "\n" + _("You may skip this.")
    return text, InlineKeyboardMarkup([[InlineKeyboardButton(_("Skip"), callback_data=f"{PREFIX}:bskip")]])


async def _hint(update: Update, text: str) -> None:
    """Reply with what the current step expects; the conversation stays where it was."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(text)


async def community_chosen(update: Update, context: Context) -> int | None:
    """Join the picked community, then ask for the building."""
    query = update.callback_query
    assert query is not None
    parts = fields(query.data, PREFIX, 2)
    community_id = an_id(parts[1]) if parts is not None and parts[0] == "cm" else None
    street_id = chosen_street(context)
    if community_id is None or street_id is None:
        await refuse_button(update, context)
        return None
    try:
        async with _registered(update, context) as (session, person):
            community = await choose_community(
                session=session, person=person, community_id=community_id, street_id=street_id
            )
    except Refused:
        await refuse_button(update, context)
        return None
    await query.answer()
    await edit_text(update, _("You are now registered in {community}.").format(community=community.name))
    text, keyboard = _building_prompt()
    await context.bot.send_message(person.telegram_id or 0, text, reply_markup=keyboard)
    return BUILDING


async def ask_building(update: Update, context: Context) -> int:
    """Ask for the building and unit as free text."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    text, keyboard = _building_prompt()
    await context.bot.send_message(query.from_user.id, text, reply_markup=keyboard)
    return BUILDING


async def building_typed(update: Update, context: Context) -> int:
    """Store the building/unit the user wrote, then show the profile."""
    message = update.effective_message
    assert message is not None and message.text is not None
    try:
        async with _registered(update, context) as (session, person):
            await set_building(session=session, person=person, building=message.text)
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
        return BUILDING
    await message.reply_text(_("Saved."))
    await send_profile(update, context, person)
    return ConversationHandler.END


async def building_skipped(update: Update, context: Context) -> int:
    """Leave the building as it is and show the profile."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await edit_text(update, _("Building/unit skipped. You can add it later in /profile."))
    await send_profile(update, context, await _person(update, context))
    return ConversationHandler.END


async def building_hint(update: Update, context: Context) -> int:
    """Remind the user that the building is typed as text."""
    await _hint(update, _("Please type your building and unit as text, or tap Skip."))
    return BUILDING


async def ask_phone(update: Update, context: Context) -> int:
    """Show Telegram's contact button, saying who will see the number."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(_("Share my phone number"), request_contact=True)], [KeyboardButton(_("Not now"))]],
        one_time_keyboard=True,
        resize_keyboard=True,
    )
    text = _("Tap the button below to share your phone number.") + "\n" + _(PHONE_AUDIENCE)
    await context.bot.send_message(query.from_user.id, text, reply_markup=keyboard)
    return PHONE


async def contact_shared(update: Update, context: Context) -> int:
    """Store the user's own phone from the contact they shared; refuse anyone else's."""
    message = update.effective_message
    assert message is not None and message.contact is not None
    try:
        async with _registered(update, context) as (session, person):
            await set_phone(
                session=session,
                person=person,
                phone=message.contact.phone_number,
                contact_user_id=message.contact.user_id,
            )
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
        return PHONE
    await message.reply_text(
        _("Thank you, your phone number is saved.") + "\n" + _(PHONE_AUDIENCE),
        reply_markup=ReplyKeyboardRemove(),
    )
    await send_profile(update, context, person)
    return ConversationHandler.END


async def phone_not_now(update: Update, context: Context) -> int:
    """Put the contact button away without changing anything."""
    message = update.effective_message
    assert message is not None
    await message.reply_text(_("Your phone number was not changed."), reply_markup=ReplyKeyboardRemove())
    return ConversationHandler.END


async def phone_hint(update: Update, context: Context) -> int:
    """Point at the contact button."""
    await _hint(update, _("Please tap “Share my phone number” below, or “Not now”."))
    return PHONE


async def phone_removed(update: Update, context: Context) -> None:
    """Forget the shared phone and redraw the profile."""
    query = update.callback_query
    assert query is not None
    async with _registered(update, context) as (session, person):
        await remove_phone(session=session, person=person)
    await query.answer(_("Your phone number is removed."))
    await edit_text(update, *await _profile_of(context, person))


async def cancel(update: Update, context: Context) -> int:
    """Leave the profile step, changing nothing more."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(_("Cancelled."), reply_markup=ReplyKeyboardRemove())
    return ConversationHandler.END


async def restart(update: Update, context: Context) -> int:
    """End the profile step and run /start."""
    await start(update, context)
    return ConversationHandler.END


async def help_instead(update: Update, context: Context) -> int:
    """End the profile step and run /help."""
    await help_command(update, context)
    return ConversationHandler.END


def conversation() -> ConversationHandler[Context]:
    private = filters.ChatType.PRIVATE
    with warnings.catch_warnings():
        # Buttons are tracked per user on purpose: a profile has one step in progress at a time.
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CallbackQueryHandler(community_chosen, pattern=rf"^{PREFIX}:cm:"),
                CallbackQueryHandler(ask_building, pattern=rf"^{PREFIX}:bld$"),
                CallbackQueryHandler(ask_phone, pattern=rf"^{PREFIX}:ph$"),
                MessageHandler(filters.CONTACT & private, contact_shared),
            ],
            states={
                BUILDING: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND & private, building_typed),
                    CallbackQueryHandler(building_skipped, pattern=rf"^{PREFIX}:bskip$"),
                    MessageHandler(~filters.COMMAND & private, building_hint),
                ],
                PHONE: [
                    MessageHandler(filters.CONTACT & private, contact_shared),
                    MessageHandler(filters.TEXT & ~filters.COMMAND & private, phone_not_now),
                    MessageHandler(~filters.COMMAND & private, phone_hint),
                ],
            },
            fallbacks=[
                CommandHandler("cancel", cancel, filters=private),
                CommandHandler("start", restart, filters=private),
                CommandHandler("help", help_instead, filters=private),
                CommandHandler("profile", show_profile, filters=private),
            ],
            name="profile",
            persistent=True,
            allow_reentry=True,
        )


def register(application: RedPropApplication) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(conversation())
    application.add_handler(CommandHandler("profile", show_profile, filters=private))
    application.add_handler(CallbackQueryHandler(change_community, pattern=rf"^{PREFIX}:chg$"))
    application.add_handler(CallbackQueryHandler(phone_removed, pattern=rf"^{PREFIX}:rmph$"))
    picker.register(application)
