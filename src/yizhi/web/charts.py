"""Charts drawn on the server as inline SVG: no script, no CDN, readable without colour.

Pure functions (no web layer, no database): labels arrive translated, values are counts. A chart
is a picture for the eye; the page puts the same figures in a table beside it for screen readers
and for copying. A hand-written horizontal bar chart is a few dozen lines; a charting library
would bring a JavaScript runtime or a large dependency for what is here a row of rectangles.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 170
BAR_WIDTH = 230
VALUE_WIDTH = 50
PALETTE = ("#0b6e6e", "#2f80a8", "#b54708", "#6941c6", "#067647", "#b42318", "#475467")


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def _shorten(text: str, limit: int = 16) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(bars: list[Bar], title: str, *, chart_id: str) -> str:
    """An SVG bar chart (escaped markup, safe to mark as such); an empty list draws nothing."""
    if not bars:
        return ""
    top = max(max(bar.value for bar in bars), 1)
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for row, bar in enumerate(bars):
        y = GAP + row * (BAR_HEIGHT + GAP)
        length = 0 if bar.value <= 0 else max(2, round(BAR_WIDTH * bar.value / top))
        colour = PALETTE[row % len(PALETTE)]
        middle = y + BAR_HEIGHT * 0.7
        parts.append(
            f'<g class="bar" data-label="{escape(bar.label)}" data-value="{bar.value}">'
            f'<text x="{LABEL_WIDTH - 6}" y="{middle:.1f}" text-anchor="end" font-size="13">{escape(_shorten(bar.label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" rx="3" fill="{colour}"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{middle:.1f}" font-size="13">{bar.value}</text></g>')
    parts.append("</svg>")
    return "".join(parts)
