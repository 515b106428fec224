"""Projects, goals and labels in the console; each write is a call to ``issues.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from issues import services
from issues.admin.forms import LabelAdminForm
from issues.admin.panels import safe_color
from issues.models import Goal, Issue, Label, Project
from loop_project.console.admin_utils import ServiceErrorsAsMessages


def _changed(fields: dict[str, Any], form) -> dict[str, Any]:
    """The subset of ``fields`` (model attribute names) the form actually changed."""
    return {
        key: value for key, value in fields.items() if key.removesuffix("_id") in form.changed_data
    }


class GoalInline(admin.TabularInline):
    model = Goal
    fk_name = "project"
    extra = 0
    fields = ("title", "status", "metric", "current_value", "target_value", "unit")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # goals are added on their own page, through the service


@admin.register(Project)
class ProjectAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    list_display = ("name", "status", "health", "goal", "open_issues", "created_at")
    list_filter = ("status", "health")
    search_fields = ("name", "description")
    autocomplete_fields = ("goal",)
    list_select_related = ("goal",)
    fields = ("name", "description", "status", "health", "goal")
    inlines = [GoalInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        open_issues = Q(issues__deleted_at=None) & ~Q(issues__status__in=Issue.FINISHED_STATUSES)
        return (
            super().get_queryset(request).annotate(open_count=Count("issues", filter=open_issues))
        )

    @admin.display(description="Open issues", ordering="open_count")
    def open_issues(self, project: Project) -> str:
        url = reverse("admin:issues_issue_changelist") + f"?project__id__exact={project.pk}"
        return format_html('<a href="{}">{}</a>', url, project.open_count)

    def save_model(self, request: HttpRequest, obj: Project, form, change: bool) -> None:
        fields = {name: getattr(obj, name) for name in ("name", "description", "status", "health")}
        fields["goal_id"] = obj.goal_id
        if change:
            services.update_project(project_id=obj.pk, changes=_changed(fields, form))
        else:
            obj.pk = services.create_project(**fields).pk

    def save_formset(self, request, form, formset, change) -> None:
        formset.save(commit=False)  # the goals inline is read-only: nothing to write

    def delete_model(self, request: HttpRequest, obj: Project) -> None:
        services.delete_project(project_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for project in queryset:
            self.delete_model(request, project)


@admin.register(Goal)
class GoalAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    list_display = ("title", "status", "project", "metric", "progress", "unit")
    list_filter = ("status", "project")
    search_fields = ("title", "description", "metric")
    autocomplete_fields = ("project",)
    list_select_related = ("project",)
    fields = (
        "title",
        "description",
        "status",
        "project",
        "metric",
        "current_value",
        "target_value",
        "unit",
    )

    @admin.display(description="Current / target")
    def progress(self, goal: Goal) -> str:
        def shown(value: float | None) -> str:
            return "—" if value is None else f"{value:g}"

        return f"{shown(goal.current_value)} / {shown(goal.target_value)}"

    def save_model(self, request: HttpRequest, obj: Goal, form, change: bool) -> None:
        editable = (
            "title",
            "description",
            "metric",
            "target_value",
            "current_value",
            "unit",
            "status",
        )
        fields = {name: getattr(obj, name) for name in editable}
        fields["project_id"] = obj.project_id
        if change:
            services.update_goal(goal_id=obj.pk, changes=_changed(fields, form))
        else:
            obj.pk = services.create_goal(**fields).pk

    def delete_model(self, request: HttpRequest, obj: Goal) -> None:
        services.delete_goal(goal_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for goal in queryset:
            self.delete_model(request, goal)


@admin.register(Label)
class LabelAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    form = LabelAdminForm
    list_display = ("chip", "color", "issue_count", "created_at")
    search_fields = ("name",)
    fields = ("name", "color")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Label]:
        return super().get_queryset(request).annotate(issue_total=Count("issue_labels"))

    @admin.display(description="Label", ordering="name")
    def chip(self, label: Label) -> str:
        return format_html(
            '<span class="label-chip" style="--chip: {}">{}</span>',
            safe_color(label.color),
            label.name,
        )

    @admin.display(description="Issues", ordering="issue_total")
    def issue_count(self, label: Label) -> str:
        url = reverse("admin:issues_issue_changelist") + f"?labels__id__exact={label.pk}"
        return format_html('<a href="{}">{}</a>', url, label.issue_total)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # There is no rename service: create a new label and relabel with the bulk action.
        return False

    def save_model(self, request: HttpRequest, obj: Label, form, change: bool) -> None:
        obj.pk = services.create_label(name=obj.name, color=obj.color).pk

    def delete_model(self, request: HttpRequest, obj: Label) -> None:
        services.delete_label(label_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for label in queryset:
            self.delete_model(request, label)
