"""The one rule for typed text: control characters dropped, nothing visible counts as empty."""

from __future__ import annotations

import pytest

from models.refusal import Refused
from models.text import typed_text


def test_control_characters_are_dropped_and_line_breaks_kept() -> None:
    assert typed_text("  leak\x00 by\tgate\n2\x07\x1b ", limit=100) == "leak by\tgate\n2"


def test_text_of_only_controls_and_invisible_characters_is_empty() -> None:
    assert typed_text("\x00\u200b\x7f ", limit=100) == ""


def test_text_over_the_limit_is_refused_with_its_length() -> None:
    with pytest.raises(Refused) as refused:
        typed_text("x" * 11, limit=10)
    assert refused.value.params == {"count": 11, "limit": 10}
