"""Small server-rendered SVG charts for the version page (no script, no CDN).

Horizontal bars: one row per label, the bar's length proportional to its value. The SVG is
built from numbers and escaped labels only, so it is safe to put inline in a page.
"""

from __future__ import annotations

from html import escape

ROW = 18
LABEL_WIDTH = 170
BAR_WIDTH = 260


def bar_chart(rows: list[tuple[str, float, str]], *, maximum: float | None = None, title: str = "") -> str:
    """``rows``: (label, value, text shown after the bar). ``maximum``: the value of a full bar."""
    if not rows:
        return ""
    top = maximum if maximum is not None else max((value for _, value, _ in rows), default=0) or 1
    height = ROW * len(rows) + 4
    width = LABEL_WIDTH + BAR_WIDTH + 80
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">']
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    for index, (label, value, text) in enumerate(rows):
        y = index * ROW + 2
        length = 0 if top <= 0 else max(0.0, min(1.0, value / top)) * BAR_WIDTH
        short = label if len(label) <= 26 else label[:25] + "…"
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + 12}" text-anchor="end" font-size="11">{escape(short)}</text>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{length:.1f}" height="{ROW - 6}" fill="#2e6fb7">'
                     f"<title>{escape(label)}: {escape(text)}</title></rect>")
        parts.append(f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + 12}" font-size="11">{escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)
