"""Staff console for the core schema. Every write goes through issues.services so admin changes
keep dispatch state true and land in the same audit trail as API changes."""
from django.contrib import admin
from django.http import HttpRequest

from issues import services
from issues.audit import actor_for_user
from issues.models import Comment, Goal, Issue, IssueEvent, IssueLabel, IssueRelation, Label, Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "health", "goal", "created_at")
    list_filter = ("status", "health")
    search_fields = ("name", "description")
    autocomplete_fields = ("goal",)


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "project", "metric", "current_value", "target_value", "unit")
    list_filter = ("status",)
    search_fields = ("title", "description", "metric")
    autocomplete_fields = ("project",)
    list_select_related = ("project",)

    def save_model(self, request: HttpRequest, obj: Goal, form, change: bool) -> None:
        fields = {name: getattr(obj, name) for name in form.changed_data if name != "project"}
        if "project" in form.changed_data:
            fields["project_id"] = obj.project_id
        if change:
            services.update_goal(goal_id=obj.pk, changes=fields)
        else:
            saved = services.create_goal(
                **{f.attname: getattr(obj, f.attname) for f in Goal._meta.concrete_fields
                   if f.attname not in ("id", "created_at", "updated_at", "deleted_at")}
            )
            obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Goal) -> None:
        services.delete_goal(goal_id=obj.pk)


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("name", "color", "created_at")
    search_fields = ("name",)


class IssueLabelInline(admin.TabularInline):
    model = IssueLabel
    extra = 0
    autocomplete_fields = ("label",)


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "type", "status", "priority", "project", "is_blocked", "created_at")
    list_display_links = ("number", "title")
    list_filter = ("type", "status", "priority", "is_blocked", "project")
    search_fields = ("=number", "title", "description")
    list_select_related = ("project",)
    autocomplete_fields = ("parent", "project")
    readonly_fields = (
        "number", "dispatch_rank", "is_blocked", "claim_token", "claimed_by", "claimed_at",
        "lease_expires_at", "dispatch_attempts", "completed_at", "created_at", "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("number", "title", "description", "type", "status", "priority", "parent", "project")}),
        ("Signal", {"fields": ("signal_source", "signal_payload", "fingerprint", "occurrence_count", "last_seen_at"), "classes": ("collapse",)}),
        ("Agent work", {"fields": ("hypothesis", "agent_session_id", "agent_summary", "commits", "pull_requests")}),
        ("Dispatch", {"fields": ("dispatch_rank", "is_blocked", "claim_token", "claimed_by", "claimed_at", "lease_expires_at", "dispatch_attempts")}),
        ("Timestamps", {"fields": ("completed_at", "created_at", "updated_at")}),
    )

    def save_model(self, request: HttpRequest, obj: Issue, form, change: bool) -> None:
        actor = actor_for_user(request.user)
        values = {
            name: getattr(obj, name)
            for name in services.EDITABLE_FIELDS
        }
        if change:
            changed = {
                name: values[name] for name in services.EDITABLE_FIELDS
                if name.removesuffix("_id") in form.changed_data or name in form.changed_data
            }
            services.update_issue(issue_id=obj.pk, actor=actor, changes=changed)
        else:
            saved = services.create_issue(actor=actor, **values)
            obj.pk = saved.pk
            obj.number = saved.number

    def delete_model(self, request: HttpRequest, obj: Issue) -> None:
        services.delete_issue(issue_id=obj.pk, actor=actor_for_user(request.user))

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for issue in queryset:
            self.delete_model(request, issue)


@admin.register(IssueRelation)
class IssueRelationAdmin(admin.ModelAdmin):
    list_display = ("issue", "type", "related_issue", "created_at")
    list_filter = ("type",)
    search_fields = ("=issue__number", "=related_issue__number")
    autocomplete_fields = ("issue", "related_issue")
    list_select_related = ("issue", "related_issue")

    def save_model(self, request: HttpRequest, obj: IssueRelation, form, change: bool) -> None:
        actor = actor_for_user(request.user)
        if change:
            services.remove_relation(relation_id=obj.pk, actor=actor)
        saved = services.add_relation(
            issue_id=obj.issue_id, related_issue_id=obj.related_issue_id, type=obj.type, actor=actor
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: IssueRelation) -> None:
        services.remove_relation(relation_id=obj.pk, actor=actor_for_user(request.user))

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for relation in queryset:
            self.delete_model(request, relation)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("issue", "author_name", "author_type", "created_at")
    list_filter = ("author_type",)
    search_fields = ("body", "author_name", "=issue__number")
    autocomplete_fields = ("issue", "parent")
    list_select_related = ("issue",)


@admin.register(IssueEvent)
class IssueEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "issue", "kind", "actor")
    list_filter = ("kind",)
    search_fields = ("=issue__number", "actor")
    list_select_related = ("issue",)
    readonly_fields = ("issue", "kind", "actor", "changes", "note", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
