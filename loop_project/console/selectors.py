"""Reads behind the console pages: the dashboard's numbers and the dispatch queue page.

Every function here runs a fixed number of queries whatever the data size (the tests pin them):
grouped counts instead of one count per bucket, ``select_related`` for everything a page shows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from dispatch.selectors import QueueEntry, dispatch_queue
from issues.models import Issue, IssueEvent, IssueRelation
from signals_app.models import Signal
from templates_app.models import PromptReview, PromptVersion
from templates_app.selectors import TemplateHealth, prompt_health

DASHBOARD_DAYS = 14
RECENT_EVENTS = 12


@dataclass(frozen=True)
class StaleClaim:
    issue: Issue
    expired_for: timedelta


@dataclass
class LoopHealth:
    triage_backlog: int
    oldest_triage: Issue | None
    in_progress: int
    stale_claims: list[StaleClaim]
    stale_claim_count: int
    eligible: int
    blocked_open: int


@dataclass
class PromptHealth:
    templates: list[TemplateHealth]  # templates_app's own health rows (score, usage, attention)
    needing_attention: int
    drafts: int
    templates_without_active: int
    reviews_last_7_days: int


@dataclass
class Dashboard:
    total: int
    by_status: dict[str, int]
    by_type: dict[str, int]
    days: list[date]
    done_per_day: list[int]
    signal_sources: list[str]
    signals_per_day: dict[str, list[int]]
    health: LoopHealth
    prompts: PromptHealth
    recent_events: list[IssueEvent] = field(default_factory=list)


def _days(now: datetime, count: int) -> list[date]:
    today = timezone.localdate(now)
    return [today - timedelta(days=offset) for offset in range(count - 1, -1, -1)]


def loop_dashboard(*, now: datetime | None = None, days: int = DASHBOARD_DAYS) -> Dashboard:
    """Everything the dashboard shows, in a fixed dozen queries."""
    now = now or timezone.now()
    day_list = _days(now, days)
    since = timezone.make_aware(datetime.combine(day_list[0], datetime.min.time()))

    by_status: dict[str, int] = {value: 0 for value in Issue.Status.values}
    by_type: dict[str, int] = {value: 0 for value in Issue.Type.values}
    blocked_open = 0
    eligible = 0
    # One grouped query gives both breakdowns plus the blocked and eligible counts.
    for row in Issue.objects.values("status", "type", "is_blocked").annotate(n=Count("id")):
        by_status[row["status"]] += row["n"]
        by_type[row["type"]] += row["n"]
        if row["is_blocked"] and row["status"] not in Issue.FINISHED_STATUSES:
            blocked_open += row["n"]
        if row["status"] == Issue.Status.TODO and not row["is_blocked"]:
            eligible += row["n"]

    done_rows = (
        Issue.objects.filter(status=Issue.Status.DONE, completed_at__gte=since)
        .annotate(day=TruncDate("completed_at"))
        .values("day")
        .annotate(n=Count("id"))
    )
    done_by_day = {row["day"]: row["n"] for row in done_rows}

    signal_rows = (
        Signal.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day", "source")
        .annotate(n=Count("id"))
    )
    per_source: dict[str, dict[date, int]] = defaultdict(dict)
    for row in signal_rows:
        per_source[row["source"]][row["day"]] = row["n"]
    sources = sorted(per_source, key=lambda s: (-sum(per_source[s].values()), s))

    return Dashboard(
        total=sum(by_status.values()),
        by_status=by_status,
        by_type=by_type,
        days=day_list,
        done_per_day=[done_by_day.get(day, 0) for day in day_list],
        signal_sources=sources,
        signals_per_day={s: [per_source[s].get(day, 0) for day in day_list] for s in sources},
        health=_loop_health(now=now, by_status=by_status, eligible=eligible, blocked=blocked_open),
        prompts=_prompt_health(now=now),
        recent_events=list(
            IssueEvent.objects.select_related("issue").order_by("-created_at", "-id")[
                :RECENT_EVENTS
            ]
        ),
    )


def _loop_health(
    *, now: datetime, by_status: dict[str, int], eligible: int, blocked: int
) -> LoopHealth:
    stale = list(
        Issue.objects.filter(status=Issue.Status.IN_PROGRESS, lease_expires_at__lt=now)
        .order_by("lease_expires_at", "id")
        .only("id", "number", "title", "claimed_by", "lease_expires_at")[:5]
    )
    stale_count = (
        len(stale)
        if len(stale) < 5
        else Issue.objects.filter(status=Issue.Status.IN_PROGRESS, lease_expires_at__lt=now).count()
    )
    oldest = (
        Issue.objects.filter(status=Issue.Status.TRIAGE)
        .order_by("created_at", "id")
        .only("id", "number", "title", "created_at")
        .first()
    )
    return LoopHealth(
        triage_backlog=by_status[Issue.Status.TRIAGE],
        oldest_triage=oldest,
        in_progress=by_status[Issue.Status.IN_PROGRESS],
        stale_claims=[StaleClaim(issue, now - issue.lease_expires_at) for issue in stale],
        stale_claim_count=stale_count,
        eligible=eligible,
        blocked_open=blocked,
    )


def _prompt_health(*, now: datetime) -> PromptHealth:
    templates = prompt_health()
    drafts = PromptVersion.objects.filter(
        status=PromptVersion.Status.DRAFT, template__deleted_at=None
    ).count()
    return PromptHealth(
        templates=templates,
        needing_attention=sum(1 for row in templates if row.needs_attention),
        drafts=drafts,
        templates_without_active=sum(1 for row in templates if row.active_version is None),
        reviews_last_7_days=PromptReview.objects.filter(
            created_at__gte=now - timedelta(days=7)
        ).count(),
    )


# --- the dispatch queue page -----------------------------------------------------------------


@dataclass(frozen=True)
class BlockedIssue:
    issue: Issue
    blockers: list[Issue]


@dataclass
class QueueOverview:
    entries: list[QueueEntry]
    total: int
    claimed: list[Issue]
    blocked: list[BlockedIssue]
    blocked_total: int
    total_exact: bool = True  # false past 10,000 eligible issues: ``total`` is an estimate


QUEUE_PAGE = 50
BLOCKED_SHOWN = 50


def queue_overview(
    *, project_id: str | None = None, limit: int = QUEUE_PAGE, offset: int = 0
) -> QueueOverview:
    """The eligible queue in dispatch order (with score breakdowns), what agents hold right now,
    and what is blocked by what — a fixed handful of queries."""
    page = dispatch_queue(project_id=project_id, limit=limit, offset=offset)
    scoped = (
        Issue.objects.all() if project_id is None else Issue.objects.filter(project_id=project_id)
    )
    claimed = list(
        scoped.filter(status=Issue.Status.IN_PROGRESS)
        .select_related("project")
        .order_by("lease_expires_at", "id")
    )
    blocked_qs = scoped.filter(is_blocked=True).exclude(status__in=Issue.FINISHED_STATUSES)
    blocked = list(
        blocked_qs.select_related("project").order_by("dispatch_rank", "id")[:BLOCKED_SHOWN]
    )
    blocked_total = len(blocked) if len(blocked) < BLOCKED_SHOWN else blocked_qs.count()
    return QueueOverview(
        entries=page.entries,
        total=page.total,
        total_exact=page.total_exact,
        claimed=claimed,
        blocked=_with_open_blockers(blocked),
        blocked_total=blocked_total,
    )


def _with_open_blockers(issues: list[Issue]) -> list[BlockedIssue]:
    """Pair each blocked issue with the unfinished issues blocking it (either relation spelling),
    in one query."""
    ids = [issue.pk for issue in issues]
    blockers: dict[str, list[Issue]] = defaultdict(list)
    if ids:
        relations = IssueRelation.objects.filter(
            Q(issue_id__in=ids, type=IssueRelation.Type.BLOCKED_BY)
            | Q(related_issue_id__in=ids, type=IssueRelation.Type.BLOCKS)
        ).select_related("issue", "related_issue")
        for relation in relations:
            if relation.type == IssueRelation.Type.BLOCKED_BY:
                blocked, blocker = relation.issue, relation.related_issue
            else:
                blocked, blocker = relation.related_issue, relation.issue
            if not blocker.is_finished and not blocker.is_deleted:
                blockers[blocked.pk].append(blocker)
    return [
        BlockedIssue(issue, sorted(blockers[issue.pk], key=lambda b: b.number)) for issue in issues
    ]
