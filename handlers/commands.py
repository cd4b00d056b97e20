"""The bot's commands, who may use each, and how /help and the Telegram menu describe them."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from locales.i18n import N_, gettext
from models.directory.tables import RoleKind

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # marked with N_, translated when shown
    roles: frozenset[RoleKind] | None = None  # None: everyone, residents included


COMMANDS: tuple[Command, ...] = (
    Command("start", N_("Start, and see what I can do for you")),
    Command("help", N_("List the commands you can use")),
    Command("language", N_("Switch between 中文 and English")),
    Command("report", N_("Report a problem in your community")),
    Command("suggest", N_("Make a suggestion for your community")),
    Command("profile", N_("Your community, building and phone number")),
    Command("mycases", N_("The problems you reported and how they are going")),
    Command(
        "cases",
        N_("Your open cases, overdue first"),
        frozenset(
            {
                RoleKind.INSTRUCTOR,
                RoleKind.ENTERPRISE_STAFF,
                RoleKind.ENTERPRISE_HEAD,  # their enterprise's Affairs Hall action items are there
                RoleKind.PARTY_BRANCH_CONTACT,
                RoleKind.PARTY_COMMITTEE,
                RoleKind.OFFICE_ADMIN,
            }
        ),
    ),
    Command(
        "stats",
        N_("Survey numbers: satisfaction, willingness to pay, reopened cases"),
        frozenset({RoleKind.OFFICE_ADMIN, RoleKind.PARTY_COMMITTEE}),
    ),
    Command(
        "record",
        N_("Record an enterprise's part in governance: meetings, tasks, spot checks…"),
        frozenset({RoleKind.OFFICE_ADMIN, RoleKind.PARTY_COMMITTEE, RoleKind.INSTRUCTOR}),
    ),
    Command(
        "records",
        N_("An enterprise's governance records of a quarter, to check or undo"),
        frozenset({RoleKind.OFFICE_ADMIN, RoleKind.PARTY_COMMITTEE, RoleKind.INSTRUCTOR}),
    ),
    Command(
        "ranking",
        N_("The quarterly star assessment of the enterprises, with the red and black lists"),
        frozenset({RoleKind.OFFICE_ADMIN, RoleKind.PARTY_COMMITTEE}),
    ),
    Command(
        "score",
        N_("Your enterprise's quarterly score, item by item, and the way to appeal"),
        frozenset({RoleKind.ENTERPRISE_STAFF, RoleKind.INSTRUCTOR}),
    ),
    Command(
        "meeting",
        N_("Schedule the Red Property Affairs Hall"),
        frozenset({RoleKind.OFFICE_ADMIN, RoleKind.PARTY_COMMITTEE}),
    ),
    Command(
        "agenda",
        N_("The Affairs Hall's draft agenda"),
        frozenset(
            {
                RoleKind.OFFICE_ADMIN,
                RoleKind.PARTY_COMMITTEE,
                RoleKind.INSTRUCTOR,
                RoleKind.ENTERPRISE_HEAD,
                RoleKind.PARTY_BRANCH_CONTACT,
                RoleKind.OWNERS_COMMITTEE,
            }
        ),
    ),
    Command(
        "visit",
        N_("Record a visit to a community or enterprise, its problems and cases"),
        frozenset({RoleKind.INSTRUCTOR}),
    ),
    Command(
        "workreport",
        N_("The street's work report for a year or quarter: message, chart and workbook"),
        frozenset({RoleKind.OFFICE_ADMIN}),
    ),
    Command(
        "fund",
        N_("The property management fund: apply, follow, decide, budgets"),
        frozenset(
            {RoleKind.OFFICE_ADMIN, RoleKind.PARTY_COMMITTEE, RoleKind.INSTRUCTOR, RoleKind.ENTERPRISE_STAFF}
        ),
    ),
)


def commands_for(kinds: set[RoleKind]) -> list[Command]:
    """The commands a person with these roles may use, in menu order."""
    return [command for command in COMMANDS if command.roles is None or command.roles & kinds]


async def publish_role_menu(bot: Bot, *, chat_id: int, kinds: set[RoleKind]) -> None:
    """Give someone listed in the directory the command menu of their roles, in their language."""
    menu = [BotCommand(command.name, gettext(command.description)) for command in commands_for(kinds)]
    try:
        await bot.set_my_commands(menu, scope=BotCommandScopeChat(chat_id))
    except TelegramError as error:  # the menu is a convenience; /help lists the same
        logger.warning("could not set the command menu of chat %s: %s", chat_id, error)


def describe(commands: list[Command]) -> str:
    return "\n".join(f"/{command.name} — {gettext(command.description)}" for command in commands)
