"""Lists shown a page at a time: how many pages, the row of page buttons, the "Page x of y" line."""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from locales.i18n import gettext as _


def page_count(total: int, per_page: int) -> int:
    """Pages for ``total`` items (at least one, which may be empty)."""
    return max(1, -(-total // per_page))


def with_page_buttons(
    rows: list[list[InlineKeyboardButton]],
    page: int,
    pages: int,
    data: Callable[[int], str],
    labels: tuple[str, str] = ("◀", "▶"),
    after: list[list[InlineKeyboardButton]] | None = None,
) -> InlineKeyboardMarkup:
    """The keyboard of ``rows``, a row to the previous and the next page where there is one, then
    the rows ``after``."""
    navigation = []
    if page > 0:
        navigation.append(InlineKeyboardButton(labels[0], callback_data=data(page - 1)))
    if page + 1 < pages:
        navigation.append(InlineKeyboardButton(labels[1], callback_data=data(page + 1)))
    return InlineKeyboardMarkup([*rows, *([navigation] if navigation else []), *(after or [])])


def with_page_line(text: str, page: int, pages: int) -> str:
    """``text`` and, when there is more than one page, which page this is."""
    if pages <= 1:
        return text
    return text + "\n" + _("Page {page} of {pages}").format(page=page + 1, pages=pages)
