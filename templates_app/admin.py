"""Staff console for prompt templates: versions with their usage and review score, a side-by-side
diff of a draft against the active version, promotion, and the agents' review feedback.

Writes go through ``templates_app.services`` (create/update/delete template, create version,
promote). Templates keep no audit table of their own, so each promotion is also written to the
admin log (who, when, which version replaced which).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from loop_project.errors import LoopError
from templates_app import services
from templates_app.models import PromptReview, PromptTemplate, PromptVersion

RECENT_REVIEWS = 20


# --- diff ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffRow:
    """One line pair of a side-by-side diff; ``kind`` is equal, replace, delete, insert or gap."""

    kind: str
    old_number: int | None
    old: str
    new_number: int | None
    new: str


def side_by_side(old: str, new: str, *, context: int = 3) -> list[DiffRow]:
    """Line pairs for a two-column diff, unchanged stretches folded to ``context`` lines."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for group_index, group in enumerate(matcher.get_grouped_opcodes(context)):
        if group_index or (group and (group[0][1] > 0 or group[0][3] > 0)):
            rows.append(DiffRow("gap", None, "", None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for offset in range(i2 - i1):
                    rows.append(
                        DiffRow(
                            "equal",
                            i1 + offset + 1,
                            old_lines[i1 + offset],
                            j1 + offset + 1,
                            new_lines[j1 + offset],
                        )
                    )
                continue
            for offset in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + offset, j1 + offset
                rows.append(
                    DiffRow(
                        tag,
                        i + 1 if i < i2 else None,
                        old_lines[i] if i < i2 else "",
                        j + 1 if j < j2 else None,
                        new_lines[j] if j < j2 else "",
                    )
                )
    return rows


def _score(version: PromptVersion | None) -> str:
    if version is None or version.review_score is None:
        return "—"
    return f"{version.review_score:.2f}"


def _status_pill(version: PromptVersion) -> str:
    css = {"active": "good", "draft": "s-todo", "retired": "s-canceled"}[version.status]
    return format_html('<span class="pill {}">{}</span>', css, version.get_status_display())


# --- templates -----------------------------------------------------------------------------------


class PromptVersionInline(admin.TabularInline):
    model = PromptVersion
    extra = 0
    fields = (
        "version_col",
        "status_col",
        "author_name",
        "usage_count",
        "score_col",
        "review_count",
        "created_at",
        "tools_col",
    )
    readonly_fields = fields
    can_delete = False
    ordering = ("-version",)
    verbose_name_plural = "Versions"

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # new versions are added with "New draft version" (through the service)

    @admin.display(description="Version")
    def version_col(self, version: PromptVersion) -> str:
        url = reverse("admin:templates_app_promptversion_change", args=[version.pk])
        return format_html('<a href="{}"><b>v{}</b></a>', url, version.version)

    @admin.display(description="Status")
    def status_col(self, version: PromptVersion) -> str:
        return _status_pill(version)

    @admin.display(description="EWMA score")
    def score_col(self, version: PromptVersion) -> str:
        return _score(version)

    @admin.display(description="")
    def tools_col(self, version: PromptVersion) -> str:
        if version.status == PromptVersion.Status.ACTIVE:
            return ""
        diff = reverse(
            "admin:templates_app_prompttemplate_diff", args=[version.template_id, version.pk]
        )
        promote = reverse(
            "admin:templates_app_prompttemplate_promote", args=[version.template_id, version.pk]
        )
        # formaction: the button lives inside the template's form and posts it (with its CSRF
        # token) to the promote URL instead, so no nested form is needed.
        return format_html(
            '<a href="{}" class="button small-button">Diff vs active</a> '
            '<button type="submit" class="button small-button default" formaction="{}" formnovalidate '
            'data-promote="v{}">Promote</button>',
            diff,
            promote,
            version.version,
        )


class PromptTemplateForm(forms.ModelForm):
    class Meta:
        model = PromptTemplate
        fields = ("slug", "name", "description", "conditions", "specificity", "project")
        help_texts = {
            "conditions": 'JSON: all keys must match the issue, e.g. {"type": "signal"}. {} matches every issue.',
        }


@admin.register(PromptTemplate)
class PromptTemplateAdmin(admin.ModelAdmin):
    form = PromptTemplateForm
    change_form_template = "admin/templates_app/prompttemplate/change_form.html"
    list_display = (
        "slug",
        "name",
        "conditions_col",
        "specificity",
        "project",
        "active_col",
        "usage_col",
        "score_col",
        "reviews_col",
        "drafts_col",
    )
    list_filter = ("project",)
    search_fields = ("slug", "name", "description")
    autocomplete_fields = ("project",)
    list_select_related = ("project", "active_version")
    inlines = [PromptVersionInline]
    fields = ("slug", "name", "description", "conditions", "specificity", "project")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PromptTemplate]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                draft_count=Count("versions", filter=Q(versions__status=PromptVersion.Status.DRAFT))
            )
        )

    def get_readonly_fields(self, request, obj=None):
        return ("slug",) if obj is not None else ()

    @admin.display(description="Conditions")
    def conditions_col(self, template: PromptTemplate) -> str:
        if not template.conditions:
            return format_html('<span class="muted">{}</span>', "any issue")
        return ", ".join(f"{key}={value}" for key, value in sorted(template.conditions.items()))

    @admin.display(description="Active", ordering="active_version__version")
    def active_col(self, template: PromptTemplate) -> str:
        if template.active_version is None:
            return format_html('<span class="pill bad">{}</span>', "none")
        return f"v{template.active_version.version}"

    @admin.display(description="Used", ordering="active_version__usage_count")
    def usage_col(self, template: PromptTemplate) -> int:
        return template.active_version.usage_count if template.active_version else 0

    @admin.display(description="Score", ordering="active_version__review_score")
    def score_col(self, template: PromptTemplate) -> str:
        return _score(template.active_version)

    @admin.display(description="Reviews", ordering="active_version__review_count")
    def reviews_col(self, template: PromptTemplate) -> int:
        return template.active_version.review_count if template.active_version else 0

    @admin.display(description="Drafts", ordering="draft_count")
    def drafts_col(self, template: PromptTemplate) -> str:
        return (
            format_html('<span class="pill s-todo">{}</span>', template.draft_count)
            if template.draft_count
            else ""
        )

    # --- writes ---

    def save_model(self, request: HttpRequest, obj: PromptTemplate, form, change: bool) -> None:
        fields = {
            "name": obj.name,
            "description": obj.description,
            "conditions": obj.conditions,
            "specificity": obj.specificity,
            "project_id": obj.project_id,
        }
        if change:
            services.update_template(
                template_id=obj.pk,
                changes={
                    key: value
                    for key, value in fields.items()
                    if key.removesuffix("_id") in form.changed_data
                },
            )
        else:
            obj.pk = services.create_template(slug=obj.slug, **fields).pk

    def save_formset(self, request, form, formset, change) -> None:
        return None  # the versions inline is read-only; versions change only through services

    def delete_model(self, request: HttpRequest, obj: PromptTemplate) -> None:
        services.delete_template(template_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for template in queryset:
            self.delete_model(request, template)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except LoopError as error:
            self.message_user(request, f"Not saved: {error.detail}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = dict(extra_context or {})
        template = self.get_object(request, object_id)
        if template is not None:
            context["recent_reviews"] = list(
                PromptReview.objects.filter(version__template=template)
                .select_related("version", "issue")
                .order_by("-created_at", "-id")[:RECENT_REVIEWS]
            )
            context["new_version_url"] = (
                reverse("admin:templates_app_promptversion_add") + f"?template={template.pk}"
            )
        return super().change_view(request, object_id, form_url, extra_context=context)

    # --- diff and promote ---

    def get_urls(self):
        return [
            path(
                "<str:template_id>/diff/<str:version_id>/",
                self.admin_site.admin_view(self.diff_view),
                name="templates_app_prompttemplate_diff",
            ),
            path(
                "<str:template_id>/promote/<str:version_id>/",
                self.admin_site.admin_view(require_POST(self.promote_view)),
                name="templates_app_prompttemplate_promote",
            ),
            *super().get_urls(),
        ]

    def _version(self, template_id: str, version_id: str) -> PromptVersion:
        version = (
            PromptVersion.objects.select_related("template", "template__active_version")
            .filter(pk=version_id, template_id=template_id, template__deleted_at=None)
            .first()
        )
        if version is None:
            raise Http404("Version not found for this template")
        return version

    def diff_view(self, request: HttpRequest, template_id: str, version_id: str) -> HttpResponse:
        """A version side by side with the active one (or with ?against=<version id>)."""
        if not self.has_view_permission(request):
            raise Http404
        version = self._version(template_id, version_id)
        template = version.template
        against_id = request.GET.get("against")
        base = self._version(template_id, against_id) if against_id else template.active_version
        rows = side_by_side(base.content if base else "", version.content)
        return TemplateResponse(
            request,
            "admin/templates_app/prompttemplate/diff.html",
            {
                **self.admin_site.each_context(request),
                "title": f"{template.slug}: v{version.version} against "
                f"{f'v{base.version}' if base else 'nothing'}",
                "opts": self.opts,
                "template": template,
                "version": version,
                "base": base,
                "rows": rows,
                "changed": sum(1 for row in rows if row.kind not in ("equal", "gap")),
                "versions": list(
                    template.versions.order_by("-version").only("id", "version", "status")
                ),
                "can_promote": self.has_change_permission(request, template)
                and version.status != PromptVersion.Status.ACTIVE,
                "reviews": list(
                    version.reviews.select_related("issue").order_by("-created_at")[:RECENT_REVIEWS]
                ),
            },
        )

    def promote_view(self, request: HttpRequest, template_id: str, version_id: str) -> HttpResponse:
        version = self._version(template_id, version_id)
        if not self.has_change_permission(request, version.template):
            raise Http404
        promote(self, request, version)
        return HttpResponseRedirect(
            reverse("admin:templates_app_prompttemplate_change", args=[template_id])
        )


def promote(modeladmin: admin.ModelAdmin, request: HttpRequest, version: PromptVersion) -> bool:
    """Promote through the service, tell the user, and note it in the admin log."""
    previous = version.template.active_version
    try:
        services.promote_version(template_id=version.template_id, version_id=version.pk)
    except LoopError as error:
        modeladmin.message_user(
            request, f"v{version.version} not promoted: {error.detail}", messages.ERROR
        )
        return False
    replaced = f" (v{previous.version} retired)" if previous else ""
    message = f"Promoted {version.template.slug} v{version.version}{replaced}."
    modeladmin.log_change(request, version.template, message)
    modeladmin.message_user(request, message, messages.SUCCESS)
    return True


# --- versions and reviews ------------------------------------------------------------------------


class PromptVersionForm(forms.ModelForm):
    class Meta:
        model = PromptVersion
        fields = ("template", "content", "changelog")
        widgets = {"content": forms.Textarea(attrs={"rows": 24, "class": "vLargeTextField mono"})}


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
class PromptVersionAdmin(admin.ModelAdmin):
    form = PromptVersionForm
    list_display = (
        "template",
        "version_col",
        "status_col",
        "author_name",
        "usage_count",
        "score_col",
        "review_count",
        "created_at",
    )
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
        return _status_pill(version)

    @admin.display(description="EWMA score", ordering="review_score")
    def score_col(self, version: PromptVersion) -> str:
        return _score(version)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("template", "content", "changelog")
        return (
            "template",
            "version",
            "status",
            "author_type",
            "author_name",
            "changelog",
            "content",
            "usage_count",
            "review_score",
            "review_count",
            "completion_rate",
            "avg_duration_ms",
            "created_at",
        )

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else ()

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # A version's content is what agents were given and reviewed: immutable. Write a new one.
        return False if obj is not None else super().has_change_permission(request, obj)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        """ "New draft version" starts from the template's active content."""
        initial = super().get_changeform_initial_data(request)
        template = (
            PromptTemplate.objects.filter(pk=request.GET.get("template"))
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

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except LoopError as error:
            self.message_user(request, f"Not saved: {error.detail}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def response_add(self, request, obj, post_url_continue=None):
        return HttpResponseRedirect(
            reverse("admin:templates_app_prompttemplate_change", args=[obj.template_id])
        )

    @admin.action(description="Promote the selected version to active")
    def promote_selected(self, request: HttpRequest, queryset: QuerySet[PromptVersion]):
        versions = list(queryset.select_related("template", "template__active_version")[:2])
        if len(versions) != 1:
            self.message_user(request, "Select exactly one version to promote.", messages.WARNING)
            return None
        promote(self, request, versions[0])
        return None

    def has_promote_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("templates_app.change_prompttemplate")

    promote_selected.allowed_permissions = ("promote",)


@admin.register(PromptReview)
class PromptReviewAdmin(admin.ModelAdmin):
    """Reviews are the agents' words about a prompt: readable here, written only by the API."""

    list_display = (
        "created_at",
        "version_col",
        "issue",
        "clarity",
        "completeness",
        "relevance",
        "composite_col",
        "author_type",
        "feedback_col",
    )
    list_filter = ("author_type", "version__template")
    search_fields = ("feedback", "version__template__slug")
    list_select_related = ("version", "version__template", "issue")
    fields = (
        "version",
        "issue",
        "clarity",
        "completeness",
        "relevance",
        "author_type",
        "feedback",
        "created_at",
    )
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
        return text if len(text) <= 140 else text[:139] + "…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
