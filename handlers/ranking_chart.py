"""The /ranking chart: each enterprise's score as a horizontal bar coloured by its band, with the
sample behind it on the bar; enterprises with too little data greyed, in a group of their own.

Drawn like the /stats chart (handlers/stats_chart.py): matplotlib's object API on the Agg
backend, so it runs in a worker thread, with the CJK font found by path.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from handlers.stats_chart import cjk_font

# One colour per band, from five stars (green) to one (red); too little data: grey.
BAND_COLOURS = {5: "#2e7d32", 4: "#7cb342", 3: "#f9a825", 2: "#ef6c00", 1: "#c62828"}
INSUFFICIENT_COLOUR = "#bdbdbd"


@dataclass(frozen=True)
class Bar:
    label: str
    score: float
    stars: int
    sample: str  # e.g. "19 / 20": answered surveys / cases
    insufficient: bool


@dataclass(frozen=True)
class ChartWords:
    """The chart's words, translated by the caller."""

    title: str
    axis: str  # the score axis, and what the numbers on the bars are
    apart: str  # the heading of the group without enough data


def ranking_chart(bars: list[Bar], words: ChartWords) -> bytes:
    """A PNG of the ranked bars, top to bottom in the given order, then the greyed group apart."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import Patch

    font_file = cjk_font()
    font = FontProperties(fname=font_file) if font_file is not None else FontProperties()
    ranked = [bar for bar in bars if not bar.insufficient]
    apart = [bar for bar in bars if bar.insufficient]
    # A gap of one row, with its heading, between the ranked and the rest.
    rows = len(ranked) + (len(apart) + 1 if apart else 0)
    figure = Figure(figsize=(7.2, 1.6 + 0.42 * max(rows, 1)), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(rows))[::-1]
    placed = list(zip(positions, ranked, strict=False))
    if apart:
        gap = positions[len(ranked)]
        axes.axhline(gap + 0.5, color="#9e9e9e", linewidth=0.8, linestyle="--")
        axes.text(1, gap, words.apart, va="center", ha="left", color="#616161", fontproperties=font)
        placed += list(zip(positions[len(ranked) + 1 :], apart, strict=True))
    for y, bar in placed:
        colour = INSUFFICIENT_COLOUR if bar.insufficient else BAND_COLOURS.get(bar.stars, "#757575")
        axes.barh(y, bar.score, color=colour, height=0.7)
        inside = bar.score > 75  # no room to the right: write on the bar
        axes.text(
            bar.score - 1 if inside else bar.score + 1,
            y,
            f"{bar.score:.1f} · {bar.sample}",
            va="center",
            ha="right" if inside else "left",
            color="white" if inside and not bar.insufficient else "black",
            fontsize=8,
        )
    axes.set_yticks([y for y, _bar in placed], [bar.label for _y, bar in placed])
    for tick in axes.get_yticklabels():
        tick.set_fontproperties(font)
    axes.set_xlim(0, 100)
    axes.set_ylim(-0.6, max(rows, 1) - 0.4)
    axes.set_xlabel(words.axis, fontproperties=font)
    axes.set_title(words.title, fontproperties=font, pad=26)
    legend = [
        Patch(color=BAND_COLOURS[stars], label="★" * stars) for stars in sorted(BAND_COLOURS, reverse=True)
    ]
    # The legend between the title and the bars, where it never covers the axis label.
    axes.legend(
        handles=legend, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5, frameon=False, prop=font
    )
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
