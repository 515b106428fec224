"""Prompt templates in the console: list with the active version's health, the template page
with its versions (diff, promote) and the agents' recent reviews, and the diff page."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from loop_project.console.admin_utils import ServiceErrorsAsMessages, pill
from loop_project.errors import LoopError
from templates_app import services
from templates_app.admin.diff import side_by_side
from templates_app.models import PromptReview, PromptTemplate, PromptVersion

RECENT_REVIEWS = 20
STATUS_PILL = {"active": "good", "draft": "s-todo", "retired": "s-canceled"}


def score_text(version: PromptVersion | None) -> str:
    if version is None or version.review_score is None:
        return "—"
    return f"{version.review_score:.2f}"


def status_pill(version: PromptVersion) -> SafeString:
    return pill(STATUS_PILL[version.status], version.get_status_display())


def promote(modeladmin: admin.ModelAdmin, request: HttpRequest, version: PromptVersion) -> bool:
    """Promote through the service, tell the user, and record who did it in the admin log
    (templates keep no audit table of their own)."""
    previous = version.template.active_version
    try:
        services.promote_version(template_id=version.template_id, version_id=version.pk)
    except LoopError as error:
        modeladmin.message_user(
            request, f"v{version.version} not promoted: {error.detail}", messages.ERROR
        )
        return False
    retired = f" (v{previous.version} retired)" if previous else ""
    message = f"Promoted {version.template.slug} v{version.version}{retired}."
    modeladmin.log_change(request, version.template, message)
    modeladmin.message_user(request, message, messages.SUCCESS)
    return True


class PromptVersionInline(admin.TabularInline):
    model = PromptVersion
    extra = 0
    fields = ("version_col", "status_col", "author_name", "usage_count", "score_col", "review_count",
              "created_at", "tools_col")  # fmt: skip
    readonly_fields = fields
    can_delete = False
    ordering = ("-version",)
    verbose_name_plural = "Versions"

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # "New draft version" adds one, through the service

    @admin.display(description="Version")
    def version_col(self, version: PromptVersion) -> str:
        url = reverse("admin:templates_app_promptversion_change", args=[version.pk])
        return format_html('<a href="{}"><b>v{}</b></a>', url, version.version)

    @admin.display(description="Status")
    def status_col(self, version: PromptVersion) -> str:
        return status_pill(version)

    @admin.display(description="EWMA score")
    def score_col(self, version: PromptVersion) -> str:
        return score_text(version)

    @admin.display(description="")
    def tools_col(self, version: PromptVersion) -> str:
        if version.status == PromptVersion.Status.ACTIVE:
            return ""
        args = [version.template_id, version.pk]
        # formaction: the button sits inside the template's form and posts it (CSRF token
        # included) to the promote URL instead, so no nested form is needed.
        return format_html(
            '<a href="{}" class="button small-button">Diff vs active</a> '
            '<button type="submit" class="button small-button default" formaction="{}" '
            'formnovalidate data-promote="v{}">Promote</button>',
            reverse("admin:templates_app_prompttemplate_diff", args=args),
            reverse("admin:templates_app_prompttemplate_promote", args=args),
            version.version,
        )


class PromptTemplateForm(forms.ModelForm):
    class Meta:
        model = PromptTemplate
        fields = ("slug", "name", "description", "conditions", "specificity", "project")
        # Short boxes, so the versions (what staff come here for) show without scrolling.
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2, "cols": 80}),
            "conditions": forms.Textarea(attrs={"rows": 2, "cols": 60}),
        }
        help_texts = {
            "conditions": 'JSON; every key must match the issue, e.g. {"type": "signal"}. '
                          "{} matches every issue.",
        }  # fmt: skip


@admin.register(PromptTemplate)
class PromptTemplateAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    form = PromptTemplateForm
    change_form_template = "admin/templates_app/prompttemplate/change_form.html"
    list_display = ("slug", "name", "conditions_col", "specificity", "project", "active_col",
                    "usage_col", "score_col", "reviews_col", "drafts_col")  # fmt: skip
    list_filter = ("project",)
    search_fields = ("slug", "name", "description")
    autocomplete_fields = ("project",)
    list_select_related = ("project", "active_version")
    fields = ("slug", "name", "description", "conditions", "specificity", "project")
    inlines = [PromptVersionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PromptTemplate]:
        drafts = Count("versions", filter=Q(versions__status=PromptVersion.Status.DRAFT))
        return super().get_queryset(request).annotate(draft_count=drafts)

    def get_readonly_fields(self, request, obj=None):
        return ("slug",) if obj is not None else ()  # the slug names the template everywhere

    @admin.display(description="Conditions")
    def conditions_col(self, template: PromptTemplate) -> str:
        if not template.conditions:
            return format_html('<span class="muted">{}</span>', "any issue")
        return ", ".join(f"{key}={value}" for key, value in sorted(template.conditions.items()))

    @admin.display(description="Active", ordering="active_version__version")
    def active_col(self, template: PromptTemplate) -> str:
        return (
            f"v{template.active_version.version}"
            if template.active_version
            else pill("bad", "none")
        )

    @admin.display(description="Used", ordering="active_version__usage_count")
    def usage_col(self, template: PromptTemplate) -> int:
        return template.active_version.usage_count if template.active_version else 0

    @admin.display(description="Score", ordering="active_version__review_score")
    def score_col(self, template: PromptTemplate) -> str:
        return score_text(template.active_version)

    @admin.display(description="Reviews", ordering="active_version__review_count")
    def reviews_col(self, template: PromptTemplate) -> int:
        return template.active_version.review_count if template.active_version else 0

    @admin.display(description="Drafts", ordering="draft_count")
    def drafts_col(self, template: PromptTemplate) -> str:
        return pill("s-todo", str(template.draft_count)) if template.draft_count else ""

    # --- writes ---

    def save_model(self, request: HttpRequest, obj: PromptTemplate, form, change: bool) -> None:
        fields = {"name": obj.name, "description": obj.description, "conditions": obj.conditions,
                  "specificity": obj.specificity, "project_id": obj.project_id}  # fmt: skip
        if change:
            changed = {
                k: v for k, v in fields.items() if k.removesuffix("_id") in form.changed_data
            }
            services.update_template(template_id=obj.pk, changes=changed)
        else:
            obj.pk = services.create_template(slug=obj.slug, **fields).pk

    def save_formset(self, request, form, formset, change) -> None:
        formset.save(commit=False)  # the versions inline is read-only: versions change through services

    def delete_model(self, request: HttpRequest, obj: PromptTemplate) -> None:
        services.delete_template(template_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for template in queryset:
            self.delete_model(request, template)

    # --- the template page, the diff page, promote ---

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = dict(extra_context or {})
        template = self.get_object(request, object_id)
        if template is not None:
            context["recent_reviews"] = list(
                PromptReview.objects.filter(version__template=template)
                .select_related("version", "issue")
                .order_by("-created_at", "-id")[:RECENT_REVIEWS]
            )
            add_url = reverse("admin:templates_app_promptversion_add")
            context["new_version_url"] = f"{add_url}?template={template.pk}"
        return super().change_view(request, object_id, form_url, extra_context=context)

    def get_urls(self):
        return [
            path("<str:template_id>/diff/<str:version_id>/", self.admin_site.admin_view(self.diff_view),
                 name="templates_app_prompttemplate_diff"),
            path("<str:template_id>/promote/<str:version_id>/",
                 self.admin_site.admin_view(require_POST(self.promote_view)),
                 name="templates_app_prompttemplate_promote"),
            *super().get_urls(),
        ]  # fmt: skip

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
        """A version beside the active one (or beside ``?against=<version id>``)."""
        if not self.has_view_permission(request):
            raise Http404
        version = self._version(template_id, version_id)
        template = version.template
        against = request.GET.get("against")
        base = self._version(template_id, against) if against else template.active_version
        rows = side_by_side(base.content if base else "", version.content)
        return TemplateResponse(request, "admin/templates_app/prompttemplate/diff.html", {
            **self.admin_site.each_context(request),
            "title": f"{template.slug}: v{version.version} against "
                     + (f"v{base.version}" if base else "nothing"),
            "opts": self.opts,
            "template": template,
            "version": version,
            "base": base,
            "rows": rows,
            "changed": sum(1 for row in rows if row.kind not in ("equal", "gap")),
            "versions": list(template.versions.order_by("-version").only("id", "version", "status")),
            "can_promote": self.has_change_permission(request, template)
            and version.status != PromptVersion.Status.ACTIVE,
            "reviews": list(version.reviews.select_related("issue").order_by("-created_at")[:RECENT_REVIEWS]),
        })  # fmt: skip

    def promote_view(self, request: HttpRequest, template_id: str, version_id: str) -> HttpResponse:
        version = self._version(template_id, version_id)
        if not self.has_change_permission(request, version.template):
            raise Http404
        promote(self, request, version)
        return HttpResponseRedirect(
            reverse("admin:templates_app_prompttemplate_change", args=[template_id])
        )
