"""Spreadsheet sheets the way every workbook of the bot writes them (openpyxl): a bold header
row that stays in view, numbers kept as numbers with a display format, times in the bot's zone,
and columns as wide as their text (Chinese characters count double)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from locales.i18n import display_width
from locales.i18n import gettext as _

POINTS, RATE = "0.0", "0.0%"
MAX_WIDTH = 60


@dataclass(frozen=True)
class Cell:
    """A number shown with a number format (the value stays as exact as a float holds it)."""

    value: float | int | None
    number_format: str


def local_time(moment: datetime | None, tz: tzinfo) -> datetime | None:
    """Excel has no time zones: the time as the bot's zone reads it."""
    return moment.astimezone(tz).replace(tzinfo=None) if moment is not None else None


def add_sheet(
    book: Workbook, title: str, header: Sequence[str], rows: list[list[Any]], *, max_width: int = MAX_WIDTH
) -> None:
    """A sheet with a bold header row kept in view, its rows, and columns as wide as their text
    (``book`` is write-only: rows stream to the file, so widths and panes are set first)."""
    sheet = book.create_sheet(_(title)[:31])
    for index, name in enumerate(header, start=1):
        texts = [_(name), *(_shown_text(row[index - 1]) for row in rows)]
        width = min(max(display_width(text) for text in texts) + 2, max_width)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold, top = Font(bold=True), Alignment(vertical="top", wrap_text=True)
    sheet.append([_styled(sheet, _(name), font=bold, alignment=top) for name in header])
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])


def _styled(sheet: Any, value: Any, **style: Any) -> SheetCell:
    cell = WriteOnlyCell(sheet, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _cell(sheet: Any, value: Any) -> Any:
    """A plain value as it is; a number or a time with its display format."""
    if isinstance(value, Cell):
        return _styled(sheet, value.value, number_format=value.number_format)
    if isinstance(value, datetime):
        return _styled(sheet, value, number_format="yyyy-mm-dd hh:mm")
    return value


def _shown_text(value: Any) -> str:
    """As wide as the value shows: a number in its widest format, a time to the minute."""
    if isinstance(value, Cell):
        return "100.0%" if value.number_format == RATE else "100.0"
    if isinstance(value, datetime):
        return "2026-01-01 00:00"
    return "" if value is None else str(value)
