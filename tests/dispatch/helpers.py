"""Test data for dispatch: backdated issues, active templates, bulk-seeded backlogs."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from issues.models import Issue
from issues.numbering import reserve_issue_numbers
from issues.ranking import SECONDS_PER_DAY, base_score, dispatch_rank
from issues.services import project_has_active_goal
from templates_app.models import PromptTemplate, PromptVersion
from tests.factories import PromptTemplateFactory, PromptVersionFactory

TYPES = ["signal", "hypothesis", "plan", "task", "monitor"]


def set_created(issue: Issue, *, days_ago: float, now: datetime | None = None) -> Issue:
    """Move an issue's creation into the past, with the rank the issues app would have stored."""
    created = (now or timezone.now()) - timedelta(days=days_ago)
    rank = dispatch_rank(
        created_at=created,
        priority=issue.priority,
        issue_type=issue.type,
        has_active_goal=project_has_active_goal(issue.project_id),
    )
    Issue.all_objects.filter(pk=issue.pk).update(created_at=created, dispatch_rank=rank)
    issue.refresh_from_db()
    return issue


def exact_score(issue: Issue, now: datetime) -> float:
    """The score before whole days are taken: the order dispatch promises (ties by id after)."""
    base = base_score(
        priority=issue.priority,
        issue_type=issue.type,
        has_active_goal=project_has_active_goal(issue.project_id),
    )
    return base + (now - issue.created_at).total_seconds() / SECONDS_PER_DAY


def make_active_template(
    *, content: str = "Work on #{{ issue.number }}: {{ issue.title }}.", conditions=None,
    specificity: int = 90,
) -> tuple[PromptTemplate, PromptVersion]:
    """A template with an active version, specific enough to beat the seeded defaults."""
    template = PromptTemplateFactory(conditions=conditions or {}, specificity=specificity)
    version = PromptVersionFactory(
        template=template, version=1, content=content, status=PromptVersion.Status.ACTIVE
    )
    template.active_version = version
    template.save(update_fields=["active_version"])
    return template, version


def seed_todo_issues(
    count: int, *, project_id: str | None = None, blocked_every: int = 0, status: str = "todo"
) -> list[str]:
    """Bulk-insert a backlog (mixed priorities and types) with correct ranks; returns the ids.
    ``blocked_every=5`` marks every fifth issue blocked, as the maintained column would."""
    now = timezone.now()
    has_goal = project_has_active_goal(project_id)
    rows = []
    for index, number in enumerate(reserve_issue_numbers(count)):
        priority, issue_type = index % 5, TYPES[(index // 5) % 5]
        rows.append(
            Issue(
                number=number,
                title=f"Seeded issue {number}",
                status=status,
                priority=priority,
                type=issue_type,
                project_id=project_id,
                is_blocked=bool(blocked_every) and index % blocked_every == 0,
                dispatch_rank=dispatch_rank(
                    created_at=now, priority=priority, issue_type=issue_type, has_active_goal=has_goal
                ),
            )
        )
    Issue.objects.bulk_create(rows, batch_size=1000)
    return [row.pk for row in rows]


def analyze_issues() -> None:
    """Fresh planner statistics, as autovacuum would gather on a real backlog."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE issues_issue" if connection.vendor == "postgresql" else "ANALYZE")
