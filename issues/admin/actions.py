"""Bulk overrides on the issue list (also the quick buttons of the issue page, which post these
same actions for one issue with ``next`` pointing back to it).

Each selected issue goes through ``issues.services`` in its own transaction, with the staff
member as the actor, so every override lands in the audit trail exactly like an API change; an
issue a service refuses is reported and the others still change.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from issues import services
from issues.admin.forms import AddLabelForm, CancelForm, PriorityForm
from issues.audit import actor_for_user
from issues.models import Comment, Issue
from loop_project.console.admin_utils import redirect_back
from loop_project.errors import LoopError

Failure = tuple[Issue, LoopError]


def apply_to_each(
    queryset: QuerySet[Issue], change: Callable[[Issue], object]
) -> tuple[list[Issue], list[Failure]]:
    """Run ``change(issue)`` for every selected issue, in number order; collect refusals."""
    done: list[Issue] = []
    failed: list[Failure] = []
    for issue in queryset.order_by("number"):
        try:
            change(issue)
        except LoopError as error:
            failed.append((issue, error))
        else:
            done.append(issue)
    return done, failed


def report(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    done: list[Issue],
    failed: list[Failure],
    verb: str,
) -> None:
    """One message for what worked, one per issue that a service refused."""
    if done:
        numbers = ", ".join(f"#{issue.number}" for issue in done[:10])
        more = f" and {len(done) - 10} more" if len(done) > 10 else ""
        modeladmin.message_user(request, f"{verb}: {numbers}{more}.", messages.SUCCESS)
    for issue, error in failed:
        modeladmin.message_user(request, f"#{issue.number}: {error.detail}", messages.ERROR)


def _move(modeladmin, request: HttpRequest, queryset: QuerySet[Issue], status: str):
    actor = actor_for_user(request.user)
    done, failed = apply_to_each(
        queryset.exclude(status=status),
        lambda issue: services.update_issue(
            issue_id=issue.pk, actor=actor, changes={"status": status}
        ),
    )
    report(modeladmin, request, done, failed, f"Moved to {status}")
    if not done and not failed:
        modeladmin.message_user(
            request, f"Every selected issue is already {status}.", messages.INFO
        )
    return redirect_back(request)


@admin.action(description="Move to todo (dispatch them)", permissions=["change"])
def move_to_todo(modeladmin, request: HttpRequest, queryset: QuerySet[Issue]):
    """Also the way to reopen a done or canceled issue."""
    return _move(modeladmin, request, queryset, Issue.Status.TODO)


@admin.action(description="Move to backlog", permissions=["change"])
def move_to_backlog(modeladmin, request: HttpRequest, queryset: QuerySet[Issue]):
    return _move(modeladmin, request, queryset, Issue.Status.BACKLOG)


@admin.action(description="Cancel, with a reason…", permissions=["change"])
def cancel_with_reason(modeladmin, request: HttpRequest, queryset: QuerySet[Issue]):
    form = CancelForm(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        return action_page(
            modeladmin,
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

    @transaction.atomic  # the status change and its explanatory comment land together
    def cancel(issue: Issue) -> None:
        services.update_issue(
            issue_id=issue.pk, actor=actor, changes={"status": Issue.Status.CANCELED}, note=reason
        )
        services.add_comment(
            issue_id=issue.pk,
            body=f"Canceled: {reason}",
            author_name=request.user.get_username(),
            author_type=Comment.AuthorType.HUMAN,
        )

    done, failed = apply_to_each(queryset.exclude(status=Issue.Status.CANCELED), cancel)
    report(modeladmin, request, done, failed, "Canceled")
    return redirect_back(request)


@admin.action(description="Set priority…", permissions=["change"])
def set_priority(modeladmin, request: HttpRequest, queryset: QuerySet[Issue]):
    form = PriorityForm(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        return action_page(
            modeladmin,
            request,
            queryset,
            "set_priority",
            form,
            title="Set priority",
            button="Set priority",
        )
    priority = form.cleaned_data["priority"]
    actor = actor_for_user(request.user)
    done, failed = apply_to_each(
        queryset.exclude(priority=priority),
        lambda issue: services.update_issue(
            issue_id=issue.pk, actor=actor, changes={"priority": priority}
        ),
    )
    report(modeladmin, request, done, failed, f"Priority set to {Issue.Priority(priority).label}")
    return redirect_back(request)


@admin.action(description="Add label…", permissions=["change"])
def add_label(modeladmin, request: HttpRequest, queryset: QuerySet[Issue]):
    form = AddLabelForm(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        return action_page(
            modeladmin,
            request,
            queryset,
            "add_label",
            form,
            title="Add a label",
            button="Add label",
        )
    try:
        label = form.cleaned_data["label"] or services.get_or_create_label(
            name=form.cleaned_data["new_label"].strip()
        )
    except LoopError as error:
        modeladmin.message_user(request, f"Label not created: {error.detail}", messages.ERROR)
        return redirect_back(request)
    actor = actor_for_user(request.user)

    def add(issue: Issue) -> None:
        current = [existing.pk for existing in issue.labels.all()]
        if label.pk not in current:
            services.update_issue(
                issue_id=issue.pk, actor=actor, changes={}, label_ids=[*current, label.pk]
            )

    done, failed = apply_to_each(queryset, add)
    report(modeladmin, request, done, failed, f"Labelled '{label.name}'")
    return redirect_back(request)


@admin.action(description="Restore (undelete)", permissions=["delete"])
def restore(modeladmin, request: HttpRequest, queryset: QuerySet[Issue]):
    actor = actor_for_user(request.user)
    done, failed = apply_to_each(
        queryset.filter(deleted_at__isnull=False),
        lambda issue: services.restore_issue(issue_id=issue.pk, actor=actor),
    )
    report(modeladmin, request, done, failed, "Restored")
    return redirect_back(request)


def action_page(
    modeladmin,
    request: HttpRequest,
    queryset: QuerySet[Issue],
    action: str,
    form: forms.Form,
    *,
    title: str,
    button: str,
    danger: bool = False,
) -> HttpResponse:
    """The intermediate page of an action that needs an answer. It posts back to the same URL
    with the same selection (and ``next``), plus ``apply`` and the answer."""
    return TemplateResponse(request, "admin/console/action_form.html", {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.opts,
        "issues": list(queryset.order_by("number")[:200]),
        "count": queryset.count(),
        "form": form,
        "action": action,
        "button": button,
        "danger": danger,
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "next": request.POST.get("next", ""),
    })  # fmt: skip


ISSUE_ACTIONS = [
    move_to_todo,
    move_to_backlog,
    cancel_with_reason,
    set_priority,
    add_label,
    restore,
]
