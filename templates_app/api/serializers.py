"""Wire shapes for templates, versions, reviews, the preview and the prompt dashboard.
camelCase lives only here. ``<Thing>Out`` renders upstream's OpenAPI components (PromptTemplate,
PromptVersion, PromptReview); ``<Thing>In`` validates a request body."""
from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from issues.api.fields import (
    IdField,
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
    json_problem,
)
from issues.models import Issue
from loop_project.errors import LoopError
from templates_app.models import SLUG_REGEX, PromptReview, PromptTemplate, PromptVersion
from templates_app.services import validate_conditions

AUTHOR_TYPES = ["human", "agent"]
SLUG_PATTERN = re.compile(SLUG_REGEX)


class ConditionsSchema(serializers.Serializer):
    """Documentation of the conditions object (all keys optional, all must match)."""

    type = serializers.ChoiceField(choices=Issue.Type.choices, required=False)
    signalSource = serializers.CharField(required=False)  # noqa: N815
    labels = serializers.ListField(child=serializers.CharField(), required=False)
    projectId = serializers.CharField(required=False)  # noqa: N815
    hasFailedSessions = serializers.BooleanField(required=False)  # noqa: N815
    hypothesisConfidence = serializers.FloatField(min_value=0, max_value=1, required=False)  # noqa: N815


@extend_schema_field(ConditionsSchema)
class ConditionsField(serializers.JSONField):
    """The conditions object; unknown keys and wrong types are a 400 naming the key."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        try:
            conditions = validate_conditions(super().to_internal_value(data))
        except LoopError as exc:
            raise serializers.ValidationError(str(exc.detail)) from None
        problem = json_problem(conditions)
        if problem:
            raise serializers.ValidationError(problem)
        return conditions


# --- outputs ---------------------------------------------------------------------------------


class PromptTemplateOut(serializers.ModelSerializer):
    conditions = ConditionsField()
    projectId = serializers.CharField(source="project_id", allow_null=True)  # noqa: N815
    activeVersionId = serializers.CharField(source="active_version_id", allow_null=True)  # noqa: N815
    createdAt = serializers.DateTimeField(source="created_at")  # noqa: N815
    updatedAt = serializers.DateTimeField(source="updated_at")  # noqa: N815
    deletedAt = serializers.DateTimeField(source="deleted_at", allow_null=True)  # noqa: N815

    class Meta:
        model = PromptTemplate
        fields = [
            "id", "slug", "name", "description", "conditions", "specificity", "projectId",
            "activeVersionId", "createdAt", "updatedAt", "deletedAt",
        ]
        read_only_fields = fields


class PromptVersionOut(serializers.ModelSerializer):
    templateId = serializers.CharField(source="template_id")  # noqa: N815
    authorType = serializers.ChoiceField(source="author_type", choices=AUTHOR_TYPES)  # noqa: N815
    authorName = serializers.CharField(source="author_name")  # noqa: N815
    usageCount = serializers.IntegerField(source="usage_count")  # noqa: N815
    completionRate = serializers.FloatField(source="completion_rate", allow_null=True)  # noqa: N815
    avgDurationMs = serializers.FloatField(source="avg_duration_ms", allow_null=True)  # noqa: N815
    reviewScore = serializers.FloatField(source="review_score", allow_null=True)  # noqa: N815
    reviewCount = serializers.IntegerField(  # noqa: N815
        source="review_count", help_text="Reviews folded into reviewScore (ours; upstream has none)."
    )
    createdAt = serializers.DateTimeField(source="created_at")  # noqa: N815

    class Meta:
        model = PromptVersion
        fields = [
            "id", "templateId", "version", "content", "changelog", "authorType", "authorName",
            "status", "usageCount", "completionRate", "avgDurationMs", "reviewScore", "reviewCount",
            "createdAt",
        ]
        read_only_fields = fields


class PromptTemplateDetailOut(PromptTemplateOut):
    activeVersion = PromptVersionOut(source="active_version", allow_null=True)  # noqa: N815

    class Meta(PromptTemplateOut.Meta):
        fields = [*PromptTemplateOut.Meta.fields, "activeVersion"]
        read_only_fields = fields


class PromptReviewOut(serializers.ModelSerializer):
    versionId = serializers.CharField(source="version_id")  # noqa: N815
    issueId = serializers.CharField(source="issue_id")  # noqa: N815
    authorType = serializers.ChoiceField(source="author_type", choices=AUTHOR_TYPES)  # noqa: N815
    createdAt = serializers.DateTimeField(source="created_at")  # noqa: N815

    class Meta:
        model = PromptReview
        fields = [
            "id", "versionId", "issueId", "clarity", "completeness", "relevance", "feedback",
            "authorType", "createdAt",
        ]
        read_only_fields = fields


class TemplateEnvelopeOut(serializers.Serializer):
    data = PromptTemplateOut(source="*")


class TemplateDetailEnvelopeOut(serializers.Serializer):
    data = PromptTemplateDetailOut(source="*")


class VersionEnvelopeOut(serializers.Serializer):
    data = PromptVersionOut(source="*")


class ReviewEnvelopeOut(serializers.Serializer):
    data = PromptReviewOut(source="*")


# --- inputs ----------------------------------------------------------------------------------


class TemplateCreateIn(serializers.Serializer):
    slug = StrictCharField(max_length=200)
    name = StrictCharField(min_length=1, max_length=500)
    description = StrictCharField(required=False, allow_blank=True, allow_null=True)
    conditions = ConditionsField(required=False, default=dict)
    specificity = StrictIntegerField(min_value=0, max_value=100, required=False, default=10)
    projectId = IdField(required=False, allow_null=True)  # noqa: N815

    def validate_slug(self, value: str) -> str:
        if not SLUG_PATTERN.fullmatch(value):
            raise serializers.ValidationError(
                "Use lowercase letters and digits separated by single hyphens."
            )
        return value


class TemplateUpdateIn(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=500, required=False)
    description = StrictCharField(required=False, allow_blank=True, allow_null=True)
    conditions = ConditionsField(required=False)
    specificity = StrictIntegerField(min_value=0, max_value=100, required=False)
    projectId = IdField(required=False, allow_null=True)  # noqa: N815

    def to_changes(self) -> dict[str, Any]:
        """Validated fields as model field names (only those sent)."""
        names = {"projectId": "project_id"}
        return {names.get(key, key): value for key, value in self.validated_data.items()}


class VersionCreateIn(serializers.Serializer):
    content = StrictCharField(min_length=1)
    changelog = StrictCharField(required=False, allow_blank=True, allow_null=True)
    authorType = StrictChoiceField(choices=AUTHOR_TYPES)  # noqa: N815
    authorName = StrictCharField(min_length=1, max_length=200)  # noqa: N815


class ReviewIn(serializers.Serializer):
    versionId = IdField(help_text="The prompt version being reviewed")  # noqa: N815
    issueId = IdField(help_text="The issue this prompt was used for")  # noqa: N815
    clarity = StrictIntegerField(min_value=1, max_value=5)
    completeness = StrictIntegerField(min_value=1, max_value=5)
    relevance = StrictIntegerField(min_value=1, max_value=5)
    feedback = StrictCharField(required=False, allow_blank=True, allow_null=True, max_length=10_000)
    authorType = StrictChoiceField(choices=AUTHOR_TYPES)  # noqa: N815


# --- preview ---------------------------------------------------------------------------------


class PreviewIn(serializers.Serializer):
    versionId = serializers.CharField(  # noqa: N815
        required=False, max_length=64,
        help_text="Render this version (e.g. a draft) instead of the one selection picks (ours).",
    )


class PreviewIssueOut(serializers.Serializer):
    id = serializers.CharField()
    number = serializers.IntegerField()
    title = serializers.CharField()
    type = serializers.ChoiceField(choices=Issue.Type.choices)


class PreviewTemplateOut(serializers.Serializer):
    id = serializers.CharField()
    slug = serializers.CharField()
    name = serializers.CharField()
    conditions = ConditionsField()
    specificity = serializers.IntegerField()


class PreviewVersionOut(serializers.Serializer):
    id = serializers.CharField()
    version = serializers.IntegerField()


class PreviewBodyOut(serializers.Serializer):
    issue = PreviewIssueOut()
    template = PreviewTemplateOut(allow_null=True)
    version = PreviewVersionOut(allow_null=True)
    prompt = serializers.CharField(allow_null=True, help_text="The rendered prompt (markdown)")
    message = serializers.CharField(
        required=False,
        help_text="Present when prompt is null: no template matched, or why it failed to render.",
    )
    error = serializers.CharField(
        allow_null=True, help_text="Why the selected template failed to render, else null (ours)."
    )


class PreviewOut(PreviewBodyOut):
    """The preview at the top level (upstream's server) and again under ``data`` (upstream's SDK
    and CLI), as ``/api/dispatch/next`` does."""

    data = PreviewBodyOut()


def preview_body(preview: Any) -> dict[str, Any]:
    """The preview as plain data, for ``PreviewOut``."""
    issue = preview.issue
    selection = preview.selection
    body: dict[str, Any] = {
        "issue": {"id": issue.pk, "number": issue.number, "title": issue.title, "type": issue.type},
        "template": None,
        "version": None,
        "prompt": None,
        "error": None,
    }
    if selection is not None:
        template, version = selection.template, selection.version
        body["template"] = {
            "id": template.pk, "slug": template.slug, "name": template.name,
            "conditions": template.conditions, "specificity": template.specificity,
        }
        body["version"] = {"id": version.pk, "version": version.version}
        body["prompt"] = preview.result.prompt
        body["error"] = preview.result.error
    if preview.message is not None:
        body["message"] = preview.message
    return body


# --- dashboard -------------------------------------------------------------------------------


class ReviewSummaryOut(serializers.Serializer):
    totalReviews = serializers.IntegerField(source="total_reviews")  # noqa: N815
    avgClarity = serializers.FloatField(source="avg_clarity", allow_null=True)  # noqa: N815
    avgCompleteness = serializers.FloatField(source="avg_completeness", allow_null=True)  # noqa: N815
    avgRelevance = serializers.FloatField(source="avg_relevance", allow_null=True)  # noqa: N815
    compositeScore = serializers.FloatField(source="composite_score", allow_null=True)  # noqa: N815


class TemplateHealthOut(serializers.Serializer):
    template = PromptTemplateOut()
    activeVersion = PromptVersionOut(source="active_version", allow_null=True)  # noqa: N815
    recentVersions = PromptVersionOut(source="recent_versions", many=True, help_text="Last 5 versions")  # noqa: N815
    reviewSummary = ReviewSummaryOut(  # noqa: N815
        source="review_summary", help_text="Reviews of the active version."
    )
    needsAttention = serializers.BooleanField(  # noqa: N815
        source="needs_attention",
        help_text="True when compositeScore < 3.0 or the active version's completionRate < 0.5",
    )


class PromptHealthOut(serializers.Serializer):
    data = TemplateHealthOut(many=True)


# --- lists -----------------------------------------------------------------------------------


class TemplatePageOut(serializers.Serializer):
    data = PromptTemplateOut(many=True)
    total = serializers.IntegerField()


class VersionPageOut(serializers.Serializer):
    data = PromptVersionOut(many=True)
    total = serializers.IntegerField()


class ReviewPageOut(serializers.Serializer):
    data = PromptReviewOut(many=True)
    total = serializers.IntegerField()
