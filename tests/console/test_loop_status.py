"""``manage.py loop_status``: the one-screen summary, and its JSON for scripts."""
from __future__ import annotations

import io
import json

from django.core.management import call_command

from dispatch.selectors import dispatch_queue
from issues.models import Issue
from loop_project.console.management.commands.loop_status import sparkline


def status(*args: str) -> str:
    out = io.StringIO()
    call_command("loop_status", *args, stdout=out)
    return out.getvalue()


def test_the_summary_fits_one_screen_and_names_what_needs_a_human(loop):
    output = status()
    lines = output.strip().splitlines()
    assert len(lines) <= 10 and all(len(line) < 200 for line in lines)
    head = dispatch_queue(limit=1).entries[0]
    assert f"next #{head.issue.number}" in output
    assert f"1 stale (#{loop.stale.number} worker-b" in output and "reclaim_stale" in output
    triage = Issue.objects.filter(status="triage").count()
    assert f"Triage   {triage} waiting" in output and "manage.py triage" in output
    assert f"{Issue.objects.count()} total" in output


def test_json_output_carries_the_same_numbers(loop):
    data = json.loads(status("--json"))
    assert data["issues"]["total"] == Issue.objects.count()
    assert data["claims"] == {"inProgress": 2, "stale": 1, "staleIssues": [loop.stale.number]}
    assert data["queue"]["eligible"] == dispatch_queue(limit=1).total
    assert data["prompts"]["drafts"] == 1
    assert len(data["throughput"]["done"]) == 14


def test_an_empty_loop(db):
    output = status()
    assert "nothing to dispatch" in output and "0 total" in output


def test_sparkline_scales_to_the_busiest_day():
    assert sparkline([0, 1, 2, 4]) == "▁▃▅█"
    assert sparkline([0, 0]) == "▁▁"
