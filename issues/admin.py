"""Staff console for the core schema: issues (the heart of the console), projects, goals, labels,
relations, comments and the audit trail.

Every write goes through ``issues.services`` with the staff member as the actor
(``user:<username>``), so admin changes keep dispatch state true and land in the same audit trail
(IssueEvent) as API changes. Claim overrides (release) are dispatch's and are added to the issue
list by ``dispatch/admin.py``.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from issues import services
from issues.admin_views import (
    AddLabelForm,
    CancelForm,
    PriorityForm,
    ReplyForm,
    describe_events,
    issue_panels,
    safe_color,
    short_age,
)
from issues.audit import actor_for_user
from issues.models import (
    Comment,
    Goal,
    Issue,
    IssueEvent,
    IssueRelation,
    Label,
    Project,
)
from loop_project.errors import LoopError

NUMBER_SEARCH = re.compile(r"^#?(\d+)$")


# --- shared helpers ----------------------------------------------------------------------------


def redirect_back(request: HttpRequest) -> HttpResponseRedirect | None:
    """Where an action posted from another page (the issue page, the queue) asked to return to;
    None means "the changelist", Django's default after an action."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return None


def report(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    done: list[Issue],
    failed: list[tuple[Issue, LoopError]],
    verb: str,
) -> None:
    """One message for what worked and one per issue that a service refused."""
    if done:
        numbers = ", ".join(f"#{issue.number}" for issue in done[:10])
        more = f" and {len(done) - 10} more" if len(done) > 10 else ""
        modeladmin.message_user(request, f"{verb}: {numbers}{more}.", messages.SUCCESS)
    for issue, error in failed:
        modeladmin.message_user(request, f"#{issue.number}: {error.detail}", messages.ERROR)


def apply_to_each(
    queryset: QuerySet[Issue], change
) -> tuple[list[Issue], list[tuple[Issue, LoopError]]]:
    """Run ``change(issue)`` for every selected issue, each in its own service transaction, so
    one refused issue does not undo the others."""
    done: list[Issue] = []
    failed: list[tuple[Issue, LoopError]] = []
    for issue in queryset.order_by("number"):
        try:
            change(issue)
        except LoopError as error:
            failed.append((issue, error))
        else:
            done.append(issue)
    return done, failed


def _pill(css: str, text: str) -> str:
    return format_html('<span class="pill {}">{}</span>', css, text)


# --- list filters -------------------------------------------------------------------------------


class HasParentFilter(admin.SimpleListFilter):
    title = "has parent"
    parameter_name = "has_parent"

    def lookups(self, request, model_admin):
        return (("yes", "Has a parent"), ("no", "Top level"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(parent__isnull=False)
        if self.value() == "no":
            return queryset.filter(parent__isnull=True)
        return queryset


class BlockedFilter(admin.SimpleListFilter):
    title = "blocked"
    parameter_name = "blocked"

    def lookups(self, request, model_admin):
        return (("yes", "Blocked"), ("no", "Not blocked"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(is_blocked=True)
        if self.value() == "no":
            return queryset.filter(is_blocked=False)
        return queryset


class ClaimFilter(admin.SimpleListFilter):
    title = "claim"
    parameter_name = "claim"

    def lookups(self, request, model_admin):
        return (("held", "Held by an agent"), ("stale", "Lease expired"))

    def queryset(self, request, queryset):
        claimed = queryset.filter(status=Issue.Status.IN_PROGRESS, claim_token__isnull=False)
        if self.value() == "held":
            return claimed.filter(lease_expires_at__gte=timezone.now())
        if self.value() == "stale":
            return claimed.filter(lease_expires_at__lt=timezone.now())
        return queryset


class DeletedFilter(admin.SimpleListFilter):
    """Soft-deleted issues are hidden everywhere; this shows them so they can be restored."""

    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return (("only", "Deleted issues"),)

    def queryset(self, request, queryset):
        if self.value() == "only":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


# --- the issue form ------------------------------------------------------------------------------


class IssueAdminForm(forms.ModelForm):
    # Issue.labels goes through IssueLabel, which admin cannot edit directly; this field is handed
    # to the service as label_ids so label changes are audited like any other.
    edit_labels = forms.ModelMultipleChoiceField(
        label="Labels",
        queryset=Label.objects.order_by("name"),
        required=False,
        widget=AutocompleteSelectMultiple(Issue._meta.get_field("labels"), admin.site),
    )

    class Meta:
        model = Issue
        fields = (
            "title",
            "description",
            "type",
            "status",
            "priority",
            "parent",
            "project",
            "signal_source",
            "signal_payload",
            "hypothesis",
            "agent_session_id",
            "agent_summary",
            "commits",
            "pull_requests",
        )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["edit_labels"].initial = [label.pk for label in self.instance.labels.all()]

    def clean_parent(self) -> Issue | None:
        """The one-level hierarchy, checked here so the form shows the error (the service checks
        it again inside its transaction)."""
        parent = self.cleaned_data.get("parent")
        if parent is None:
            return None
        if self.instance.pk and parent.pk == self.instance.pk:
            raise forms.ValidationError("An issue cannot be its own parent.")
        if parent.parent_id is not None:
            raise forms.ValidationError(
                f"#{parent.number} already has a parent; only one level of nesting is allowed."
            )
        if self.instance.pk and self.instance.children.exists():
            raise forms.ValidationError("This issue has children, so it cannot have a parent.")
        return parent


# --- the issue admin -----------------------------------------------------------------------------


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    form = IssueAdminForm
    change_form_template = "admin/issues/issue/change_form.html"
    list_display = (
        "number_col",
        "title_col",
        "type_col",
        "status_col",
        "priority_col",
        "project",
        "labels_col",
        "age_col",
        "blocked_col",
    )
    list_display_links = ("number_col", "title_col")
    list_filter = (
        "status",
        "type",
        "priority",
        "project",
        "labels",
        HasParentFilter,
        BlockedFilter,
        ClaimFilter,
        DeletedFilter,
    )
    list_select_related = ("project",)
    list_per_page = 50
    ordering = ("-number",)
    search_fields = ("title", "description")
    search_help_text = "Search by #number, title or description."
    autocomplete_fields = ("parent", "project")
    actions = [
        "move_to_todo",
        "move_to_backlog",
        "cancel_with_reason",
        "set_priority",
        "add_label",
        "restore",
    ]
    readonly_fields = (
        "number",
        "dispatch_rank",
        "is_blocked",
        "claimed_by",
        "claimed_at",
        "lease_expires_at",
        "dispatch_attempts",
        "fingerprint",
        "occurrence_count",
        "last_seen_at",
        "completed_at",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "description",
                    ("type", "status", "priority"),
                    ("parent", "project"),
                    "edit_labels",
                )
            },
        ),
        (
            "Agent work",
            {
                "fields": (
                    "agent_summary",
                    "agent_session_id",
                    "commits",
                    "pull_requests",
                    "hypothesis",
                ),
                "classes": ("collapse",),
            },
        ),
        (
            "Signal",
            {
                "fields": (
                    "signal_source",
                    "signal_payload",
                    "fingerprint",
                    "occurrence_count",
                    "last_seen_at",
                ),
                "classes": ("collapse",),
            },
        ),
        (
            "Dispatch state (maintained by Loop)",
            {
                "fields": (
                    "dispatch_rank",
                    "is_blocked",
                    "claimed_by",
                    "claimed_at",
                    "lease_expires_at",
                    "dispatch_attempts",
                    "completed_at",
                    "created_at",
                    "updated_at",
                ),
                "classes": ("collapse",),
            },
        ),
    )

    # --- queryset and search ---

    def get_queryset(self, request: HttpRequest) -> QuerySet[Issue]:
        base = (
            Issue.all_objects
            if request.GET.get(DeletedFilter.parameter_name) == "only"
            else Issue.objects
        )
        return base.select_related("project").prefetch_related(
            Prefetch("labels", queryset=Label.objects.order_by("name"))
        )

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Issue], search_term: str):
        match = NUMBER_SEARCH.match(search_term.strip())
        if match:
            term = search_term.strip()
            return queryset.filter(
                Q(number=int(match.group(1)))
                | Q(title__icontains=term)
                | Q(description__icontains=term)
            ), False
        return super().get_search_results(request, queryset, search_term)

    # --- list columns ---

    @admin.display(description="#", ordering="number")
    def number_col(self, issue: Issue) -> str:
        return f"#{issue.number}"

    @admin.display(description="Title", ordering="title")
    def title_col(self, issue: Issue) -> str:
        return issue.title

    @admin.display(description="Type", ordering="type")
    def type_col(self, issue: Issue) -> str:
        return _pill(f"t-{issue.type}", issue.get_type_display())

    @admin.display(description="Status", ordering="status")
    def status_col(self, issue: Issue) -> str:
        pill = _pill(f"s-{issue.status}", issue.get_status_display())
        if issue.status == Issue.Status.IN_PROGRESS and issue.claimed_by:
            stale = issue.lease_expires_at is not None and issue.lease_expires_at < timezone.now()
            return format_html(
                '{} <span class="claim{}" title="{}">{}</span>',
                pill,
                " stale" if stale else "",
                "lease expired" if stale else "claimed",
                issue.claimed_by,
            )
        return pill

    @admin.display(description="Priority", ordering="priority")
    def priority_col(self, issue: Issue) -> str:
        return format_html(
            '<span class="prio p{}" title="priority {}">{}</span>',
            issue.priority,
            issue.priority,
            issue.get_priority_display(),
        )

    @admin.display(description="Labels")
    def labels_col(self, issue: Issue) -> str:
        return format_html_join(
            "",
            '<span class="label-chip" style="--chip: {}">{}</span>',
            ((safe_color(label.color), label.name) for label in issue.labels.all()),
        )

    @admin.display(description="Age", ordering="created_at")
    def age_col(self, issue: Issue) -> str:
        return format_html(
            '<span title="{}">{}</span>',
            issue.created_at.isoformat(timespec="minutes"),
            short_age(issue.created_at),
        )

    @admin.display(description="Blocked", ordering="is_blocked")
    def blocked_col(self, issue: Issue) -> str:
        return _pill("blocked", "blocked") if issue.is_blocked else ""

    # --- writes: the edit form, through the services ---

    def save_model(
        self, request: HttpRequest, obj: Issue, form: IssueAdminForm, change: bool
    ) -> None:
        actor = actor_for_user(request.user)
        label_ids = [label.pk for label in form.cleaned_data.get("edit_labels") or []]
        if change:
            changed = {
                name: getattr(obj, name)
                for name in services.EDITABLE_FIELDS
                if name.removesuffix("_id") in form.changed_data
            }
            services.update_issue(
                issue_id=obj.pk,
                actor=actor,
                changes=changed,
                label_ids=label_ids if "edit_labels" in form.changed_data else None,
            )
        else:
            saved = services.create_issue(
                actor=actor,
                label_ids=label_ids,
                **{name: getattr(obj, name) for name in services.EDITABLE_FIELDS},
            )
            obj.pk, obj.number = saved.pk, saved.number
        obj.refresh_from_db()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A rule the form could not see (a race, a label deleted meanwhile) surfaces as a message,
        # never a 500; the admin's transaction has already rolled back.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except LoopError as error:
            self.message_user(request, f"Not saved: {error.detail}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_model(self, request: HttpRequest, obj: Issue) -> None:
        services.delete_issue(issue_id=obj.pk, actor=actor_for_user(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Issue]) -> None:
        for issue in queryset:
            self.delete_model(request, issue)

    def get_deleted_objects(self, objs, request):
        # Deleting is a soft delete: nothing cascades, so list only the issues themselves.
        issues = list(objs)
        return [str(issue) for issue in issues], {"issues": len(issues)}, set(), []

    # --- the issue page ---

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/reply/",
                self.admin_site.admin_view(require_POST(self.reply_view)),
                name="%s_%s_reply" % info,
            ),
            path(
                "<path:object_id>/relations/add/",
                self.admin_site.admin_view(require_POST(self.add_relation_view)),
                name="%s_%s_add_relation" % info,
            ),
            path(
                "<path:object_id>/relations/<str:relation_id>/remove/",
                self.admin_site.admin_view(require_POST(self.remove_relation_view)),
                name="%s_%s_remove_relation" % info,
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        issue = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if issue is not None:
            context.update(
                # The header shows "#n" and the pills; the page title is the issue's own.
                title=issue.title,
                subtitle=None,
                panels=issue_panels(issue),
                reply_form=ReplyForm(),
                relation_types=IssueRelation.Type.choices,
                can_change_issue=self.has_change_permission(request, issue),
                can_comment=request.user.has_perm("issues.add_comment"),
                now=timezone.now(),
                changelist_url=reverse("admin:issues_issue_changelist"),
            )
        return super().change_view(request, object_id, form_url, extra_context=context)

    def _issue_or_404(self, request: HttpRequest, object_id: str) -> Issue:
        issue = self.get_object(request, object_id)
        if issue is None:
            raise Http404("Issue not found")
        return issue

    def _back_to_issue(self, issue: Issue, anchor: str) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:issues_issue_change", args=[issue.pk]) + anchor)

    def reply_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Staff answer an agent: a human comment under the staff member's name."""
        if not request.user.has_perm("issues.add_comment"):
            raise PermissionDenied
        issue = self._issue_or_404(request, object_id)
        form = ReplyForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "The reply was empty; nothing was posted.", messages.ERROR)
            return self._back_to_issue(issue, "#comments")
        try:
            services.add_comment(
                issue_id=issue.pk,
                body=form.cleaned_data["body"],
                author_name=request.user.get_username(),
                author_type=Comment.AuthorType.HUMAN,
                parent_id=form.cleaned_data["parent_id"] or None,
            )
        except LoopError as error:
            self.message_user(request, f"Reply not posted: {error.detail}", messages.ERROR)
        else:
            self.message_user(request, f"Reply posted on #{issue.number}.", messages.SUCCESS)
        return self._back_to_issue(issue, "#comments")

    def add_relation_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Block, unblock or link issues from the issue page: "this issue <type> #<number>"."""
        issue = self._issue_or_404(request, object_id)
        if not self.has_change_permission(request, issue):
            raise PermissionDenied
        relation_type = request.POST.get("type", "")
        match = NUMBER_SEARCH.match(request.POST.get("other", "").strip())
        other = Issue.objects.filter(number=int(match.group(1))).first() if match else None
        if relation_type not in IssueRelation.Type.values:
            self.message_user(request, "Pick a relation type.", messages.ERROR)
        elif other is None:
            self.message_user(request, "No live issue with that number.", messages.ERROR)
        else:
            try:
                services.add_relation(
                    issue_id=issue.pk,
                    related_issue_id=other.pk,
                    type=relation_type,
                    actor=actor_for_user(request.user),
                )
            except LoopError as error:
                self.message_user(request, f"Relation not added: {error.detail}", messages.ERROR)
            else:
                verb = IssueRelation.Type(relation_type).label.lower()
                self.message_user(
                    request, f"#{issue.number} {verb} #{other.number}.", messages.SUCCESS
                )
        return self._back_to_issue(issue, "#relations")

    def remove_relation_view(
        self, request: HttpRequest, object_id: str, relation_id: str
    ) -> HttpResponse:
        issue = self._issue_or_404(request, object_id)
        if not self.has_change_permission(request, issue):
            raise PermissionDenied
        relation = get_object_or_404(
            IssueRelation, Q(issue=issue) | Q(related_issue=issue), pk=relation_id
        )
        services.remove_relation(relation_id=relation.pk, actor=actor_for_user(request.user))
        self.message_user(request, "Relation removed.", messages.SUCCESS)
        return self._back_to_issue(issue, "#relations")

    # --- bulk actions (each issue through the service, audited as the staff member) ---

    def _move(
        self, request: HttpRequest, queryset: QuerySet[Issue], status: str
    ) -> HttpResponse | None:
        actor = actor_for_user(request.user)
        done, failed = apply_to_each(
            queryset.exclude(status=status),
            lambda issue: services.update_issue(
                issue_id=issue.pk, actor=actor, changes={"status": status}
            ),
        )
        report(self, request, done, failed, f"Moved to {status}")
        if not done and not failed:
            self.message_user(request, f"Every selected issue is already {status}.", messages.INFO)
        return redirect_back(request)

    @admin.action(description="Move to todo (dispatch them)", permissions=["change"])
    def move_to_todo(self, request: HttpRequest, queryset: QuerySet[Issue]):
        return self._move(request, queryset, Issue.Status.TODO)

    @admin.action(description="Move to backlog", permissions=["change"])
    def move_to_backlog(self, request: HttpRequest, queryset: QuerySet[Issue]):
        return self._move(request, queryset, Issue.Status.BACKLOG)

    @admin.action(description="Cancel, with a reason…", permissions=["change"])
    def cancel_with_reason(self, request: HttpRequest, queryset: QuerySet[Issue]):
        form = CancelForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._action_page(
                request,
                queryset,
                "cancel_with_reason",
                form,
                title="Cancel issues",
                button="Cancel these issues",
                danger=True,
            )
        reason = form.cleaned_data["reason"]
        actor = actor_for_user(request.user)

        @transaction.atomic
        def cancel(issue: Issue) -> None:
            services.update_issue(
                issue_id=issue.pk,
                actor=actor,
                changes={"status": Issue.Status.CANCELED},
                note=reason,
            )
            services.add_comment(
                issue_id=issue.pk,
                body=f"Canceled: {reason}",
                author_name=request.user.get_username(),
                author_type=Comment.AuthorType.HUMAN,
            )

        done, failed = apply_to_each(queryset.exclude(status=Issue.Status.CANCELED), cancel)
        report(self, request, done, failed, "Canceled")
        return redirect_back(request)

    @admin.action(description="Set priority…", permissions=["change"])
    def set_priority(self, request: HttpRequest, queryset: QuerySet[Issue]):
        form = PriorityForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._action_page(
                request, queryset, "set_priority", form, title="Set priority", button="Set priority"
            )
        priority = form.cleaned_data["priority"]
        actor = actor_for_user(request.user)
        done, failed = apply_to_each(
            queryset.exclude(priority=priority),
            lambda issue: services.update_issue(
                issue_id=issue.pk, actor=actor, changes={"priority": priority}
            ),
        )
        report(self, request, done, failed, f"Priority set to {Issue.Priority(priority).label}")
        return redirect_back(request)

    @admin.action(description="Add label…", permissions=["change"])
    def add_label(self, request: HttpRequest, queryset: QuerySet[Issue]):
        form = AddLabelForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._action_page(
                request, queryset, "add_label", form, title="Add a label", button="Add label"
            )
        label = form.cleaned_data["label"] or services.get_or_create_label(
            name=form.cleaned_data["new_label"].strip()
        )
        actor = actor_for_user(request.user)

        def add(issue: Issue) -> None:
            current = [existing.pk for existing in issue.labels.all()]
            if label.pk not in current:
                services.update_issue(
                    issue_id=issue.pk, actor=actor, changes={}, label_ids=[*current, label.pk]
                )

        done, failed = apply_to_each(queryset, add)
        report(self, request, done, failed, f"Labelled '{label.name}'")
        return redirect_back(request)

    @admin.action(description="Restore (undelete)", permissions=["delete"])
    def restore(self, request: HttpRequest, queryset: QuerySet[Issue]):
        actor = actor_for_user(request.user)
        done, failed = apply_to_each(
            queryset.filter(deleted_at__isnull=False),
            lambda issue: services.restore_issue(issue_id=issue.pk, actor=actor),
        )
        report(self, request, done, failed, "Restored")
        return redirect_back(request)

    def _action_page(
        self,
        request: HttpRequest,
        queryset: QuerySet[Issue],
        action: str,
        form: forms.Form,
        *,
        title: str,
        button: str,
        danger: bool = False,
    ) -> TemplateResponse:
        """The intermediate page of an action that needs an answer (a reason, a priority)."""
        issues = list(queryset.order_by("number")[:200])
        return TemplateResponse(
            request,
            "admin/console/action_form.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.opts,
                "issues": issues,
                "count": queryset.count(),
                "form": form,
                "action": action,
                "button": button,
                "danger": danger,
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "select_across": request.POST.get("select_across", "0"),
                "next": request.POST.get("next", ""),
            },
        )


# --- projects, goals, labels ----------------------------------------------------------------------


class GoalInline(admin.TabularInline):
    model = Goal
    fk_name = "project"
    extra = 0
    fields = ("title", "status", "metric", "current_value", "target_value", "unit")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "health", "goal", "open_issues", "created_at")
    list_filter = ("status", "health")
    search_fields = ("name", "description")
    autocomplete_fields = ("goal",)
    list_select_related = ("goal",)
    inlines = [GoalInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_count=Count(
                    "issues",
                    filter=Q(issues__deleted_at=None)
                    & ~Q(issues__status__in=Issue.FINISHED_STATUSES),
                )
            )
        )

    @admin.display(description="Open issues", ordering="open_count")
    def open_issues(self, project: Project) -> str:
        url = reverse("admin:issues_issue_changelist") + f"?project__id__exact={project.pk}"
        return format_html('<a href="{}">{}</a>', url, project.open_count)

    def save_model(self, request: HttpRequest, obj: Project, form, change: bool) -> None:
        fields = {
            name: getattr(obj, name) for name in ("name", "description", "status", "health")
        } | {"goal_id": obj.goal_id}
        if change:
            services.update_project(
                project_id=obj.pk,
                changes={
                    key: value
                    for key, value in fields.items()
                    if key.removesuffix("_id") in form.changed_data
                },
            )
        else:
            obj.pk = services.create_project(**fields).pk

    def delete_model(self, request: HttpRequest, obj: Project) -> None:
        services.delete_project(project_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for project in queryset:
            self.delete_model(request, project)


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "project", "metric", "progress", "unit")
    list_filter = ("status", "project")
    search_fields = ("title", "description", "metric")
    autocomplete_fields = ("project",)
    list_select_related = ("project",)

    @admin.display(description="Current / target")
    def progress(self, goal: Goal) -> str:
        if goal.current_value is None and goal.target_value is None:
            return "—"
        return (
            f"{goal.current_value if goal.current_value is not None else '—'} / "
            f"{goal.target_value if goal.target_value is not None else '—'}"
        )

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
        fields = {name: getattr(obj, name) for name in editable} | {"project_id": obj.project_id}
        if change:
            services.update_goal(
                goal_id=obj.pk,
                changes={
                    key: value
                    for key, value in fields.items()
                    if key.removesuffix("_id") in form.changed_data
                },
            )
        else:
            obj.pk = services.create_goal(**fields).pk

    def delete_model(self, request: HttpRequest, obj: Goal) -> None:
        services.delete_goal(goal_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for goal in queryset:
            self.delete_model(request, goal)


class LabelAdminForm(forms.ModelForm):
    class Meta:
        model = Label
        fields = ("name", "color")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Label.objects.filter(name=name).exists():
            raise forms.ValidationError(f"A label named '{name}' already exists.")
        return name

    def clean_color(self) -> str:
        color = self.cleaned_data["color"].strip()
        if not re.fullmatch(r"#[0-9a-fA-F]{3,8}", color):
            raise forms.ValidationError("Use a hex colour such as #3b82f6.")
        return color


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
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
        # Labels have no rename service: create a new one and relabel with the bulk action.
        return False

    def save_model(self, request: HttpRequest, obj: Label, form, change: bool) -> None:
        obj.pk = services.create_label(name=obj.name, color=obj.color).pk

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except LoopError as error:  # a same-named label created meanwhile
            self.message_user(request, f"Not saved: {error.detail}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_model(self, request: HttpRequest, obj: Label) -> None:
        services.delete_label(label_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for label in queryset:
            self.delete_model(request, label)


# --- relations, comments, history ----------------------------------------------------------------


@admin.register(IssueRelation)
class IssueRelationAdmin(admin.ModelAdmin):
    list_display = ("issue", "type", "related_issue", "created_at")
    list_filter = ("type",)
    search_fields = ("=issue__number", "=related_issue__number")
    autocomplete_fields = ("issue", "related_issue")
    list_select_related = ("issue", "related_issue")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # A relation is a fact: remove it and add another instead of editing it.
        return False

    def save_model(self, request: HttpRequest, obj: IssueRelation, form, change: bool) -> None:
        obj.pk = services.add_relation(
            issue_id=obj.issue_id,
            related_issue_id=obj.related_issue_id,
            type=obj.type,
            actor=actor_for_user(request.user),
        ).pk

    def delete_model(self, request: HttpRequest, obj: IssueRelation) -> None:
        services.remove_relation(relation_id=obj.pk, actor=actor_for_user(request.user))

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for relation in queryset:
            self.delete_model(request, relation)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except LoopError as error:
            self.message_user(request, f"Not saved: {error.detail}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class CommentAdminForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ("issue", "parent", "body")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    form = CommentAdminForm
    list_display = ("issue", "author_col", "excerpt", "created_at")
    list_filter = ("author_type",)
    search_fields = ("body", "author_name", "=issue__number")
    autocomplete_fields = ("issue",)
    raw_id_fields = ("parent",)
    list_select_related = ("issue",)

    @admin.display(description="Author", ordering="author_name")
    def author_col(self, comment: Comment) -> str:
        return format_html(
            '{} <span class="pill a-{}">{}</span>',
            comment.author_name,
            comment.author_type,
            comment.author_type,
        )

    @admin.display(description="Comment")
    def excerpt(self, comment: Comment) -> str:
        return comment.body if len(comment.body) <= 120 else comment.body[:119] + "…"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Comments are a conversation record: answer with a new comment instead of editing.
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Comment, form, change: bool) -> None:
        # Staff always speak as themselves, as humans.
        obj.pk = services.add_comment(
            issue_id=obj.issue_id,
            body=obj.body,
            author_name=request.user.get_username(),
            author_type=Comment.AuthorType.HUMAN,
            parent_id=obj.parent_id,
        ).pk

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except LoopError as error:
            self.message_user(request, f"Not saved: {error.detail}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class DescribedEventChangeList(ChangeList):
    """Names the labels and priorities of a whole page of events in one extra query."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = describe_events(list(self.result_list))


@admin.register(IssueEvent)
class IssueEventAdmin(admin.ModelAdmin):
    """The audit trail, read-only: who changed what, when, from what to what."""

    list_display = ("created_at", "issue", "kind_col", "actor", "changes_col", "note")
    list_filter = ("kind", "created_at")
    search_fields = ("=issue__number", "actor", "note")
    list_select_related = ("issue",)
    date_hierarchy = "created_at"
    readonly_fields = ("issue", "kind", "actor", "changes_col", "note", "created_at")
    fields = readonly_fields

    def get_search_results(self, request, queryset, search_term):
        match = NUMBER_SEARCH.match(search_term.strip())
        if match:
            return queryset.filter(issue__number=int(match.group(1))), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="Kind", ordering="kind")
    def kind_col(self, event: IssueEvent) -> str:
        return _pill(f"k-{event.kind}", event.get_kind_display())

    def get_changelist(self, request, **kwargs):
        return DescribedEventChangeList

    @admin.display(description="Changes")
    def changes_col(self, event: IssueEvent) -> str:
        rows = getattr(event, "rows", None)
        if rows is None:  # the detail page: one event
            rows = describe_events([event])[0].rows  # type: ignore[attr-defined]
        return format_html_join(
            "",
            '<div class="change"><b>{}</b> {} → {}</div>',
            ((row.field, row.old, row.new) for row in rows),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
