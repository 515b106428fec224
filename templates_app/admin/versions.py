"""Prompt versions and reviews in the console. A version is immutable once written (it is what
agents were given and reviewed): staff add a new draft, compare it, and promote it. Reviews are
the agents' words, readable here and written only through the API."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from loop_project.console.admin_utils import ServiceErrorsAsMessages
from templates_app import services
from templates_app.admin.templates import promote, score_text, status_pill
from templates_app.models import PromptReview, PromptTemplate, PromptVersion

FEEDBACK_EXCERPT = 140


class PromptVersionForm(forms.ModelForm):
    class Meta:
        model = PromptVersion
        fields = ("template", "content", "changelog")
        widgets = {"content": forms.Textarea(attrs={"rows": 24, "class": "vLargeTextField"})}


class PromptReviewInline(admin.TabularInline):
    model = PromptReview
    extra = 0
    fields = (
        "created_at",
        "issue",
        "clarity",
        "completeness",
        "relevance",
        "author_type",
        "feedback",
    )
    readonly_fields = fields
    can_delete = False
    ordering = ("-created_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PromptVersion)
class PromptVersionAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    form = PromptVersionForm
    list_display = ("template", "version_col", "status_col", "author_name", "usage_count", "score_col",
                    "review_count", "created_at")  # fmt: skip
    list_filter = ("status", "author_type", "template")
    search_fields = ("template__slug", "content", "changelog")
    autocomplete_fields = ("template",)
    list_select_related = ("template",)
    actions = ["promote_selected"]
    inlines = [PromptReviewInline]

    @admin.display(description="Version", ordering="version")
    def version_col(self, version: PromptVersion) -> str:
        return f"v{version.version}"

    @admin.display(description="Status", ordering="status")
    def status_col(self, version: PromptVersion) -> str:
        return status_pill(version)

    @admin.display(description="EWMA score", ordering="review_score")
    def score_col(self, version: PromptVersion) -> str:
        return score_text(version)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("template", "content", "changelog")
        return ("template", "version", "status", "author_type", "author_name", "changelog", "content",
                "usage_count", "review_score", "review_count", "completion_rate", "avg_duration_ms",
                "created_at")  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else ()

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new version has no reviews yet

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        """ "New draft version" (``?template=<id>``) starts from the template's active content."""
        initial = super().get_changeform_initial_data(request)
        template = (
            PromptTemplate.objects.filter(pk=request.GET.get("template") or None)
            .select_related("active_version")
            .first()
        )
        if template is not None and template.active_version is not None:
            initial["content"] = template.active_version.content
        return initial

    def save_model(self, request: HttpRequest, obj: PromptVersion, form, change: bool) -> None:
        saved = services.create_version(
            template_id=obj.template_id,
            content=obj.content,
            changelog=obj.changelog or None,
            author_type=PromptVersion.AuthorType.HUMAN,
            author_name=request.user.get_username(),
        )
        obj.pk, obj.version, obj.status = saved.pk, saved.version, saved.status

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, f"Saved v{obj.version} ({obj.status}).", messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:templates_app_prompttemplate_change", args=[obj.template_id])
        )

    @admin.action(description="Promote the selected version to active", permissions=["promote"])
    def promote_selected(self, request: HttpRequest, queryset: QuerySet[PromptVersion]) -> None:
        versions = list(queryset.select_related("template", "template__active_version")[:2])
        if len(versions) != 1:
            self.message_user(request, "Select exactly one version to promote.", messages.WARNING)
            return
        promote(self, request, versions[0])

    def has_promote_permission(self, request: HttpRequest) -> bool:
        # Promoting changes the template (its active version), so it needs that permission.
        return request.user.has_perm("templates_app.change_prompttemplate")


@admin.register(PromptReview)
class PromptReviewAdmin(admin.ModelAdmin):
    list_display = ("created_at", "version_col", "issue", "clarity", "completeness", "relevance",
                    "composite_col", "author_type", "feedback_col")  # fmt: skip
    list_filter = ("author_type", "version__template")
    search_fields = ("feedback", "version__template__slug")
    list_select_related = ("version", "version__template", "issue")
    fields = ("version", "issue", "clarity", "completeness", "relevance", "author_type", "feedback",
              "created_at")  # fmt: skip
    readonly_fields = fields

    @admin.display(description="Version", ordering="version__template__slug")
    def version_col(self, review: PromptReview) -> str:
        return f"{review.version.template.slug} v{review.version.version}"

    @admin.display(description="Composite")
    def composite_col(self, review: PromptReview) -> str:
        return f"{review.composite:.1f}"

    @admin.display(description="Feedback")
    def feedback_col(self, review: PromptReview) -> str:
        text = review.feedback or ""
        return text if len(text) <= FEEDBACK_EXCERPT else text[: FEEDBACK_EXCERPT - 1] + "…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
