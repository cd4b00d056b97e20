"""The street → community picker residents join a community with, paged when long.

Callback data: ``p:sp:<page>`` a page of streets, ``p:st:<street id>`` a street chosen,
``p:pg:<street id>:<page>`` a page of its communities, ``p:cm:<community id>`` a community
chosen (handled by ``handlers/profile.py``, which then asks for the building). The street
being browsed is kept in user_data, so a community button from another street is refused.
"""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler

from handlers.callback_data import a_page, an_id, fields
from handlers.context import Context, RedPropApplication
from handlers.paging import page_count, with_page_buttons, with_page_line
from handlers.replies import refuse_button
from locales.i18n import gettext as _
from models.directory.residence import communities_page, streets_page
from models.directory.tables import Street

logger = logging.getLogger(__name__)

PREFIX = "p"
STREETS_PER_PAGE = 8
COMMUNITIES_PER_PAGE = 8
STREET_KEY = "profile.street"  # user_data: the street whose communities are on show


def remember_street(context: Context, street_id: int | None) -> None:
    if context.user_data is not None:
        context.user_data[STREET_KEY] = street_id


def chosen_street(context: Context) -> int | None:
    """The street whose communities the user was last shown, if any."""
    value = context.user_data.get(STREET_KEY) if context.user_data is not None else None
    return value if isinstance(value, int) else None


async def street_picker(*, session: AsyncSession, page: int) -> tuple[str, InlineKeyboardMarkup] | None:
    """The text and buttons of one page of streets; None if the page does not exist."""
    streets, total = await streets_page(session=session, page=page, per_page=STREETS_PER_PAGE)
    pages = page_count(total, STREETS_PER_PAGE)
    if page < 0 or page >= pages or not streets:
        return None
    rows = [
        [InlineKeyboardButton(street.name, callback_data=f"{PREFIX}:st:{street.id}")] for street in streets
    ]
    keyboard = with_page_buttons(rows, page, pages, lambda other: f"{PREFIX}:sp:{other}")
    return with_page_line(_("Which street do you live in?"), page, pages), keyboard


async def community_picker(
    *, session: AsyncSession, street: Street, page: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    """The text and buttons of one page of a street's communities; None if the page does not exist."""
    communities, total = await communities_page(
        session=session, street_id=street.id or 0, page=page, per_page=COMMUNITIES_PER_PAGE
    )
    pages = page_count(total, COMMUNITIES_PER_PAGE)
    if page < 0 or page >= pages:
        return None
    rows = [
        [InlineKeyboardButton(community.name, callback_data=f"{PREFIX}:cm:{community.id}")]
        for community in communities
    ]
    street_count = (await streets_page(session=session, page=0, per_page=1))[1]
    other_streets = [[InlineKeyboardButton(_("◀ Other streets"), callback_data=f"{PREFIX}:sp:0")]]
    keyboard = with_page_buttons(
        rows,
        page,
        pages,
        lambda other: f"{PREFIX}:pg:{street.id}:{other}",
        after=other_streets if street_count > 1 else None,
    )
    if communities:
        text = _("Which community in {street} do you live in?").format(street=street.name)
    else:
        text = _("{street} has no communities listed yet.").format(street=street.name)
    return with_page_line(text, page, pages), keyboard


async def picker_start(*, session: AsyncSession, context: Context) -> tuple[str, InlineKeyboardMarkup]:
    """The first screen of the picker: the communities if the bot serves one street, else the streets."""
    streets, total = await streets_page(session=session, page=0, per_page=2)
    if total == 1:
        remember_street(context, streets[0].id)
        shown = await community_picker(session=session, street=streets[0], page=0)
    else:
        shown = await street_picker(session=session, page=0)
    if shown is None:
        return _("No communities are listed yet. Please try again later."), InlineKeyboardMarkup([])
    return shown


async def send_picker(message: Message, context: Context) -> None:
    """Ask a resident where they live, under ``message``."""
    async with context.db.read() as session:
        text, keyboard = await picker_start(session=session, context=context)
    await message.reply_text(text, reply_markup=keyboard if keyboard.inline_keyboard else None)


async def edit_text(update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """Redraw the pressed button's message; an identical redraw (a double tap) is no error."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


def _field(update: Update, kind: str, count: int = 1) -> list[str] | None:
    """The fields of a pressed ``p:<kind>:…`` button after the kind; None for anything else."""
    query = update.callback_query
    parts = fields(query.data if query is not None else None, PREFIX, count + 1)
    return parts[1:] if parts is not None and parts[0] == kind else None


async def streets_paged(update: Update, context: Context) -> None:
    """Show another page of streets."""
    query = update.callback_query
    assert query is not None
    page = a_page(found[0]) if (found := _field(update, "sp")) else None
    async with context.db.read() as session:
        shown = await street_picker(session=session, page=page) if page is not None else None
    if shown is None:
        await refuse_button(update, context)
        return
    await query.answer()
    await edit_text(update, *shown)


async def street_chosen(update: Update, context: Context) -> None:
    """Show the chosen street's communities."""
    query = update.callback_query
    assert query is not None
    street_id = an_id(found[0]) if (found := _field(update, "st")) else None
    await _show_communities(update, context, street_id, 0)


async def communities_paged(update: Update, context: Context) -> None:
    """Show another page of a street's communities."""
    query = update.callback_query
    assert query is not None
    found = _field(update, "pg", 2)
    if found is None:
        await refuse_button(update, context)
        return
    await _show_communities(update, context, an_id(found[0]), a_page(found[1]))


async def _show_communities(
    update: Update, context: Context, street_id: int | None, page: int | None
) -> None:
    query = update.callback_query
    assert query is not None
    shown = None
    if street_id is not None and page is not None:
        async with context.db.read() as session:
            street = await session.get(Street, street_id)
            if street is not None:
                shown = await community_picker(session=session, street=street, page=page)
    if shown is None:
        await refuse_button(update, context)
        return
    remember_street(context, street_id)
    await query.answer()
    await edit_text(update, *shown)


def register(application: RedPropApplication) -> None:
    application.add_handler(CallbackQueryHandler(streets_paged, pattern=rf"^{PREFIX}:sp:"))
    application.add_handler(CallbackQueryHandler(street_chosen, pattern=rf"^{PREFIX}:st:"))
    application.add_handler(CallbackQueryHandler(communities_paged, pattern=rf"^{PREFIX}:pg:"))
