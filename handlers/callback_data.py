"""Callback data: the one parser for the short ASCII strings behind every inline button.

Data is written ``prefix:field:field`` (at most 64 bytes, Telegram's limit). A client can
send anything there, so a field is taken only as exactly what the bot would have written: an
id is 1 to 10 ASCII digits within the database's integer range, a word is one of the words the
caller allows. Anything else parses to None, which the handlers answer as a stale button.
"""

from __future__ import annotations

import re
from collections.abc import Collection

MAX_BYTES = 64  # Telegram's limit on callback data
MAX_ID = 2**31 - 1  # the database's integer columns
MAX_PAGE = 100_000
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]{1,64}")
_DIGITS = re.compile(r"[0-9]{1,10}")


def fields(data: str | None, prefix: str, count: int) -> list[str] | None:
    """The ``count`` fields after ``prefix`` in well-formed ``prefix:…`` data; None otherwise."""
    if (
        data is None
        or len(data.encode("utf-8", "replace")) > MAX_BYTES
        or not _PRINTABLE_ASCII.fullmatch(data)
    ):
        return None
    parts = data.split(":")
    if parts[0] != prefix or len(parts) != count + 1 or not all(parts[1:]):
        return None
    return parts[1:]


def number(text: str, *, upto: int = MAX_ID) -> int | None:
    """A whole number from 0 to ``upto`` written in ASCII digits (no signs, no "²"); None otherwise."""
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= upto else None


def an_id(text: str) -> int | None:
    """A row id: 1 to the database's largest integer."""
    value = number(text)
    return value if value else None


def a_page(text: str) -> int | None:
    return number(text, upto=MAX_PAGE)


def one_of(text: str, allowed: Collection[str]) -> str | None:
    return text if text in allowed else None
