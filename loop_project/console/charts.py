"""Server-side charts for the console: small, dependency-free inline SVG.

Each function takes plain numbers and returns SVG markup ready for a template. Colours come from
CSS classes (``loop_project/console/static/console/console.css``), so the charts follow the
admin's light and dark themes; every bar carries a ``<title>`` so hovering shows its exact value,
and the chart itself has an accessible name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Room for the axis labels around the plot area, in SVG user units.
_LEFT = 34
_RIGHT = 8
_TOP = 26
_BOTTOM = 22


@dataclass(frozen=True)
class Series:
    """One named row of values, one value per label; ``css_class`` picks its colour."""

    name: str
    values: Sequence[float]
    css_class: str


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 4, 6, 8 × 10^k that is ≥ value (at least 2), so the top and middle
    gridlines of a count chart fall on whole, round numbers."""
    if value <= 2:
        return 2
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 4, 6, 8, 10):
        candidate = step * 10**exponent
        if candidate >= value:
            return candidate
    return 10 ** (exponent + 1)  # pragma: no cover - the loop always returns


def _fmt(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def column_chart(
    *,
    labels: Sequence[str],
    series: Sequence[Series],
    title: str,
    width: int = 640,
    height: int = 200,
    label_every: int = 1,
) -> SafeString:
    """Vertical columns per label, the series stacked; a legend when there is more than one.

    ``label_every`` thins the x-axis labels (every Nth) when there are many columns.
    """
    if any(len(s.values) != len(labels) for s in series):
        raise ValueError("every series needs one value per label")
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = nice_ceiling(max(totals, default=0))
    plot_w = width - _LEFT - _RIGHT
    plot_h = height - _TOP - _BOTTOM
    slot = plot_w / max(len(labels), 1)
    bar_w = max(slot * 0.68, 1.0)
    parts: list[str] = [
        f'<svg class="loop-chart" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for fraction in (0, 0.5, 1):
        y = _TOP + plot_h - fraction * plot_h
        parts.append(
            f'<line class="grid" x1="{_LEFT}" x2="{width - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="axis" x="{_LEFT - 6}" y="{y + 3.5:.1f}" text-anchor="end">'
            f"{_fmt(top * fraction)}</text>"
        )
    for index, label in enumerate(labels):
        x = _LEFT + index * slot + (slot - bar_w) / 2
        base = _TOP + plot_h
        for s in series:
            value = s.values[index]
            if value <= 0:
                continue
            h = value / top * plot_h
            base -= h
            parts.append(
                f'<rect class="{escape(s.css_class)}" x="{x:.1f}" y="{base:.1f}" '
                f'width="{bar_w:.1f}" height="{h:.1f}" rx="1.5">'
                f"<title>{escape(label)}: {escape(s.name)} {_fmt(value)}</title></rect>"
            )
        if index % max(label_every, 1) == 0 or index == len(labels) - 1:
            parts.append(
                f'<text class="axis" x="{x + bar_w / 2:.1f}" y="{height - 6}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    if len(series) > 1:
        x = _LEFT
        for s in series:
            parts.append(
                f'<rect class="{escape(s.css_class)}" x="{x}" y="6" width="10" height="10" rx="2"/>'
            )
            parts.append(f'<text class="legend" x="{x + 14}" y="15">{escape(s.name)}</text>')
            x += 14 + 7 * len(s.name) + 18
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every interpolated text above is escaped


def bar_list(
    *, items: Sequence[tuple[str, float, str]], title: str, width: int = 320, row_height: int = 24
) -> SafeString:
    """Horizontal bars, one row per (label, value, css_class), labelled with their values."""
    label_w = 96
    value_w = 40
    height = max(len(items), 1) * row_height + 4
    top = max((value for _, value, _ in items), default=0) or 1
    plot_w = width - label_w - value_w
    parts: list[str] = [
        f'<svg class="loop-chart" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value, css_class) in enumerate(items):
        y = 2 + index * row_height
        w = max(value / top * plot_w, 2 if value else 0)
        parts.append(
            f'<text class="label" x="{label_w - 8}" y="{y + row_height / 2 + 4:.1f}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        parts.append(
            f'<rect class="track" x="{label_w}" y="{y + 5}" width="{plot_w}" '
            f'height="{row_height - 10}" rx="3"/>'
        )
        if w:
            parts.append(
                f'<rect class="{escape(css_class)}" x="{label_w}" y="{y + 5}" width="{w:.1f}" '
                f'height="{row_height - 10}" rx="3"><title>{escape(label)}: {_fmt(value)}'
                f"</title></rect>"
            )
        parts.append(
            f'<text class="value" x="{label_w + plot_w + 6}" y="{y + row_height / 2 + 4:.1f}">'
            f"{_fmt(value)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every interpolated text above is escaped
