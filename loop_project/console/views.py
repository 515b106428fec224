"""The console's own pages: the dashboard (admin index) and the dispatch queue. Thin: a permission
check, one selector, charts drawn from its numbers, a template."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from issues.models import Issue, Project
from loop_project.console import charts
from loop_project.console.selectors import QUEUE_PAGE, loop_dashboard, queue_overview
from templates_app.selectors import ATTENTION_COMPLETION_BELOW, ATTENTION_SCORE_BELOW

# The two-column cards are about this wide on a laptop; the SVG scales, this sets its shape.
CHART_WIDTH = 880
SOURCE_CLASSES = 6  # colours src-0 … src-5 in console.css, reused when there are more sources


def _require_issue_view(request: HttpRequest) -> None:
    if not request.user.has_perm("issues.view_issue"):
        raise PermissionDenied


def dashboard_context(request: HttpRequest) -> dict:
    """Context for the admin index. Staff without access to issues get the stock app list only."""
    if not request.user.has_perm("issues.view_issue"):
        return {}
    board = loop_dashboard()
    day_labels = [f"{day:%b} {day.day}" for day in board.days]
    open_total = board.total - sum(board.by_status[s] for s in Issue.FINISHED_STATUSES)
    return {
        "board": board,
        "open_total": open_total,
        "done_total": sum(board.done_per_day),
        "signals_total": sum(sum(v) for v in board.signals_per_day.values()),
        "attention_score_below": ATTENTION_SCORE_BELOW,
        "attention_completion_below": ATTENTION_COMPLETION_BELOW,
        "throughput_chart": charts.column_chart(
            labels=day_labels,
            series=[charts.Series("done", board.done_per_day, "c-done")],
            title=f"Issues done per day, last {len(day_labels)} days",
            width=CHART_WIDTH,
            label_every=2,
        ),
        "signals_chart": charts.column_chart(
            labels=day_labels,
            series=[
                charts.Series(source, board.signals_per_day[source], f"src-{i % SOURCE_CLASSES}")
                for i, source in enumerate(board.signal_sources)
            ]
            or [charts.Series("signals", [0] * len(day_labels), "src-0")],
            title=f"Signals per day by source, last {len(day_labels)} days",
            width=CHART_WIDTH,
            label_every=2,
        ),
        "status_chart": charts.bar_list(
            items=[
                (label, board.by_status[value], f"s-{value}")
                for value, label in Issue.Status.choices
            ],
            title="Issues by status",
        ),
        "type_chart": charts.bar_list(
            items=[
                (label, board.by_type[value], f"t-{value}") for value, label in Issue.Type.choices
            ],
            title="Issues by type",
        ),
    }


def queue_view(request: HttpRequest) -> HttpResponse:
    """The live eligible queue in dispatch order with each score's parts, what agents hold now,
    and what is blocked by what."""
    _require_issue_view(request)
    project_id = request.GET.get("project") or None
    projects = list(Project.objects.order_by("name").only("id", "name"))
    if project_id and project_id not in {p.pk for p in projects}:
        project_id = None
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    overview = queue_overview(project_id=project_id, offset=(page - 1) * QUEUE_PAGE)
    # Breakdown bars share one scale: the best score on the page fills the bar.
    top = max((entry.score for entry in overview.entries), default=0)
    names = {project.pk: project.name for project in projects}
    context = {
        **admin.site.each_context(request),
        "title": "Dispatch queue",
        "overview": overview,
        # Project names come from the list already loaded for the filter: no query per row.
        "rows": [
            {"entry": entry, "rest": top - entry.score, "project": names.get(entry.issue.project_id)}
            for entry in overview.entries
        ],
        "now": timezone.now(),
        "projects": projects,
        "project_id": project_id,
        "page": page,
        "first_position": (page - 1) * QUEUE_PAGE + 1,
        "has_next": page * QUEUE_PAGE < overview.total,
        "can_change": request.user.has_perm("issues.change_issue"),
    }
    return TemplateResponse(request, "admin/console/queue.html", context)
