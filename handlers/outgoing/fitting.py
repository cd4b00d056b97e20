"""Text people typed, shown so that it fits Telegram's limits and cannot pass for the bot's own lines.

* Bidirectional-override characters are left out when showing a name or a text (the stored text
  keeps them): they could turn a line around on screen.
* :func:`block` shows a text apart from a card's fields: every line starts with a bar (``│``),
  which no field line of the bot starts with, so "Status: resolved" typed by a resident reads as
  the resident's words. :func:`inline` does the same for a text that follows the bot's own words
  on a line ("…resolved: <note>"): its first line stays there, the others get the bar.
* A text is cut with "…" to the room the message leaves it; Telegram counts a message's length
  in UTF-16 code units (4,096 for a text, 1,024 for a caption), and so does :func:`length`.
"""

from __future__ import annotations

import re

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
BAR = "│ "
ELLIPSIS = "…"
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def length(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, room: int) -> str:
    """``text`` whole if it fits in ``room``, else as much as fits followed by "…"."""
    if length(text) <= room:
        return text
    used = end = 0
    for index, char in enumerate(text):
        width = 2 if ord(char) > 0xFFFF else 1  # outside the BMP: two UTF-16 units
        if used + width > room - 1:
            break
        used, end = used + width, index + 1
    return text[:end].rstrip("\n") + ELLIPSIS  # not on a line of its own, outside the bar


def clean(text: str) -> str:
    """A text without the characters that reorder what follows them on screen."""
    return _BIDI.sub("", text)


def one_line(text: str) -> str:
    """A name or a building as one line (a name from a file could hold a line break), cleaned."""
    return " ".join(clean(text).split())


def block(text: str, room: int = TEXT_LIMIT) -> str:
    """A text apart from the fields around it: every line behind the bar, within ``room``."""
    lines = clean(text).split("\n")
    quoted = "\n".join(BAR + line for line in lines)
    return cut(quoted, room)


def inline(text: str, room: int = TEXT_LIMIT) -> str:
    """A text after the bot's own words on a line: the first line there, the others behind the bar."""
    first, *rest = clean(text).split("\n")
    return cut("\n".join([first, *(BAR + line for line in rest)]), room)


def fit(text: str, limit: int = TEXT_LIMIT) -> str:
    """The whole message cut to Telegram's limit, the last safeguard before sending."""
    return cut(text, limit)
