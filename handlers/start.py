"""First contact: /start (with invite deep links), /help, and the pointer out of group chats."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CommandHandler, filters

from handlers.commands import commands_for, describe, publish_role_menu
from handlers.context import Context, RedPropApplication
from handlers.locale import resolve_locale
from handlers.picker import send_picker
from locales.i18n import N_, refusal_text, set_locale
from locales.i18n import gettext as _
from models.base import utcnow
from models.directory.invites import INVITE_PREFIX, redeem_invite
from models.directory.people import Profile, RoleView, profile_of, register_user
from models.directory.residence import COMMUNITY_PREFIX, join_community
from models.directory.tables import Community, RoleKind
from models.refusal import Refused

logger = logging.getLogger(__name__)

ROLE_NAMES: dict[RoleKind, str] = {
    RoleKind.OFFICE_ADMIN: N_("street property office"),
    RoleKind.PARTY_COMMITTEE: N_("community party committee"),
    RoleKind.INSTRUCTOR: N_("party-building instructor"),
    RoleKind.ENTERPRISE_STAFF: N_("property enterprise staff"),
    RoleKind.OWNERS_COMMITTEE: N_("owners' committee"),
    RoleKind.ENTERPRISE_HEAD: N_("property enterprise head"),
    RoleKind.PARTY_BRANCH_CONTACT: N_("property enterprise party branch contact"),
}


def describe_role(role: RoleView) -> str:
    name = _(ROLE_NAMES[role.kind])
    if role.scope_name:
        return _("{role} of {scope}").format(role=name, scope=role.scope_name)
    return name


def greeting(profile: Profile) -> str:
    name = profile.person.name
    if profile.is_resident_only:
        if name:
            hello = _("Hello, {name}! Welcome to Red Property.").format(name=name)
        else:
            hello = _("Hello! Welcome to Red Property.")
        return (
            hello
            + "\n"
            + _("Here you can report problems in your community and follow them until they are solved.")
        )
    roles = "\n".join(f"• {describe_role(role)}" for role in profile.roles)
    return _("Hello, {name}! You are registered as:").format(name=name) + "\n" + roles


def what_you_can_do(profile: Profile) -> str:
    return _("What you can do:") + "\n" + describe(commands_for(profile.kinds))


async def start(update: Update, context: Context) -> None:
    """Register the user (or redeem their invite) and greet them in their role."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    payload = context.args[0] if context.args else ""
    joined: Community | None = None
    join_refused: Refused | None = None
    try:
        async with context.db.write() as session:
            if payload.startswith(INVITE_PREFIX):
                await redeem_invite(
                    session=session,
                    token=payload.removeprefix(INVITE_PREFIX),
                    telegram_id=user.id,
                    language_code=user.language_code,
                    now=utcnow(),
                )
                logger.info("invite redeemed by user %s", user.id)
            else:
                person = await register_user(
                    session=session,
                    telegram_id=user.id,
                    name=user.full_name,
                    language_code=user.language_code,
                )
                if payload.startswith(COMMUNITY_PREFIX):
                    # A community's QR poster: registering and joining are one tap.
                    try:
                        joined = await join_community(
                            session=session,
                            person=person,
                            community_code=payload.removeprefix(COMMUNITY_PREFIX),
                        )
                    except Refused as refused:
                        join_refused = refused  # nothing was changed; the registration stands
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
        return
    # The entry an invite bound may carry a language chosen earlier.
    set_locale(await resolve_locale(context, user.id, user.language_code))
    if join_refused is not None:
        await message.reply_text(refusal_text(join_refused))
    async with context.db.read() as session:
        profile = await profile_of(session=session, telegram_id=user.id)
    assert profile is not None
    text = greeting(profile) + "\n\n" + what_you_can_do(profile)
    if joined is not None:
        text = _("You are now registered in {community}.").format(community=joined.name) + "\n\n" + text
    await message.reply_text(text)
    if profile.roles:
        await publish_role_menu(context.bot, chat_id=user.id, kinds=profile.kinds)
    if join_refused is not None or (profile.is_resident_only and profile.person.community_id is None):
        await send_picker(message, context)


async def help_command(update: Update, context: Context) -> None:
    """List the commands the user's roles allow."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    async with context.db.read() as session:
        profile = await profile_of(session=session, telegram_id=user.id)
    kinds = profile.kinds if profile is not None else set()
    await message.reply_text(_("Commands:") + "\n" + describe(commands_for(kinds)))


def register(application: RedPropApplication) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", start, filters=private))
    application.add_handler(CommandHandler("help", help_command, filters=private))
