"""Dispatch reads: the eligible issues in exact dispatch order, with their score breakdowns.

The queue is read through the same partial index the claim walks (``issue_dispatch_queue`` or its
per-project twin), in the same order (``dispatch_rank, id``), so page 1 is exactly what the next
claims would hand out and reading it costs the page, not the backlog.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from issues.models import Goal, Issue
from issues.ranking import ScoreBreakdown, score_breakdown


@dataclass(frozen=True)
class QueueEntry:
    issue: Issue
    breakdown: ScoreBreakdown

    @property
    def score(self) -> int:
        return self.breakdown.total


# An exact count of the whole eligible queue walks every entry of its index: ~200 ms at 800k
# eligible issues (docs/benchmarks.md). Up to this many it is counted exactly; beyond, ``total`` is
# PostgreSQL's estimate and ``total_exact`` is false.
EXACT_TOTAL_LIMIT = 10_000


@dataclass(frozen=True)
class QueuePage:
    entries: list[QueueEntry]
    total: int
    total_exact: bool = True


def eligible_issues(*, project_id: str | None = None) -> QuerySet[Issue]:
    """Dispatchable issues, best first. The filter is the partial index predicate (the default
    manager adds ``deleted_at IS NULL``) and the order is the index order."""
    queryset = Issue.objects.filter(status=Issue.Status.TODO, is_blocked=False)
    if project_id is not None:
        queryset = queryset.filter(project_id=project_id)
    return queryset.order_by("dispatch_rank", "id")


def dispatch_queue(
    *, project_id: str | None = None, limit: int = 50, offset: int = 0, now: datetime | None = None
) -> QueuePage:
    """One page of the queue in dispatch order, each issue with its score breakdown. Does not
    claim. Three queries whatever the page size (four past ``EXACT_TOTAL_LIMIT``): the count, the
    page, the projects' active goals."""
    now = now or timezone.now()
    queryset = eligible_issues(project_id=project_id)
    total, total_exact = queue_total(queryset)
    # The page's ids come from the index alone (an index-only scan skips `offset` entries without
    # touching the table); only the page's own rows are then read. Reading whole rows while
    # skipping would fetch every skipped row from the table: 2.6 s for a page at offset 400,000
    # (benchmarks.md). Still one statement.
    page_ids = queryset.values("id")[offset : offset + limit]
    issues = (
        list(Issue.objects.filter(pk__in=page_ids).order_by("dispatch_rank", "id"))
        if offset < total
        else []
    )
    project_ids = {issue.project_id for issue in issues if issue.project_id}
    with_goal = (
        set(
            Goal.objects.filter(project_id__in=project_ids, status=Goal.Status.ACTIVE).values_list(
                "project_id", flat=True
            )
        )
        if project_ids
        else set()
    )
    entries = [
        QueueEntry(
            issue=issue,
            breakdown=score_breakdown(
                created_at=issue.created_at,
                now=now,
                priority=issue.priority,
                issue_type=issue.type,
                has_active_goal=issue.project_id in with_goal,
            ),
        )
        for issue in issues
    ]
    return QueuePage(entries=entries, total=total, total_exact=total_exact)


def queue_total(queryset: QuerySet[Issue]) -> tuple[int, bool]:
    """(number of eligible issues, whether that number is exact). Counts at most
    ``EXACT_TOTAL_LIMIT + 1`` index entries; a longer queue on PostgreSQL is given the planner's
    estimate (never less than what was counted). SQLite, the small embedded setup, counts all."""
    if connection.vendor != "postgresql":
        return queryset.count(), True
    counted = queryset.values("id")[: EXACT_TOTAL_LIMIT + 1].count()
    if counted <= EXACT_TOTAL_LIMIT:
        return counted, True
    plan = json.loads(queryset.values("id").explain(format="json"))
    return max(int(plan[0]["Plan"]["Plan Rows"]), counted), False
