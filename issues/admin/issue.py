"""The issue list and the issue page: the heart of the console.

The list shows the loop at a glance (status, claim, priority, labels, age, blocked) with filters
and the bulk overrides of ``issues.admin.actions``. The issue page adds the issue's story and
state (``issues.admin.panels``) and three small write views: reply as a human, add and remove a
relation. Every write is a service call with the staff member as the actor.
"""

from __future__ import annotations

import re

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from issues import services
from issues.admin.actions import ISSUE_ACTIONS
from issues.admin.filters import BlockedFilter, ClaimFilter, DeletedFilter, HasParentFilter
from issues.admin.forms import IssueAdminForm, ReplyForm
from issues.admin.panels import issue_panels, safe_color, short_age
from issues.audit import actor_for_user
from issues.models import Comment, Issue, IssueRelation, Label
from loop_project.console.admin_utils import ServiceErrorsAsMessages, pill
from loop_project.errors import LoopError

NUMBER_SEARCH = re.compile(r"^#?(\d+)$")


@admin.register(Issue)
class IssueAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    form = IssueAdminForm
    change_form_template = "admin/issues/issue/change_form.html"
    list_display = (
        "number_col", "title_col", "type_col", "status_col", "priority_col", "project",
        "labels_col", "age_col", "blocked_col",
    )  # fmt: skip
    list_display_links = ("number_col", "title_col")
    list_filter = (
        "status", "type", "priority", "project", "labels", HasParentFilter, BlockedFilter,
        ClaimFilter, DeletedFilter,
    )  # fmt: skip
    list_select_related = ("project",)
    list_per_page = 50
    ordering = ("-number",)
    search_fields = ("title", "description")
    search_help_text = "Search by #number, title or description."
    autocomplete_fields = ("parent", "project")
    actions = ISSUE_ACTIONS  # dispatch/admin.py adds "release claim"
    readonly_fields = (
        "number", "dispatch_rank", "is_blocked", "claimed_by", "claimed_at", "lease_expires_at",
        "dispatch_attempts", "fingerprint", "occurrence_count", "last_seen_at", "completed_at",
        "created_at", "updated_at",
    )  # fmt: skip
    fieldsets = (
        (None, {"fields": (
            "title", "description", ("type", "status", "priority"), ("parent", "project"),
            "edit_labels",
        )}),
        ("Agent work", {"classes": ("collapse",), "fields": (
            "agent_summary", "agent_session_id", "commits", "pull_requests", "hypothesis",
        )}),
        ("Signal", {"classes": ("collapse",), "fields": (
            "signal_source", "signal_payload", "fingerprint", "occurrence_count", "last_seen_at",
        )}),
        ("Dispatch state (maintained by Loop)", {"classes": ("collapse",), "fields": (
            "dispatch_rank", "is_blocked", "claimed_by", "claimed_at", "lease_expires_at",
            "dispatch_attempts", "completed_at", "created_at", "updated_at",
        )}),
    )  # fmt: skip

    # --- queryset and search ---

    def get_queryset(self, request: HttpRequest) -> QuerySet[Issue]:
        deleted_view = request.GET.get(DeletedFilter.parameter_name) == "only"
        base = Issue.all_objects if deleted_view else Issue.objects
        return base.select_related("project").prefetch_related(
            Prefetch("labels", queryset=Label.objects.order_by("name"))
        )

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Issue], search_term: str):
        """ "#12" or "12" finds issue 12 (and any title or description containing the text)."""
        term = search_term.strip()
        match = NUMBER_SEARCH.match(term)
        if match:
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
        return pill(f"t-{issue.type}", issue.get_type_display())

    @admin.display(description="Status", ordering="status")
    def status_col(self, issue: Issue) -> str:
        status = pill(f"s-{issue.status}", issue.get_status_display())
        if issue.status != Issue.Status.IN_PROGRESS or not issue.claimed_by:
            return status
        stale = issue.lease_expires_at is not None and issue.lease_expires_at < timezone.now()
        return format_html(
            '{} <span class="claim{}" title="{}">{}</span>',
            status,
            " stale" if stale else "",
            "lease expired" if stale else "claimed by",
            issue.claimed_by,
        )

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
        return pill("blocked", "blocked") if issue.is_blocked else ""

    # --- writes from the edit form, through the services ---

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
            obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Issue) -> None:
        services.delete_issue(issue_id=obj.pk, actor=actor_for_user(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Issue]) -> None:
        for issue in queryset:
            self.delete_model(request, issue)

    def get_deleted_objects(self, objs, request):
        # A soft delete: nothing cascades, so the confirmation lists only the issues themselves.
        issues = list(objs)
        return [str(issue) for issue in issues], {"issues": len(issues)}, set(), []

    # --- the issue page ---

    def get_urls(self):
        def post_view(view):
            return self.admin_site.admin_view(require_POST(view))

        return [
            path("<path:object_id>/reply/", post_view(self.reply_view), name="issues_issue_reply"),
            path("<path:object_id>/relations/add/", post_view(self.add_relation_view),
                 name="issues_issue_add_relation"),
            path("<path:object_id>/relations/<str:relation_id>/remove/",
                 post_view(self.remove_relation_view), name="issues_issue_remove_relation"),
            *super().get_urls(),
        ]  # fmt: skip

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

    @staticmethod
    def _back_to_issue(issue: Issue, anchor: str) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:issues_issue_change", args=[issue.pk]) + anchor)

    def reply_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Staff answer an agent: a human comment under the staff member's own name."""
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
        """Block, unblock or link from the issue page: "this issue <type> #<number>"."""
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
