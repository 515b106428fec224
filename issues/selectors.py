"""Reads for issues, labels, projects, goals and the dashboard.

Each selector returns rows with everything its caller will render already loaded
(``select_related``/``prefetch_related``), so views and serializers never add queries; the API
tests pin the counts. Soft-deleted rows never come out of here: the default managers hide them and
related rows are filtered the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from issues.models import Comment, Goal, Issue, IssueRelation, Label, Project
from loop_project.errors import NotFound

# Upstream lists issues oldest first; the number breaks ties between rows created in the same
# instant, so pages never overlap or skip.
ISSUE_LIST_ORDER = ("created_at", "number")
RELATION_ORDER = ("created_at", "id")
COMMENT_ORDER = ("created_at", "id")


def _relations(*, outgoing: bool) -> QuerySet[IssueRelation]:
    """Relations whose other end is a live issue (a relation to a deleted issue would hand the
    client an id that answers 404)."""
    other_end = "related_issue__deleted_at__isnull" if outgoing else "issue__deleted_at__isnull"
    return IssueRelation.objects.filter(**{other_end: True}).order_by(*RELATION_ORDER)


def _live_children() -> Prefetch:
    return Prefetch(
        "children", queryset=Issue.objects.order_by(*ISSUE_LIST_ORDER), to_attr="live_children"
    )


# --- issues ----------------------------------------------------------------------------------


def issue_list() -> QuerySet[Issue]:
    """Live issues in list order; the API's FilterSet narrows it (status, type, projectId, ...)."""
    return Issue.objects.order_by(*ISSUE_LIST_ORDER)


def issue_detail(*, issue_id: str) -> Issue:
    """A live issue with its whole context loaded, for ``IssueDetailOut``.

    Sets ``live_parent`` (None when there is none or it is deleted), ``live_children``,
    ``live_labels``, ``outgoing_relations``, ``incoming_relations``, ``comment_threads`` (see
    ``thread_comments``) and ``origin_signal`` (the oldest signal linked to it, or None).
    Raises ``NotFound`` for an unknown or deleted issue.
    """
    # Imported here: signals_app depends on issues, not the other way round; only this read needs
    # the signal table.
    from signals_app.models import Signal

    issue = (
        Issue.objects.select_related("parent")
        .prefetch_related(
            _live_children(),
            Prefetch("labels", queryset=Label.objects.order_by("name", "id"), to_attr="live_labels"),
            Prefetch("relations", queryset=_relations(outgoing=True), to_attr="outgoing_relations"),
            Prefetch(
                "inverse_relations", queryset=_relations(outgoing=False), to_attr="incoming_relations"
            ),
            Prefetch("comments", queryset=Comment.objects.order_by(*COMMENT_ORDER), to_attr="all_comments"),
        )
        .filter(pk=issue_id)
        .first()
    )
    if issue is None:
        raise NotFound("Issue not found")
    parent = issue.parent
    issue.live_parent = parent if parent is not None and parent.deleted_at is None else None
    issue.comment_threads = thread_comments(issue.all_comments)
    issue.origin_signal = Signal.objects.filter(issue_id=issue.pk).order_by("created_at", "id").first()
    return issue


def thread_comments(comments: list[Comment]) -> list[Comment]:
    """Top-level comments in order, each with ``thread_replies``: every comment below it at any
    depth, oldest first. Nothing is dropped: a reply to a reply sits in its thread with its own
    ``parentId``."""
    by_id = {comment.pk: comment for comment in comments}
    top_level: list[Comment] = []
    for comment in comments:
        comment.thread_replies = []
    for comment in comments:
        root = comment
        seen = {root.pk}
        while root.parent_id is not None and root.parent_id in by_id and root.parent_id not in seen:
            root = by_id[root.parent_id]
            seen.add(root.pk)
        if root is comment:
            top_level.append(comment)
        else:
            root.thread_replies.append(comment)
    return top_level


def issue_comment_threads(*, issue_id: str) -> list[Comment]:
    """The comments of a live issue, threaded (``thread_comments``). Raises ``NotFound``."""
    if not Issue.objects.filter(pk=issue_id).exists():
        raise NotFound("Issue not found")
    return thread_comments(list(Comment.objects.filter(issue_id=issue_id).order_by(*COMMENT_ORDER)))


# --- labels, projects, goals -----------------------------------------------------------------


def label_list() -> QuerySet[Label]:
    return Label.objects.order_by("name", "id")


def project_list() -> QuerySet[Project]:
    return Project.objects.order_by("created_at", "id")


def project_detail(*, project_id: str) -> Project:
    """A live project with ``live_goal`` (its goal unless deleted, else None) and
    ``issue_counts`` (live issues per status, every status present). Raises ``NotFound``."""
    project = Project.objects.select_related("goal").filter(pk=project_id).first()
    if project is None:
        raise NotFound("Project not found")
    goal = project.goal
    project.live_goal = goal if goal is not None and goal.deleted_at is None else None
    counts = dict.fromkeys(Issue.Status.values, 0)
    rows = Issue.objects.filter(project_id=project_id).values("status").annotate(n=Count("id"))
    for row in rows.order_by():
        counts[row["status"]] = row["n"]
    project.issue_counts = counts
    return project


def goal_list() -> QuerySet[Goal]:
    return Goal.objects.order_by("created_at", "id")


def goal_detail(*, goal_id: str) -> Goal:
    goal = Goal.objects.filter(pk=goal_id).first()
    if goal is None:
        raise NotFound("Goal not found")
    return goal


# --- dashboard -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueStats:
    total: int
    by_status: dict[str, int]
    by_type: dict[str, int]


@dataclass(frozen=True)
class GoalStats:
    total: int
    active: int
    achieved: int
    abandoned: int


@dataclass(frozen=True)
class DispatchStats:
    queue_depth: int
    active_count: int
    completed_last_24h: int


@dataclass(frozen=True)
class DashboardStats:
    issues: IssueStats
    goals: GoalStats
    dispatch: DispatchStats


def dashboard_stats(*, now: datetime | None = None) -> DashboardStats:
    """Counts over live rows, in three queries. ``queueDepth`` is todo + backlog (upstream's
    definition), ``activeCount`` in_progress, ``completedLast24h`` done with completedAt in the
    last 24 hours."""
    now = now or timezone.now()
    by_status = dict.fromkeys(Issue.Status.values, 0)
    by_type = dict.fromkeys(Issue.Type.values, 0)
    total = 0
    for row in Issue.objects.values("status", "type").annotate(n=Count("id")).order_by():
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
        by_type[row["type"]] = by_type.get(row["type"], 0) + row["n"]
        total += row["n"]

    goals = dict.fromkeys(Goal.Status.values, 0)
    for row in Goal.objects.values("status").annotate(n=Count("id")).order_by():
        goals[row["status"]] = row["n"]

    completed = Issue.objects.filter(
        status=Issue.Status.DONE, completed_at__gte=now - timedelta(hours=24)
    ).count()
    return DashboardStats(
        issues=IssueStats(total=total, by_status=by_status, by_type=by_type),
        goals=GoalStats(
            total=sum(goals.values()),
            active=goals[Goal.Status.ACTIVE],
            achieved=goals[Goal.Status.ACHIEVED],
            abandoned=goals[Goal.Status.ABANDONED],
        ),
        dispatch=DispatchStats(
            queue_depth=by_status[Issue.Status.TODO] + by_status[Issue.Status.BACKLOG],
            active_count=by_status[Issue.Status.IN_PROGRESS],
            completed_last_24h=completed,
        ),
    )


def dashboard_activity(*, limit: int = 20) -> list[Issue]:
    """The ``limit`` most recently active chains: parentless live issues, each with
    ``latest_activity`` (the latest updated_at of the root and its live children) and
    ``live_children`` (oldest first, each with ``outgoing_relations``). Three queries.

    Unlike upstream, which picks roots by their own updatedAt and only then looks at children,
    the chains are ranked by ``latest_activity`` in the database, so a root whose child just
    moved is not cut off by the limit.
    """
    children = Prefetch(
        "children",
        queryset=Issue.objects.order_by(*ISSUE_LIST_ORDER).prefetch_related(
            Prefetch("relations", queryset=_relations(outgoing=True), to_attr="outgoing_relations")
        ),
        to_attr="live_children",
    )
    roots = (
        Issue.objects.filter(parent__isnull=True)
        .annotate(
            latest_child_update=Max("children__updated_at", filter=Q(children__deleted_at__isnull=True))
        )
        .annotate(
            # Coalesce first: SQLite's two-argument MAX() is NULL when either side is NULL.
            latest_activity=Greatest("updated_at", Coalesce("latest_child_update", "updated_at"))
        )
        .order_by("-latest_activity", "-number")
        .prefetch_related(children)
    )
    return list(roots[:limit])
