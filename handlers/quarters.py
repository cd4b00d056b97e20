"""The quarter a command about the assessment shows: the one typed after it, or the one in view;
and the buttons to the quarters either side of it (never past the current one)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from telegram import InlineKeyboardButton

from models.assessment.records import check_quarter_begun
from models.periods import Quarter

QUARTER_PATTERN = r"\d{4}Q[1-4]"


def typed_quarter(args: list[str] | None, *, now: datetime, tz: tzinfo) -> Quarter | None:
    """The quarter typed after the command (``/ranking 2026Q3``), None if none; refused if it is
    malformed, out of range or not begun yet."""
    if not args:
        return None
    quarter = Quarter.parse(args[0])
    check_quarter_begun(quarter, now=now, tz=tz)
    return quarter


def quarter_row(
    shown: Quarter, *, now: datetime, tz: tzinfo, data: Callable[[Quarter], str]
) -> list[InlineKeyboardButton]:
    """``◀ 2026Q2`` and ``2026Q4 ▶``: the quarters before and after ``shown`` that have begun."""
    row = [InlineKeyboardButton(f"◀ {shown.previous}", callback_data=data(shown.previous))]
    if shown.next <= Quarter.of(now, tz):
        row.append(InlineKeyboardButton(f"{shown.next} ▶", callback_data=data(shown.next)))
    return row
