"""Reads for prompt templates, versions, reviews, the preview and the prompt-health dashboard.
Each returns rows with what its view renders already loaded, so views add no queries."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, QuerySet, Window
from django.db.models.functions import RowNumber

from issues.models import Issue
from loop_project.errors import NotFound
from templates_app.models import PromptReview, PromptTemplate, PromptVersion
from templates_app.rendering import RenderResult, render_prompt
from templates_app.selection import Selection, select_template

RECENT_VERSIONS = 5
ATTENTION_SCORE_BELOW = 3.0
ATTENTION_COMPLETION_BELOW = 0.5


def template_list() -> QuerySet[PromptTemplate]:
    return PromptTemplate.objects.order_by("slug", "id")


def template_detail(*, template_id: str) -> PromptTemplate:
    try:
        return PromptTemplate.objects.select_related("active_version").get(pk=template_id)
    except PromptTemplate.DoesNotExist:
        raise NotFound("Template not found") from None


def _require_template(template_id: str) -> None:
    if not PromptTemplate.objects.filter(pk=template_id).exists():
        raise NotFound("Template not found")


def version_list(*, template_id: str) -> QuerySet[PromptVersion]:
    """The template's versions, newest first. 404 for an unknown or deleted template."""
    _require_template(template_id)
    return PromptVersion.objects.filter(template_id=template_id).order_by("-version")


def review_list(*, template_id: str) -> QuerySet[PromptReview]:
    """Reviews of every version of the template, newest first."""
    _require_template(template_id)
    return PromptReview.objects.filter(version__template_id=template_id).order_by("-created_at", "-id")


# --- preview ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    issue: Issue
    selection: Selection | None
    result: RenderResult | None

    @property
    def message(self) -> str | None:
        if self.selection is None:
            return "No matching template found"
        if self.result is not None and self.result.error is not None:
            return self.result.error
        return None


def template_preview(*, issue_id: str, version_id: str | None = None) -> Preview:
    """What dispatch would hand out for this issue right now, without claiming it or counting
    usage. With ``version_id``, that version (a draft, say) is rendered instead of the selected
    one, so a new version can be tried before it is promoted. 404 for an unknown or deleted issue
    or version."""
    try:
        issue = Issue.objects.get(pk=issue_id)
    except Issue.DoesNotExist:
        raise NotFound("Issue not found") from None
    if version_id is not None:
        version = (
            PromptVersion.objects.select_related("template")
            .filter(pk=version_id, template__deleted_at__isnull=True)
            .first()
        )
        if version is None:
            raise NotFound("Version not found", field="versionId")
        selection: Selection | None = Selection(template=version.template, version=version)
    else:
        selection = select_template(issue)
    if selection is None:
        return Preview(issue=issue, selection=None, result=None)
    return Preview(issue=issue, selection=selection, result=render_prompt(version=selection.version, issue=issue))


# --- dashboard -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewSummary:
    total_reviews: int
    avg_clarity: float | None
    avg_completeness: float | None
    avg_relevance: float | None
    composite_score: float | None


@dataclass(frozen=True)
class TemplateHealth:
    template: PromptTemplate
    active_version: PromptVersion | None
    recent_versions: list[PromptVersion]
    review_summary: ReviewSummary
    needs_attention: bool


def _round(value: Any) -> float | None:
    return round(float(value), 2) if value is not None else None


def _summary(row: dict[str, Any] | None) -> ReviewSummary:
    if not row or not row["total"]:
        return ReviewSummary(0, None, None, None, None)
    clarity, completeness, relevance = row["clarity"], row["completeness"], row["relevance"]
    return ReviewSummary(
        total_reviews=row["total"],
        avg_clarity=_round(clarity),
        avg_completeness=_round(completeness),
        avg_relevance=_round(relevance),
        composite_score=_round((clarity + completeness + relevance) / 3),
    )


def needs_attention(*, composite_score: float | None, completion_rate: float | None) -> bool:
    """Low review score or low completion rate; unknown values (no reviews, no outcomes yet) do
    not raise the flag."""
    return (composite_score is not None and composite_score < ATTENTION_SCORE_BELOW) or (
        completion_rate is not None and completion_rate < ATTENTION_COMPLETION_BELOW
    )


def prompt_health() -> list[TemplateHealth]:
    """Every live template with its active version, last five versions and a summary of the
    reviews of its active version (the prompt agents get now; a promotion starts it afresh).
    Three queries whatever the number of templates."""
    templates = list(template_list().select_related("active_version"))
    template_ids = [template.pk for template in templates]
    recent: dict[str, list[PromptVersion]] = {template_id: [] for template_id in template_ids}
    versions = (
        PromptVersion.objects.filter(template_id__in=template_ids)
        .annotate(
            recency=Window(RowNumber(), partition_by=[F("template_id")], order_by=F("version").desc())
        )
        .filter(recency__lte=RECENT_VERSIONS)
        .order_by("template_id", "-version")
    )
    for version in versions:
        recent[version.template_id].append(version)
    active_ids = [t.active_version_id for t in templates if t.active_version_id is not None]
    rows = {
        row["version_id"]: row
        for row in PromptReview.objects.filter(version_id__in=active_ids)
        .values("version_id")
        .annotate(
            total=Count("id"),
            clarity=Avg("clarity"),
            completeness=Avg("completeness"),
            relevance=Avg("relevance"),
        )
        .order_by()
    }
    health = []
    for template in templates:
        active = template.active_version
        summary = _summary(rows.get(template.active_version_id))
        health.append(
            TemplateHealth(
                template=template,
                active_version=active,
                recent_versions=recent[template.pk],
                review_summary=summary,
                needs_attention=needs_attention(
                    composite_score=summary.composite_score,
                    completion_rate=active.completion_rate if active is not None else None,
                ),
            )
        )
    return health
