"""Charts as inline SVG, drawn on the server.

No JavaScript library and no image files: the chart is part of the page's markup, prints
with it, works offline in a bureau's network, and passes the portal's strict content
security policy. Labels are escaped (they are data).
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 36, 44


def bar_chart(points: list[tuple[str, int]], title: str, unit: str = "人") -> Markup:
    """A bar per (label, value), value written above each bar, a few gridlines."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_ceiling(max((v for _, v in points), default=0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" class="chart-title">'
        f"{escape(title)}</text>",
    ]
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
            f"{value:g}</text>"
        )
    if not points:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{TOP + plot_h / 2}" text-anchor="middle" class="axis">'
            "暂无数据 no data</text>"
        )
    slot = plot_w / max(len(points), 1)
    bar = min(slot * 0.6, 80)
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top if top else 0
        x = LEFT + slot * i + (slot - bar) / 2
        y = TOP + plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" class="bar">'
            f"<title>{escape(label)}: {value} {escape(unit)}</title></rect>"
            f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="value">'
            f"{value}</text>"
            f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
            f'class="axis">{escape(label)}</text>'
        )
    parts.append(
        f'<text x="12" y="{TOP + plot_h / 2}" class="axis" '
        f'transform="rotate(-90 12 {TOP + plot_h / 2})" text-anchor="middle">'
        f"{escape(unit)}</text></svg>"
    )
    return Markup("".join(parts))


def _nice_ceiling(value: int) -> int:
    """A round top for the axis with four whole-number gridline steps of 1, 2, 3 or 5
    times a power of ten (10 → 12, 49 → 80, 1234 → 2000)."""
    if value <= 0:
        return 4
    power = 1
    while True:
        for m in (1, 2, 3, 5):
            if 4 * m * power >= value:
                return 4 * m * power
        power *= 10
