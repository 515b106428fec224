"""Writes for prompt templates, versions and reviews: the only write path (API, admin, commands).

Counters are changed by single ``UPDATE ... SET x = f(x)`` statements, so concurrent dispatches
and reviews never lose an increment. Multi-row writes lock the template row first (template, then
its versions), always in that order, so promotions, new versions and reviews of one template
serialise without deadlocking each other.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from numbers import Real
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, F, FloatField, Max, Q, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from issues import services as issue_services
from issues.models import Issue, Label, Project
from loop_project.errors import Conflict, LoopError, NotFound, RuleViolation
from templates_app.models import SLUG_REGEX, PromptReview, PromptTemplate, PromptVersion
from templates_app.rendering import check_content
from templates_app.selection import CONDITION_KEYS, catalog

# --- review scoring and the improvement rule (the spec's numbers, in one place) ----------------
EWMA_ALPHA = 0.3
# avgDurationMs is the mean over at most this many of a version's latest finished issues (a review must
# stay cheap however often a version has been used).
OUTCOME_SAMPLE = 1000
IMPROVEMENT_MIN_REVIEWS = 3
IMPROVEMENT_SCORE_BELOW = 3.5
IMPROVEMENT_REVIEW_CEILING = 15
IMPROVEMENT_PRIORITY = Issue.Priority.MEDIUM
IMPROVEMENT_LABELS = ("prompt-improvement", "meta")
IMPROVEMENT_FEEDBACK_SAMPLES = 5

ISSUE_TYPES = {choice.value for choice in Issue.Type}
TEMPLATE_FIELDS = ("name", "description", "conditions", "specificity", "project_id")
_SLUG = re.compile(SLUG_REGEX)


class InvalidConditions(LoopError):
    """Template conditions that do not fit the schema: 400, like any malformed request."""

    default_detail = "Invalid template conditions"
    default_code = "invalid_conditions"


# --- templates -------------------------------------------------------------------------------


def validate_conditions(conditions: Any) -> dict[str, Any]:
    """The conditions object, checked key by key; unknown keys and wrong types are refused (400)
    so a template can never silently never (or always) match."""
    if not isinstance(conditions, dict):
        raise InvalidConditions("conditions must be an object", field="conditions")
    unknown = sorted(set(conditions) - set(CONDITION_KEYS))
    if unknown:
        raise InvalidConditions(
            f"Unknown condition key(s): {', '.join(unknown)} (allowed: {', '.join(CONDITION_KEYS)})",
            field="conditions",
        )

    def fail(key: str, message: str) -> InvalidConditions:
        return InvalidConditions(f"conditions.{key}: {message}", field=f"conditions.{key}")

    for key, value in conditions.items():
        # isinstance first: a list or object is unhashable, so `in` a set would raise.
        if key == "type" and (not isinstance(value, str) or value not in ISSUE_TYPES):
            raise fail(key, f"must be one of {', '.join(sorted(ISSUE_TYPES))}")
        if key in ("signalSource", "projectId") and (not isinstance(value, str) or not value):
            raise fail(key, "must be a non-empty string")
        if key == "labels" and (
            not isinstance(value, list) or not all(isinstance(name, str) and name for name in value)
        ):
            raise fail(key, "must be a list of label names")
        if key == "hasFailedSessions" and not isinstance(value, bool):
            raise fail(key, "must be true or false")
        if key == "hypothesisConfidence" and (
            isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value <= 1
        ):
            raise fail(key, "must be a number between 0 and 1")
    return dict(conditions)


def _validate_project(project_id: str | None) -> None:
    if project_id is not None and not Project.objects.filter(pk=project_id).exists():
        raise RuleViolation("Project not found", field="projectId")


def _validate_specificity(specificity: Any) -> None:
    if isinstance(specificity, bool) or not isinstance(specificity, int) or not 0 <= specificity <= 100:
        raise LoopError("specificity must be an integer from 0 to 100", field="specificity")


def _slug_taken(slug: str) -> Conflict:
    return Conflict(f"A template with slug '{slug}' already exists", field="slug")


def _live_template(template_id: str, *, for_update: bool = False) -> PromptTemplate:
    queryset = PromptTemplate.objects.select_for_update() if for_update else PromptTemplate.objects
    try:
        return queryset.get(pk=template_id)
    except PromptTemplate.DoesNotExist:
        raise NotFound("Template not found") from None


@transaction.atomic
def create_template(
    *,
    slug: str,
    name: str,
    description: str | None = None,
    conditions: dict[str, Any] | None = None,
    specificity: int = 10,
    project_id: str | None = None,
) -> PromptTemplate:
    """A new template with no version yet (its first version becomes active at once). A slug
    held by a live template is refused (409)."""
    if not _SLUG.fullmatch(slug):
        raise LoopError("Slug must be lowercase letters and digits separated by single hyphens", field="slug")
    conditions = validate_conditions(conditions or {})
    _validate_specificity(specificity)
    _validate_project(project_id)
    if PromptTemplate.objects.filter(slug=slug).exists():
        raise _slug_taken(slug)
    try:
        with transaction.atomic():
            return PromptTemplate.objects.create(
                slug=slug,
                name=name,
                description=description,
                conditions=conditions,
                specificity=specificity,
                project_id=project_id,
            )
    except IntegrityError:  # a concurrent create won the slug
        raise _slug_taken(slug) from None


@transaction.atomic
def update_template(*, template_id: str, changes: dict[str, Any]) -> PromptTemplate:
    """Change name, description, conditions (replaced whole), specificity or project."""
    unknown = set(changes) - set(TEMPLATE_FIELDS)
    if unknown:
        raise RuleViolation(f"Field(s) not editable: {', '.join(sorted(unknown))}")
    template = _live_template(template_id, for_update=True)
    if "conditions" in changes:
        changes["conditions"] = validate_conditions(changes["conditions"])
    if "specificity" in changes:
        _validate_specificity(changes["specificity"])
    if "project_id" in changes:
        _validate_project(changes["project_id"])
    for field, value in changes.items():
        setattr(template, field, value)
    template.save(update_fields=[*changes, "updated_at"])
    return template


@transaction.atomic
def delete_template(*, template_id: str) -> None:
    """Soft delete: the template stops being selected; its versions and reviews stay."""
    updated = PromptTemplate.objects.filter(pk=template_id).update(
        deleted_at=timezone.now(), updated_at=timezone.now()
    )
    if not updated:
        raise NotFound("Template not found")
    catalog.changed()


# --- versions --------------------------------------------------------------------------------


def validate_content(content: str) -> None:
    """Refuse content that cannot work (422, naming the problem): Handlebars-style triple braces
    (upstream's rule; in Jinja they are never needed), syntax errors, unknown partials and names
    that are not in the context."""
    if "{{{" in content or "}}}" in content:
        raise RuleViolation(
            "Triple braces are not allowed in template content (write {{ value }})", field="content"
        )
    problems = check_content(content)
    if problems:
        raise RuleViolation("; ".join(problems), field="content")


@transaction.atomic
def create_version(
    *,
    template_id: str,
    content: str,
    author_type: str,
    author_name: str,
    changelog: str | None = None,
) -> PromptVersion:
    """Version number max + 1. The first version of a template without an active version becomes
    active at once (and the template points at it); later ones are drafts until promoted."""
    template = _live_template(template_id, for_update=True)
    if author_type not in PromptVersion.AuthorType.values:
        raise LoopError("authorType must be human or agent", field="authorType")
    validate_content(content)
    latest = PromptVersion.objects.filter(template=template).aggregate(latest=Max("version"))["latest"]
    activate = template.active_version_id is None
    version = PromptVersion.objects.create(
        template=template,
        version=(latest or 0) + 1,
        content=content,
        changelog=changelog,
        author_type=author_type,
        author_name=author_name,
        status=PromptVersion.Status.ACTIVE if activate else PromptVersion.Status.DRAFT,
    )
    if activate:
        template.active_version = version
        template.save(update_fields=["active_version", "updated_at"])
    return version


@transaction.atomic
def promote_version(*, template_id: str, version_id: str) -> PromptVersion:
    """Make ``version_id`` the template's active version and retire the previous one, in one
    transaction. 404 when the version belongs to another template, 422 when already active."""
    template = _live_template(template_id, for_update=True)
    try:
        version = PromptVersion.objects.select_for_update().get(pk=version_id, template=template)
    except PromptVersion.DoesNotExist:
        raise NotFound("Version not found for this template") from None
    if version.status == PromptVersion.Status.ACTIVE:
        raise RuleViolation("Version is already active", field="versionId")
    # Retire first: the database allows one active version per template at any moment.
    PromptVersion.objects.filter(template=template, status=PromptVersion.Status.ACTIVE).update(
        status=PromptVersion.Status.RETIRED
    )
    catalog.changed()
    version.status = PromptVersion.Status.ACTIVE
    version.save(update_fields=["status"])
    template.active_version = version
    template.save(update_fields=["active_version", "updated_at"])
    return version


# Written out: it runs on every dispatch.
_COUNT_USAGE_SQL = (
    f"UPDATE {PromptVersion._meta.db_table} SET usage_count = usage_count + 1 WHERE id = %s"
)


def record_usage(*, version_id: str) -> None:
    """Count one handed-out prompt for the version: one atomic UPDATE, safe under concurrency."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_USAGE_SQL, [version_id])


# --- reviews ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewOutcome:
    review: PromptReview
    review_score: float
    review_count: int
    improvement_issue: Issue | None  # created by this review, else None


def composite_score(*, clarity: int, completeness: int, relevance: int) -> float:
    return (clarity + completeness + relevance) / 3


def needs_improvement(*, review_score: float, review_count: int) -> bool:
    """The spec's trigger: enough reviews, and a low score or many reviews on one version."""
    return review_count >= IMPROVEMENT_MIN_REVIEWS and (
        review_score < IMPROVEMENT_SCORE_BELOW or review_count >= IMPROVEMENT_REVIEW_CEILING
    )


def _validate_score(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise LoopError(f"{name} must be an integer from 1 to 5", field=name)


@transaction.atomic
def record_review(
    *,
    version_id: str,
    issue_id: str,
    clarity: int,
    completeness: int,
    relevance: int,
    author_type: str,
    feedback: str | None = None,
    actor: str = "system",
) -> ReviewOutcome:
    """Store a review, fold it into the version's score and open an improvement task when the
    rule says so.

    The score is ``composite`` for a version's first review, else ``0.3 × composite + 0.7 ×
    previous`` (EWMA), computed by the database in one UPDATE. The template row is locked first,
    so concurrent reviews of one template take turns deciding about the improvement task: at most
    one is open per template (``PromptTemplate.improvement_issue``). Unknown version → 404; unknown
    issue → 422 (the request names a row that does not exist).
    """
    for name, value in (("clarity", clarity), ("completeness", completeness), ("relevance", relevance)):
        _validate_score(name, value)
    if author_type not in PromptReview.AuthorType.values:
        raise LoopError("authorType must be human or agent", field="authorType")
    template_id = (
        PromptVersion.objects.filter(pk=version_id).values_list("template_id", flat=True).first()
    )
    if template_id is None:
        raise NotFound("Version not found", field="versionId")
    template = PromptTemplate.all_objects.select_for_update().get(pk=template_id)
    if not Issue.objects.filter(pk=issue_id).exists():
        raise RuleViolation("Issue not found", field="issueId")

    review = PromptReview.objects.create(
        version_id=version_id,
        issue_id=issue_id,
        clarity=clarity,
        completeness=completeness,
        relevance=relevance,
        feedback=feedback,
        author_type=author_type,
    )
    composite = composite_score(clarity=clarity, completeness=completeness, relevance=relevance)
    # One statement: the database reads the previous score under the row lock it takes for the
    # write, so no concurrent review can slip in between read and write.
    PromptVersion.objects.filter(pk=version_id).update(
        review_score=Case(
            When(Q(review_score__isnull=True) | Q(review_count=0), then=Value(composite)),
            default=Value(EWMA_ALPHA * composite)
            + Value(1 - EWMA_ALPHA) * Cast(F("review_score"), FloatField()),
            output_field=FloatField(),
        ),
        review_count=F("review_count") + 1,
    )
    _refresh_outcomes(version_id)
    version = PromptVersion.objects.only("id", "version", "review_score", "review_count").get(
        pk=version_id
    )
    created = None
    due = needs_improvement(review_score=version.review_score, review_count=version.review_count)
    if due and not template.is_deleted:
        created = _open_improvement_issue(template=template, version=version, actor=actor)
    return ReviewOutcome(
        review=review,
        review_score=version.review_score,
        review_count=version.review_count,
        improvement_issue=created,
    )


def version_outcomes(version_id: str) -> tuple[float | None, float | None]:
    """(completion rate, mean duration in ms) of the work done with this version's prompt, as the
    reviews tell it: of the issues whose agent reviewed the prompt and that have finished, the
    share done (not canceled), and their mean time from claim to done. None while there is none.
    Agents review after finishing an issue, so the outcome is known when the review arrives."""
    reviewed = PromptReview.objects.filter(
        version_id=version_id, issue__status__in=Issue.FINISHED_STATUSES
    )
    counts = reviewed.aggregate(
        finished=Count("issue", distinct=True),
        done=Count("issue", distinct=True, filter=Q(issue__status=Issue.Status.DONE)),
    )
    if not counts["finished"]:
        return None, None
    durations = [
        (completed - claimed).total_seconds() * 1000
        for claimed, completed in Issue.all_objects.filter(
            pk__in=reviewed.filter(issue__status=Issue.Status.DONE).values("issue_id"),
            claimed_at__isnull=False,
            completed_at__isnull=False,
        )
        .values_list("claimed_at", "completed_at")
        .order_by("-completed_at")[:OUTCOME_SAMPLE]
    ]
    mean = sum(durations) / len(durations) if durations else None
    return counts["done"] / counts["finished"], mean


def _refresh_outcomes(version_id: str) -> None:
    """Store ``version_outcomes`` on the version (completionRate, avgDurationMs), on each review."""
    completion_rate, avg_duration_ms = version_outcomes(version_id)
    PromptVersion.objects.filter(pk=version_id).update(
        completion_rate=completion_rate, avg_duration_ms=avg_duration_ms
    )


def improvement_issue_is_open(template: PromptTemplate) -> bool:
    if template.improvement_issue_id is None:
        return False
    return (
        Issue.objects.filter(pk=template.improvement_issue_id)
        .exclude(status__in=Issue.FINISHED_STATUSES)
        .exists()
    )


def _label(name: str) -> Label:
    try:
        return issue_services.get_or_create_label(name=name)
    except Conflict:  # created concurrently by another transaction: use theirs
        return Label.objects.get(name=name)


def improvement_title(*, slug: str, review_score: float, review_count: int, version_number: int) -> str:
    return (
        f"Improve prompt template: {slug} "
        f"(avg review {review_score:.1f}/5, {review_count} reviews since v{version_number})"
    )


def _improvement_description(template: PromptTemplate, version: PromptVersion) -> str:
    feedback = list(
        PromptReview.objects.filter(version_id=version.pk)
        .exclude(Q(feedback__isnull=True) | Q(feedback=""))
        .order_by("-created_at", "-id")
        .values_list("feedback", flat=True)[:IMPROVEMENT_FEEDBACK_SAMPLES]
    )
    quoted = "\n".join(f"- {text.strip()}" for text in feedback) or "- (no written feedback yet)"
    return (
        f"Agents rate version {version.version} of the prompt template `{template.slug}` "
        f"(id {template.pk}) at {version.review_score:.2f}/5 over {version.review_count} reviews.\n\n"
        f"Recent feedback:\n{quoted}\n\n"
        "What to do:\n"
        f"1. Read the template and its reviews: `GET /api/templates/{template.pk}` and "
        f"`GET /api/templates/{template.pk}/reviews`.\n"
        f"2. Write a better version: `POST /api/templates/{template.pk}/versions` with "
        '`{"content": "...", "changelog": "what changed and why", "authorType": "agent", '
        '"authorName": "<you>"}` (it starts as a draft).\n'
        "3. Try it on a real issue before promoting: "
        "`GET /api/templates/preview/<issueId>?versionId=<versionId>`.\n"
        f"4. Promote it: `POST /api/templates/{template.pk}/versions/<versionId>/promote`.\n"
        "5. Close this task with an agentSummary saying what you changed."
    )


def _open_improvement_issue(*, template: PromptTemplate, version: PromptVersion, actor: str) -> Issue | None:
    """Create the improvement task unless one is still open. Caller holds the template row lock."""
    if improvement_issue_is_open(template):
        return None
    labels = [_label(name) for name in IMPROVEMENT_LABELS]
    issue = issue_services.create_issue(
        actor=actor,
        title=improvement_title(
            slug=template.slug,
            review_score=version.review_score,
            review_count=version.review_count,
            version_number=version.version,
        ),
        type=Issue.Type.TASK,
        status=Issue.Status.TODO,
        priority=IMPROVEMENT_PRIORITY,
        description=_improvement_description(template, version),
        # In the template's project when it has a live one, so the task is dispatched there.
        project_id=(
            template.project_id
            if template.project_id and Project.objects.filter(pk=template.project_id).exists()
            else None
        ),
        label_ids=[label.pk for label in labels],
    )
    PromptTemplate.all_objects.filter(pk=template.pk).update(improvement_issue=issue)
    template.improvement_issue = issue
    return issue
