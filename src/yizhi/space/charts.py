"""Server-rendered SVG charts of released results (no script, no CDN): bars for counts and
histograms, steps for Kaplan–Meier curves. Suppressed values are drawn as hatched stubs marked "×"."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD = 640, 260, 40
COLOURS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2"]


def _frame(body: str, label: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" class="chart">'
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#9ca3af" stroke-width="3"/>'
        '</pattern></defs>'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - 10}" y2="{HEIGHT - PAD}" stroke="#6b7280"/>'
        f'<line x1="{PAD}" y1="10" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#6b7280"/>{body}</svg>')


def bars(labels: list[str], values: list[float | None], label: str, suppressed_text: str = "suppressed") -> Markup:
    """One bar per value; a None value is a hatched stub with "×"."""
    if not values:
        return Markup("")
    top = max([v for v in values if v is not None] or [1]) or 1
    slot = (WIDTH - PAD - 20) / len(values)
    body = [f'<text x="4" y="16" font-size="10" fill="#374151">{_number(top)}</text>']
    for i, (name, value) in enumerate(zip(labels, values, strict=True)):
        x = PAD + 4 + i * slot
        width = max(2.0, slot - 6)
        if value is None:
            body.append(f'<rect x="{x:.1f}" y="{HEIGHT - PAD - 24}" width="{width:.1f}" height="24" fill="url(#hatch)" '
                        f'data-suppressed="1"><title>{escape(name)}: {escape(suppressed_text)}</title></rect>'
                        f'<text x="{x + width / 2:.1f}" y="{HEIGHT - PAD - 28}" font-size="12" text-anchor="middle" '
                        f'fill="#b91c1c">×</text>')
        else:
            height = (HEIGHT - PAD - 20) * (value / top)
            body.append(f'<rect x="{x:.1f}" y="{HEIGHT - PAD - height:.1f}" width="{width:.1f}" height="{height:.1f}" '
                        f'fill="{COLOURS[0]}"><title>{escape(name)}: {_number(value)}</title></rect>')
        if len(values) <= 24:
            body.append(f'<text x="{x + width / 2:.1f}" y="{HEIGHT - PAD + 14}" font-size="9" text-anchor="middle" '
                        f'fill="#374151">{escape(name[:14])}</text>')
    return _frame("".join(body), label)


def steps(series: list[tuple[str, list[tuple[float, float]]]], label: str) -> Markup:
    """Kaplan–Meier curves: survival (0–1) against time, one coloured step line per group."""
    times = [t for _, points in series for t, _ in points]
    if not times:
        return Markup("")
    end = max(times) or 1.0
    body, legend_y = [], 18
    for index, (name, points) in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        path, last_y = [f"M{PAD},{10:.1f}"], 10.0
        for t, s in points:
            x = PAD + (WIDTH - PAD - 20) * (t / end)
            y = 10 + (HEIGHT - PAD - 10) * (1 - s)
            path.append(f"H{x:.1f}V{y:.1f}")
            last_y = y
        del last_y
        body.append(f'<path d="{"".join(path)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body.append(f'<text x="{WIDTH - 150}" y="{legend_y}" font-size="11" fill="{colour}">{escape(str(name))}</text>')
        legend_y += 14
    body.append(f'<text x="{WIDTH - 60}" y="{HEIGHT - PAD + 14}" font-size="10" fill="#374151">{_number(end)}</text>')
    return _frame("".join(body), label)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3g}"
