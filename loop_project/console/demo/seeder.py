"""The demo's building blocks: create issues, signals, claims and finished work through the
services, and remember where each belongs on the demo's clock.

Everything is written through the services the API uses — signals through ``ingest_signal``,
issues, relations and comments through ``issues.services``, claims through ``dispatch`` — so the
audit trail, ranks and blocked flags are the real thing. Then ``wind_back_clock`` moves the rows
into the past so the dashboard shows two weeks of history. That shift is the one direct write of
the demo, and it moves ``created_at`` and ``dispatch_rank`` together (the rank is "created day −
constant"), so the queue order stays exactly what the services computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.management.base import CommandError
from django.db.models import F
from django.utils import timezone

from dispatch.services import claim_next_issue
from issues import services as issues
from issues.models import Comment, Issue, IssueEvent, Label, Project
from signals_app.models import Signal
from signals_app.services import ingest_signal
from templates_app.models import PromptReview

ADMIN = "user:admin"
WORKER_1 = "claude-worker-1"
WORKER_2 = "claude-worker-2"

LABELS = {
    "bug": "#ef4444",
    "performance": "#f59e0b",
    "frontend": "#3b82f6",
    "backend": "#8b5cf6",
    "payments": "#10b981",
    "flaky-test": "#64748b",
    "customer-report": "#ec4899",
}


@dataclass
class Backdate:
    """Where one issue sits on the demo's clock: created ``days`` ago, finished ``finished`` days
    ago (None while open)."""

    issue: Issue
    days: float
    finished: float | None = None
    signals: list[tuple[Signal, float]] = field(default_factory=list)


class DemoSeeder:
    """Building blocks for a demo story (see ``loop_project.console.demo.story``)."""

    def __init__(self) -> None:
        self.clock: list[Backdate] = []
        self.labels: dict[str, Label] = {}

    def task(
        self,
        title: str,
        project: Project,
        *,
        priority: int,
        labels: list[str],
        days: float,
        parent: Issue | None = None,
        status: str = Issue.Status.TODO,
        description: str | None = None,
    ) -> Issue:
        issue = issues.create_issue(
            actor=f"agent:{WORKER_1}",
            title=title,
            type=Issue.Type.TASK,
            status=status,
            priority=priority,
            project_id=project.pk,
            parent_id=parent.pk if parent else None,
            label_ids=[self.labels[name].pk for name in labels],
            description=description,
        )
        self.clock.append(Backdate(issue, days))
        return issue

    def signal(
        self,
        source: str,
        type: str,
        severity: str,
        *,
        days: float,
        project: Project,
        payload: dict[str, Any],
        fingerprint: str | None = None,
        grouped_onto: Issue | None = None,
    ) -> Issue:
        result = ingest_signal(
            source=source,
            type=type,
            severity=severity,
            payload=payload,
            project_id=project.pk,
            fingerprint=fingerprint,
            actor=f"webhook:{source}",
        )
        if grouped_onto is not None:
            entry = next(entry for entry in self.clock if entry.issue.pk == grouped_onto.pk)
        else:
            entry = Backdate(result.issue, days)
            self.clock.append(entry)
        entry.signals.append((result.signal, days))
        return result.issue

    def claim(self, issue: Issue, agent: str, *, stale_minutes: int | None = None) -> None:
        claim = claim_next_issue(agent_name=agent)
        if claim is None or claim.issue.pk != issue.pk:
            raise CommandError("seed_demo expected to claim its own issue; is the database empty?")
        if stale_minutes is not None:
            # An agent that crashed mid-task: its lease ran out, so the console shows a stale claim.
            Issue.objects.filter(pk=issue.pk).update(
                lease_expires_at=timezone.now() - timedelta(minutes=stale_minutes)
            )

    def finish(
        self,
        issue: Issue,
        *,
        days: float,
        summary: str,
        commits: list[tuple[str, str]] = (),
        pull: tuple[int, str] | None = None,
    ) -> None:
        issues.update_issue(
            issue_id=issue.pk,
            actor=f"agent:{WORKER_1}",
            event_kind=IssueEvent.Kind.COMPLETED,
            changes={
                "status": Issue.Status.DONE,
                "agent_summary": summary,
                "agent_session_id": f"sess-{issue.number:04d}",
                "commits": [
                    {
                        "sha": sha + "d41f9",
                        "message": message,
                        "author": WORKER_1,
                        "url": f"https://github.com/acme/shop/commit/{sha}d41f9",
                    }
                    for sha, message in commits
                ]
                or None,
                "pull_requests": [
                    {
                        "number": pull[0],
                        "title": issue.title,
                        "state": pull[1],
                        "url": f"https://github.com/acme/shop/pull/{pull[0]}",
                    }
                ]
                if pull
                else None,
            },
        )
        self.mark_finished(issue, days)

    def mark_finished(self, issue: Issue, days: float) -> None:
        next(entry for entry in self.clock if entry.issue.pk == issue.pk).finished = days

    def wind_back_clock(self) -> None:
        """Move each issue, its history and its signals to their place in the demo's past: created
        ``days`` ago, finished ``finished`` days ago, the events in between in their order."""
        now = timezone.now()
        for entry in self.clock:
            issue = Issue.all_objects.get(pk=entry.issue.pk)
            created_at = now - timedelta(days=entry.days)
            finished_at = (
                now - timedelta(days=entry.finished) if entry.finished is not None else None
            )
            shift_days = (created_at - issue.created_at).total_seconds() / 86400.0
            events = list(IssueEvent.objects.filter(issue_id=issue.pk).order_by("id"))
            last_step = (finished_at or now) - timedelta(minutes=1)
            claimed_at = None
            last_when = created_at
            # Repeats of a grouped signal happened when their signals arrived.
            repeats = iter(sorted((now - timedelta(days=days) for _, days in entry.signals[1:])))
            for index, event in enumerate(events):
                if index == 0:
                    when = created_at
                elif finished_at is not None and event is events[-1] and "status" in event.changes:
                    when = finished_at
                elif event.kind == IssueEvent.Kind.OCCURRENCE:
                    when = next(repeats, last_step)
                else:
                    when = min(created_at + timedelta(minutes=17 * index), last_step)
                if event.kind == IssueEvent.Kind.CLAIMED:
                    claimed_at = when
                IssueEvent.objects.filter(pk=event.pk).update(created_at=when)
                last_when = when
            latest_signal = min((days for _, days in entry.signals), default=None)
            Issue.all_objects.filter(pk=issue.pk).update(
                created_at=created_at,
                # The rank is "created day − constant": moving the day moves the rank with it.
                dispatch_rank=F("dispatch_rank") + shift_days,
                completed_at=finished_at,
                updated_at=last_when,
                **({"claimed_at": claimed_at} if claimed_at else {}),
                **(
                    {"last_seen_at": now - timedelta(days=latest_signal)}
                    if latest_signal is not None and issue.fingerprint
                    else {}
                ),
            )
            for signal, days in entry.signals:
                Signal.objects.filter(pk=signal.pk).update(created_at=now - timedelta(days=days))
            for index, comment_id in enumerate(
                Comment.objects.filter(issue_id=issue.pk).order_by("id").values_list("id", flat=True)
            ):
                when = min(created_at + timedelta(minutes=45 * (index + 1)), last_step)
                Comment.objects.filter(pk=comment_id).update(created_at=when)
            # An agent reviews its prompt as it finishes.
            PromptReview.objects.filter(issue_id=issue.pk).update(
                created_at=min((finished_at or last_step) + timedelta(minutes=5), now)
            )
