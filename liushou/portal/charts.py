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
    parts = _frame(title, top, plot_h, empty=not points)
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


SERIES_CLASSES = ("bar", "bar2", "bar3", "bar4")


def grouped_bar_chart(
    labels: list[str], series: list[tuple[str, list[int]]], title: str, unit: str = "人"
) -> Markup:
    """Bars side by side per label, one colour per series, with a legend: new and exited
    per quarter, categories per township."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_ceiling(max((v for _, values in series for v in values), default=0))
    parts = _frame(title, top, plot_h, empty=not labels)
    slot = plot_w / max(len(labels), 1)
    bar = min(slot * 0.8 / max(len(series), 1), 40)
    for i, label in enumerate(labels):
        start = LEFT + slot * i + (slot - bar * len(series)) / 2
        for j, (name, values) in enumerate(series):
            value = values[i] if i < len(values) else 0
            h = plot_h * value / top if top else 0
            x = start + bar * j
            y = TOP + plot_h - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 1:.1f}" height="{h:.1f}" '
                f'class="{SERIES_CLASSES[j % len(SERIES_CLASSES)]}">'
                f"<title>{escape(label)} {escape(name)}: {value} {escape(unit)}</title></rect>"
            )
            if value and bar >= 14:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                    f'class="value">{value}</text>'
                )
        parts.append(
            f'<text x="{start + bar * len(series) / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle" class="axis">{escape(label)}</text>'
        )
    for j, (name, _) in enumerate(series):
        x = LEFT + j * 150
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" '
            f'class="{SERIES_CLASSES[j % len(SERIES_CLASSES)]}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 5}" class="axis">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def pyramid(
    bands: list[str], left: list[int], right: list[int], title: str, names: tuple[str, str]
) -> Markup:
    """An age-sex pyramid: one row per age band (youngest at the bottom), ``left`` (男)
    to the left of the middle, ``right`` (女) to the right."""
    middle = WIDTH / 2
    half = (WIDTH - 2 * 60) / 2
    top = max([*left, *right, 1])
    row = (HEIGHT - TOP - BOTTOM) / max(len(bands), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{middle}" y="20" text-anchor="middle" class="chart-title">'
        f"{escape(title)}</text>",
        f'<text x="{60}" y="{HEIGHT - 12}" class="axis">{escape(names[0])}</text>',
        f'<text x="{WIDTH - 60}" y="{HEIGHT - 12}" text-anchor="end" class="axis">'
        f"{escape(names[1])}</text>",
    ]
    for i, band in enumerate(reversed(bands)):
        k = len(bands) - 1 - i
        y = TOP + row * i + row * 0.15
        h = row * 0.7
        lw = half * left[k] / top
        rw = half * right[k] / top
        parts.append(
            f'<rect x="{middle - lw:.1f}" y="{y:.1f}" width="{lw:.1f}" height="{h:.1f}" '
            f'class="bar"><title>{escape(band)} {escape(names[0])}: {left[k]}</title></rect>'
            f'<rect x="{middle:.1f}" y="{y:.1f}" width="{rw:.1f}" height="{h:.1f}" '
            f'class="bar2"><title>{escape(band)} {escape(names[1])}: {right[k]}</title></rect>'
            f'<text x="{middle - lw - 4:.1f}" y="{y + h / 2 + 4:.1f}" text-anchor="end" '
            f'class="value">{left[k]}</text>'
            f'<text x="{middle + rw + 4:.1f}" y="{y + h / 2 + 4:.1f}" class="value">'
            f"{right[k]}</text>"
            f'<text x="8" y="{y + h / 2 + 4:.1f}" class="axis">{escape(band)}</text>'
        )
    parts.append(
        f'<line x1="{middle}" x2="{middle}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" class="grid"/></svg>'
    )
    return Markup("".join(parts))


def _frame(title: str, top: int, plot_h: float, empty: bool = False) -> list[str]:
    """The opening of a chart: its title, the value gridlines, and "no data" if empty."""
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
    if empty:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{TOP + plot_h / 2}" text-anchor="middle" class="axis">'
            "暂无数据 no data</text>"
        )
    return parts
