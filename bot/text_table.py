"""Tables for a terminal: columns aligned for Chinese text too (a Chinese character takes two)."""

from __future__ import annotations

from locales.i18n import display_width as width


def pad(text: str, columns: int, *, left: bool) -> str:
    space = " " * (columns - width(text))
    return text + space if left else space + text


def table_lines(
    header: list[str], body: list[list[str]], *, left: frozenset[int] = frozenset({0})
) -> list[str]:
    """The header, a rule and one line per row; the columns in ``left`` flush left, the rest right."""
    widths = [max(width(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(pad(cell, widths[i], left=i in left) for i, cell in enumerate(line)).rstrip()
        for line in [header, *body]
    ]
    lines.insert(1, "  ".join("-" * columns for columns in widths))
    return lines
