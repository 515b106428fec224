"""Relations, comments and the audit trail in the console. Relations and comments are facts of
the conversation: they are added and removed through ``issues.services``, never edited; the
audit trail is read-only."""

from __future__ import annotations

import re

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from issues import services
from issues.admin.forms import CommentAdminForm
from issues.admin.panels import describe_events
from issues.audit import actor_for_user
from issues.models import Comment, IssueEvent, IssueRelation
from loop_project.console.admin_utils import ServiceErrorsAsMessages, pill

NUMBER_SEARCH = re.compile(r"^#?(\d+)$")


class SearchByIssueNumber:
    """ "#12" or "12" in the search box finds the rows of issue 12; other text searches as usual."""

    issue_number_fields: tuple[str, ...] = ("issue__number",)

    def get_search_results(self, request, queryset, search_term):
        match = NUMBER_SEARCH.match(search_term.strip())
        if match:
            number = int(match.group(1))
            found = queryset.none()
            for field in self.issue_number_fields:
                found = found | queryset.filter(**{field: number})
            return found, False
        return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]


@admin.register(IssueRelation)
class IssueRelationAdmin(SearchByIssueNumber, ServiceErrorsAsMessages, admin.ModelAdmin):
    list_display = ("issue", "type", "related_issue", "created_at")
    list_filter = ("type",)
    search_fields = ("issue__title", "related_issue__title")
    issue_number_fields = ("issue__number", "related_issue__number")
    autocomplete_fields = ("issue", "related_issue")
    list_select_related = ("issue", "related_issue")
    fields = ("issue", "type", "related_issue")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # remove the relation and add another instead

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


@admin.register(Comment)
class CommentAdmin(SearchByIssueNumber, ServiceErrorsAsMessages, admin.ModelAdmin):
    form = CommentAdminForm
    list_display = ("issue", "author_col", "excerpt", "created_at")
    list_filter = ("author_type",)
    search_fields = ("body", "author_name")
    autocomplete_fields = ("issue",)
    raw_id_fields = ("parent",)
    list_select_related = ("issue",)

    @admin.display(description="Author", ordering="author_name")
    def author_col(self, comment: Comment) -> str:
        return format_html(
            "{} {}", comment.author_name, pill(f"a-{comment.author_type}", comment.author_type)
        )

    @admin.display(description="Comment")
    def excerpt(self, comment: Comment) -> str:
        return comment.body if len(comment.body) <= 120 else comment.body[:119] + "…"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a conversation record: answer with a new comment instead

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


class DescribedEventChangeList(ChangeList):
    """Names the labels, parents and projects of a whole page of events in a few queries."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = describe_events(list(self.result_list))


@admin.register(IssueEvent)
class IssueEventAdmin(SearchByIssueNumber, admin.ModelAdmin):
    """The audit trail: who changed what, when, from what to what. Read-only."""

    list_display = ("created_at", "issue", "kind_col", "actor", "changes_col", "note")
    list_filter = ("kind", "created_at")
    search_fields = ("actor", "note")
    list_select_related = ("issue",)
    date_hierarchy = "created_at"
    fields = ("issue", "kind", "actor", "changes_col", "note", "created_at")
    readonly_fields = fields

    def get_changelist(self, request: HttpRequest, **kwargs):
        return DescribedEventChangeList

    @admin.display(description="Kind", ordering="kind")
    def kind_col(self, event: IssueEvent) -> str:
        return pill(f"k-{event.kind}", event.get_kind_display())

    @admin.display(description="Changes")
    def changes_col(self, event: IssueEvent) -> str:
        rows = getattr(event, "rows", None)
        if rows is None:  # the detail page: one event
            rows = describe_events([event])[0].rows  # type: ignore[attr-defined]
        return format_html_join(
            "",
            '<div class="change"><b>{}</b> {} → {}</div>',
            ((r.field, r.old, r.new) for r in rows),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
