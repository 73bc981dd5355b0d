"""Server-rendered SVG charts: no JavaScript, no external fonts, no inline CSS.

The Content Security Policy forbids inline styles, so every colour and font is a
presentation attribute (`fill=`, `font-size=`), which CSP allows. Each chart is an
`<svg role="img">` with a `<title>` and a `<desc>` that says in words what the
chart shows; the page puts the same figures in a table next to it, so nothing is
available only to sighted readers. The same SVG is embedded in the typst PDF.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Distinguishable in print and for the common colour-vision deficiencies
# (Okabe–Ito, darkened where white text or thin bars need contrast).
PALETTE = ["#0a5fa8", "#d55e00", "#009e73", "#cc79a7", "#8a6d00", "#56b4e9", "#6b4c9a", "#e69f00",
           "#4d4d4d", "#a0a0a0"]
INK, MUTED, GRID, HATCH = "#1d2330", "#5d6677", "#d9dde5", "#eef0f4"
FONT = "DejaVu Sans, Noto Sans, Liberation Sans, Arial, sans-serif"
_ids = count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | Decimal | int | None  # None: suppressed, drawn as a hatched stub
    text: str  # what to print at the end of the bar ("about 45", "12 300 USD")


def _uid(prefix: str) -> str:
    return f"{prefix}{next(_ids)}"


def _t(x: float, y: float, text: str, *, size: int = 13, anchor: str = "start", fill: str = INK,
       weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}" font-weight="{weight}">{escape(text)}</text>')


def _open(width: int, height: int, title: str, desc: str) -> tuple[str, str]:
    tid, did = _uid("chart-title-"), _uid("chart-desc-")
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-labelledby="{tid} {did}" class="chart">'
            f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>')
    return head, "</svg>"


def _tick_step(value: float) -> float:
    """The smallest round step (1, 2, 2.5 or 5 × 10ⁿ) that covers `value` in at most
    six intervals: a 1.2 M budget gets an axis to 1.25 M, not to 2 M."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value / 6) or 1)) - 2) if value >= 60 else 1
    while True:
        for step in (1, 2, 2.5, 5):
            if value <= step * magnitude * 6:
                return step * magnitude
        magnitude *= 10


def _ticks(low: float, high: float) -> list[float]:
    """Round tick values from ≤ low to ≥ high (low ≤ 0 ≤ high), 0 among them."""
    step = _tick_step(max(high, 0) - min(low, 0))
    # The first multiple of the step at or below `low`.
    first = math.floor(low / step) * step if low < 0 else 0.0
    ticks = [first]
    while ticks[-1] < high - 1e-9 or len(ticks) < 2:
        ticks.append(ticks[-1] + step)
    return ticks


def _num(value: float) -> str:
    """Axis labels grouped like the tables beside them ("1,918" in English, "1 918"
    in Russian)."""
    from django.utils.formats import number_format

    return number_format(round(value), 0, use_l10n=True, force_grouping=True)


def hbar(bars: Sequence[Bar], *, title: str, desc: str, width: int = 640, colour: str = PALETTE[0]) -> SafeString:
    """Horizontal bars, each with its label above it, so long labels (in Russian
    they are long) never collide with the bars: categories, sources, the funnel."""
    row, top = 46, 4
    height = top * 2 + row * max(len(bars), 1)
    head, tail = _open(width, height, title, desc)
    values = [float(b.value) for b in bars if b.value is not None]
    scale_max = max(values + [0.0]) or 1.0
    plot_w = width - 170
    parts = [head]
    for i, b in enumerate(bars):
        y = top + i * row
        parts.append(_t(0, y + 14, b.label, size=13))
        if b.value is None:
            parts.append(f'<rect x="0" y="{y + 20}" width="18" height="18" rx="3" fill="{HATCH}" '
                         f'stroke="{MUTED}" stroke-dasharray="3 2"/>')
            parts.append(_t(26, y + 34, b.text, fill=MUTED))
            continue
        w = max(2.0, plot_w * float(b.value) / scale_max)
        parts.append(f'<rect x="0" y="{y + 20}" width="{w:.1f}" height="18" rx="3" fill="{colour}">'
                     f'<title>{escape(b.label)}: {escape(b.text)}</title></rect>')
        parts.append(_t(w + 8, y + 34, b.text, weight="bold"))
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | Decimal | None]


def stacked(columns: Sequence[str], series: Sequence[Series], *, title: str, desc: str, unit: str,
            width: int = 640, height: int = 300) -> SafeString:
    """Vertical stacked bars, one per column (month), one colour per series
    (category), with a legend underneath."""
    legend_rows = (len(series) + 2) // 3
    left, right, top, bottom = 64, 12, 12, 34
    total_h = height + legend_rows * 22 + 8
    head, tail = _open(width, total_h, title, desc)
    totals = [sum(float(s.values[i] or 0) for s in series) for i in range(len(columns))]
    ticks = _ticks(0.0, max(totals + [0.0]))
    vmax = ticks[-1]
    plot_h, plot_w = height - top - bottom, width - left - right
    parts = [head]
    for v in ticks:
        y = top + plot_h - plot_h * v / vmax
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(_t(left - 6, y + 4, _num(v), size=11, anchor="end", fill=MUTED))
    slot = plot_w / max(len(columns), 1)
    bar_w = max(4.0, slot * 0.68)
    for i, name in enumerate(columns):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        for j, s in enumerate(series):
            v = float(s.values[i] or 0)
            if v <= 0:
                continue
            h = plot_h * v / vmax
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(name)} · {escape(s.label)}: '
                         f'{_num(v)} {escape(unit)}</title></rect>')
        parts.append(_t(x + bar_w / 2, top + plot_h + 16, name, size=11, anchor="middle", fill=MUTED))
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{MUTED}"/>')
    col_w = (width - left) / 3
    for j, s in enumerate(series):
        lx = left + (j % 3) * col_w
        ly = height + (j // 3) * 22 + 4
        parts.append(f'<rect x="{lx:.1f}" y="{ly:.1f}" width="12" height="12" rx="2" '
                     f'fill="{PALETTE[j % len(PALETTE)]}"/>')
        parts.append(_t(lx + 18, ly + 11, s.label, size=12))
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 - escaped above


def lines(columns: Sequence[str], series: Sequence[Series], *, title: str, desc: str, unit: str,
          width: int = 640, height: int = 260) -> SafeString:
    """Line chart (a budget's burn-down: what remains against the even pace)."""
    left, right, top, bottom = 72, 16, 12, 52
    head, tail = _open(width, height, title, desc)
    values = [float(v) for s in series for v in s.values if v is not None]
    ticks = _ticks(min(values + [0.0]), max(values + [0.0]))
    vmin, vmax = ticks[0], ticks[-1]
    plot_h, plot_w = height - top - bottom, width - left - right
    span = vmax - vmin or 1.0

    def y_of(v: float) -> float:
        return top + plot_h - plot_h * (v - vmin) / span

    parts = [head]
    for v in ticks:
        y = y_of(v)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(_t(left - 6, y + 4, _num(v), size=11, anchor="end", fill=MUTED))
    if vmin < 0:
        parts.append(f'<line x1="{left}" y1="{y_of(0):.1f}" x2="{width - right}" y2="{y_of(0):.1f}" '
                     f'stroke="{INK}"/>')
    step = plot_w / max(len(columns) - 1, 1)
    for i, name in enumerate(columns):
        if len(columns) <= 12 or i % 2 == 0:
            parts.append(_t(left + i * step, top + plot_h + 16, name, size=11, anchor="middle", fill=MUTED))
    for j, s in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        points = [(left + i * step, y_of(float(v))) for i, v in enumerate(s.values) if v is not None]
        if not points:
            continue
        dash = ' stroke-dasharray="6 4"' if j > 0 else ""
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>')
        for x, y in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        lx = left + j * 220
        parts.append(f'<line x1="{lx}" y1="{height - 12}" x2="{lx + 24}" y2="{height - 12}" stroke="{colour}" '
                     f'stroke-width="2.5"{dash}/>')
        parts.append(_t(lx + 30, height - 8, s.label, size=12))
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 - escaped above
