"""``manage.py loop_status``: the loop on one terminal screen (the dashboard, as text).

It reads the same selectors as the console's dashboard and queue page, so the two always agree.
``--json`` prints the same numbers for scripts and monitoring.
"""
from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from dispatch.selectors import dispatch_queue
from issues.admin.panels import short_age
from issues.models import Issue
from loop_project.console.selectors import Dashboard, loop_dashboard

SPARK = "▁▂▃▄▅▆▇█"
QUEUE_HEAD = 3


def sparkline(values: list[int]) -> str:
    """One character per value, scaled to the largest; zero is the lowest bar."""
    top = max(values, default=0)
    if not top:
        return SPARK[0] * len(values)
    return "".join(SPARK[round(value / top * (len(SPARK) - 1))] for value in values)


class Command(BaseCommand):
    help = "Print a one-screen summary of the loop: issues, queue, claims, triage, throughput, signals, prompts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the numbers as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        board = loop_dashboard()
        head = dispatch_queue(limit=QUEUE_HEAD)
        if options["json"]:
            self.stdout.write(json.dumps(as_json(board, head), indent=2))
            return
        for line in as_lines(board, head, style=self.style):
            self.stdout.write(line)


def as_json(board: Dashboard, head) -> dict[str, Any]:
    health = board.health
    return {
        "generatedAt": timezone.now().isoformat(),
        "issues": {"total": board.total, "byStatus": board.by_status, "byType": board.by_type},
        "queue": {
            "eligible": health.eligible,
            "blocked": health.blocked_open,
            "next": [{"number": e.issue.number, "title": e.issue.title, "score": e.score} for e in head.entries],
        },
        "claims": {
            "inProgress": health.in_progress,
            "stale": health.stale_claim_count,
            "staleIssues": [s.issue.number for s in health.stale_claims],
        },
        "triage": {
            "waiting": health.triage_backlog,
            "oldest": health.oldest_triage.number if health.oldest_triage else None,
        },
        "throughput": {"days": [d.isoformat() for d in board.days], "done": board.done_per_day},
        "signals": {"days": [d.isoformat() for d in board.days], "bySource": board.signals_per_day},
        "prompts": {
            "templates": len(board.prompts.templates),
            "needingAttention": [row.template.slug for row in board.prompts.templates if row.needs_attention],
            "drafts": board.prompts.drafts,
            "withoutActiveVersion": board.prompts.templates_without_active,
            "reviewsLast7Days": board.prompts.reviews_last_7_days,
        },
    }  # fmt: skip


def as_lines(board: Dashboard, head, *, style) -> list[str]:
    health, prompts = board.health, board.prompts
    status = board.by_status
    open_parts = " · ".join(
        f"{label.lower()} {status[value]}" for value, label in Issue.Status.choices
        if value not in Issue.FINISHED_STATUSES
    )  # fmt: skip
    lines = [
        style.MIGRATE_HEADING(f"Loop status · {timezone.now():%Y-%m-%d %H:%M %Z}"),
        f"Issues   {board.total} total │ open: {open_parts} │ done {status['done']} · canceled {status['canceled']}",
    ]
    if head.entries:
        top = head.entries[0]
        nxt = f"next #{top.issue.number} {_cut(top.issue.title, 48)} (score {top.score})"
    else:
        nxt = "nothing to dispatch"
    lines.append(f"Queue    {health.eligible} ready · {health.blocked_open} blocked · {nxt}")
    claims = f"Claims   {health.in_progress} in progress"
    if health.stale_claim_count:
        stale = ", ".join(
            f"#{s.issue.number} {s.issue.claimed_by or '?'} {short_age(s.issue.lease_expires_at)} ago"
            for s in health.stale_claims
        )
        claims += " · " + style.ERROR(f"{health.stale_claim_count} stale ({stale})") + " → manage.py reclaim_stale"
    lines.append(claims)
    triage = f"Triage   {health.triage_backlog} waiting"
    if health.oldest_triage:
        triage = style.WARNING(triage) + (
            f" · oldest #{health.oldest_triage.number} ({short_age(health.oldest_triage.created_at)})"
            " → manage.py triage"
        )
    lines.append(triage)
    days = len(board.days)
    lines.append(
        f"Done     {sum(board.done_per_day)} in {days} days · today {board.done_per_day[-1]} · "
        f"{sparkline(board.done_per_day)}"
    )
    signal_total = sum(sum(values) for values in board.signals_per_day.values())
    by_source = ", ".join(f"{source} {sum(board.signals_per_day[source])}" for source in board.signal_sources)
    per_day = [sum(values[i] for values in board.signals_per_day.values()) for i in range(days)]
    lines.append(
        f"Signals  {signal_total} in {days} days" + (f" ({by_source})" if by_source else "")
        + f" · {sparkline(per_day)}"
    )
    attention = [
        f"{row.template.slug} v{row.active_version.version} {row.active_version.review_score:.2f}"
        if row.active_version and row.active_version.review_score is not None
        else row.template.slug
        for row in prompts.templates
        if row.needs_attention
    ]
    prompt_line = f"Prompts  {len(prompts.templates)} templates · {prompts.reviews_last_7_days} reviews in 7 days"
    if attention:
        prompt_line += " · " + style.WARNING(f"needs attention: {', '.join(attention)}")
    if prompts.drafts:
        prompt_line += f" · {prompts.drafts} draft(s) waiting"
    if prompts.templates_without_active:
        prompt_line += " · " + style.ERROR(f"{prompts.templates_without_active} without an active version")
    lines.append(prompt_line)
    return lines


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
