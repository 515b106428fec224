"""Prompt templates, their versions, and the agents' reviews of those versions."""
from __future__ import annotations

from django.db import models
from django.db.models import Q

from issues.models import Issue, Project, SoftDeleteModel
from loop_project.ids import new_id

SLUG_REGEX = r"^[a-z0-9]+(-[a-z0-9]+)*$"


def _id_field() -> models.CharField:
    return models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)


class PromptTemplate(SoftDeleteModel):
    id = _id_field()
    slug = models.CharField(max_length=200)
    name = models.CharField(max_length=500)
    description = models.TextField(null=True, blank=True)
    # All keys must match the issue: type, signalSource, labels, projectId, hasFailedSessions,
    # hypothesisConfidence. {} matches everything.
    conditions = models.JSONField(default=dict, blank=True)
    specificity = models.PositiveSmallIntegerField(default=10)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="templates"
    )
    active_version = models.ForeignKey(
        "PromptVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The open "improve this template" issue, if any: at most one while it is open.
    improvement_issue = models.ForeignKey(
        Issue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(SoftDeleteModel.Meta):
        ordering = ["slug", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(specificity__lte=100), name="template_specificity_0_100"),
            models.CheckConstraint(condition=Q(slug__regex=SLUG_REGEX), name="template_slug_format"),
            models.UniqueConstraint(
                fields=["slug"],
                condition=Q(project__isnull=True, deleted_at__isnull=True),
                name="template_slug_unique_global",
            ),
            models.UniqueConstraint(
                fields=["project", "slug"],
                condition=Q(project__isnull=False, deleted_at__isnull=True),
                name="template_slug_unique_per_project",
            ),
            # A slug names one live template whatever its scope (the wire contract: slug unique),
            # so improvement issues, meta.templateSlug and the admin never mean two templates.
            models.UniqueConstraint(
                fields=["slug"], condition=Q(deleted_at__isnull=True), name="template_slug_unique_live"
            ),
        ]

    def __str__(self) -> str:
        return self.slug


class PromptVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        ACTIVE = "active"
        RETIRED = "retired"

    class AuthorType(models.TextChoices):
        HUMAN = "human"
        AGENT = "agent"

    id = _id_field()
    template = models.ForeignKey(PromptTemplate, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    content = models.TextField()
    changelog = models.TextField(null=True, blank=True)
    author_type = models.CharField(max_length=8, choices=AuthorType, default=AuthorType.HUMAN)
    author_name = models.CharField(max_length=200, default="system")
    status = models.CharField(max_length=16, choices=Status, default=Status.DRAFT)
    usage_count = models.PositiveIntegerField(default=0)
    completion_rate = models.FloatField(null=True, blank=True)
    avg_duration_ms = models.FloatField(null=True, blank=True)
    review_score = models.FloatField(null=True, blank=True)
    review_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["template", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["template", "version"], name="version_number_unique"),
            models.UniqueConstraint(
                fields=["template"], condition=Q(status="active"), name="version_one_active_per_template"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "active", "retired"]), name="version_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(author_type__in=["human", "agent"]), name="version_author_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_id} v{self.version} ({self.status})"


class PromptReview(models.Model):
    class AuthorType(models.TextChoices):
        HUMAN = "human"
        AGENT = "agent"

    id = _id_field()
    version = models.ForeignKey(PromptVersion, on_delete=models.CASCADE, related_name="reviews")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="prompt_reviews")
    clarity = models.PositiveSmallIntegerField()
    completeness = models.PositiveSmallIntegerField()
    relevance = models.PositiveSmallIntegerField()
    feedback = models.TextField(null=True, blank=True)
    author_type = models.CharField(max_length=8, choices=AuthorType, default=AuthorType.AGENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(clarity__gte=1, clarity__lte=5)
                & Q(completeness__gte=1, completeness__lte=5)
                & Q(relevance__gte=1, relevance__lte=5),
                name="review_scores_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(author_type__in=["human", "agent"]), name="review_author_type_valid"
            ),
        ]

    @property
    def composite(self) -> float:
        return (self.clarity + self.completeness + self.relevance) / 3

    def __str__(self) -> str:
        return f"review of {self.version_id} ({self.composite:.1f})"
