"""The /stats chart: satisfaction rate by enterprise as horizontal bars, drawn to a PNG.

Drawn with matplotlib's object API on the Agg backend (no pyplot, no display, no global
state), so it can run in a worker thread. Chinese names need a CJK font: the Noto Sans CJK SC
file shipped by the ``mplfonts`` package is used by path; without it the caller labels the
bars with the enterprises' codes.
"""

from __future__ import annotations

import importlib.util
import io
from functools import cache
from pathlib import Path

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"


@cache
def cjk_font() -> Path | None:
    """The CJK font file, found without importing ``mplfonts`` (which would change rcParams)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "fonts" / CJK_FONT_FILE
        if path.is_file():
            return path
    return None


def satisfaction_chart(labels: list[str], rates: list[float], title: str) -> bytes:
    """A PNG of one horizontal bar per label, rates from 0 to 1 shown as percentages."""
    # Imported here: matplotlib is slow to import and large, and the outbox
    # worker, which imports the handlers for their renderers, never draws.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font_file = cjk_font()
    font = FontProperties(fname=font_file) if font_file is not None else FontProperties()
    height = 1.2 + 0.45 * max(len(labels), 1)
    figure = Figure(figsize=(6.4, height), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # Top to bottom in the given order.
    positions = list(range(len(labels)))[::-1]
    bars = axes.barh(positions, [rate * 100 for rate in rates], color="#c8102e")
    axes.set_yticks(positions, labels)
    for tick in axes.get_yticklabels():
        tick.set_fontproperties(font)
    axes.set_xlim(0, 100)
    axes.set_xlabel("%")
    axes.set_title(title, fontproperties=font)
    for bar, rate in zip(bars, rates, strict=True):
        inside = rate > 0.85  # no room to the right: write it on the bar
        x = bar.get_width() - 1 if inside else bar.get_width() + 1
        y = bar.get_y() + bar.get_height() / 2
        axes.text(
            x,
            y,
            f"{rate * 100:.1f}%",
            va="center",
            ha="right" if inside else "left",
            color="white" if inside else "black",
            fontsize=9,
        )
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
