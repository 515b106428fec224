"""The server-side SVG charts: scales, stacking, escaping."""
from __future__ import annotations

import re

import pytest

from loop_project.console import charts


@pytest.mark.parametrize(("value", "expected"), [(0, 2), (1, 2), (3, 4), (5, 6), (9, 10), (11, 20), (35, 40), (401, 600)])
def test_nice_ceiling_gives_round_tops_with_whole_midpoints(value, expected):
    assert charts.nice_ceiling(value) == expected


def test_columns_stack_series_and_scale_to_the_tallest_day():
    svg = charts.column_chart(
        labels=["Mon", "Tue"],
        series=[charts.Series("sentry", [2, 0], "src-0"), charts.Series("github", [2, 1], "src-1")],
        title="Signals",
    )
    heights = [float(h) for h in re.findall(r'<rect class="src-\d" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" rx="1.5"><title>', svg)]
    # Mon stacks 2 + 2 = 4 (the top of the scale, 152 units tall); zero values draw nothing.
    assert len(heights) == 3
    assert sum(heights[:2]) == pytest.approx(200 - 26 - 22)
    assert "<title>Tue: github 1</title>" in svg
    assert 'class="legend"' in svg


def test_chart_text_is_escaped():
    svg = charts.column_chart(labels=["<b>"], series=[charts.Series("<script>", [1], "c-done")], title='"x"')
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    bars = charts.bar_list(items=[("<i>", 3, "s-todo")], title="t")
    assert "<i>" not in bars and "&lt;i&gt;" in bars


def test_mismatched_series_are_refused():
    with pytest.raises(ValueError):
        charts.column_chart(labels=["a", "b"], series=[charts.Series("s", [1], "c")], title="t")


def test_bar_list_scales_to_the_largest_value():
    svg = charts.bar_list(items=[("todo", 10, "s-todo"), ("done", 5, "s-done"), ("none", 0, "s-backlog")], title="t")
    widths = re.findall(r'<rect class="s-(?:todo|done)" x="\d+" y="[\d.]+" width="([\d.]+)"', svg)
    assert float(widths[0]) == pytest.approx(2 * float(widths[1]))
    assert 'class="s-backlog"' not in svg  # a zero draws no bar, only its track
