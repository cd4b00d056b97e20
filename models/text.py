"""The one rule for text people type: a note, a reason, a description, a suggestion, a comment.

The text is taken without the spaces around it; one that holds nothing visible counts as
empty; and it may be at most so long (``cases.max_text_length``), said in one wording.
"""

from __future__ import annotations

import re

from models.base import N_
from models.refusal import Refused

TEXT_TOO_LONG = N_("That is {count} characters; please keep it to {limit} at most.")
# White space and the characters that show nothing (zero-width spaces and joiners, the BOM).
_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060-\u2064\ufeff]+")
# Control characters but the tab and the line break: nobody means them, and PostgreSQL cannot
# store NUL in text, so a crafted message must not fail there.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def without_controls(text: str) -> str:
    """The text without control characters (the tab and line breaks kept)."""
    return _CONTROL.sub("", text)


def typed_text(text: str, *, limit: int) -> str:
    """The text stripped, "" if nothing in it is visible; refused if longer than ``limit``."""
    text = without_controls(text).strip()
    if not _INVISIBLE.sub("", text):
        return ""
    if len(text) > limit:
        raise Refused(TEXT_TOO_LONG, count=len(text), limit=limit)
    return text
