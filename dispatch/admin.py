"""Dispatch's part of the console: the staff override that takes a claim back from an agent.

Dispatch owns no model, so its action joins the issue list that ``issues.admin`` registers
(``issues`` may not import ``dispatch``; this module may import ``issues``). The dispatch queue
page itself is a console page (``loop_project/console``).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from dispatch.services import release_claim
from issues.admin import IssueAdmin
from issues.admin.actions import apply_to_each, report
from issues.audit import actor_for_user
from issues.models import Issue
from loop_project.console.admin_utils import redirect_back


@admin.action(description="Release claim (back to todo)", permissions=["change"])
def release_claims(modeladmin: IssueAdmin, request: HttpRequest, queryset: QuerySet[Issue]):
    """Hand claimed issues back to the queue without the agent's token. The agent's next write
    with its old token is refused (409), so nothing it sends later can overwrite the issue."""
    actor = actor_for_user(request.user)
    reason = f"released by {request.user.get_username()} in the console"
    done, failed = apply_to_each(
        queryset.filter(status=Issue.Status.IN_PROGRESS),
        lambda issue: release_claim(issue_id=issue.pk, actor=actor, reason=reason),
    )
    report(modeladmin, request, done, failed, "Released")
    if not done and not failed:
        modeladmin.message_user(request, "None of the selected issues is claimed.")
    return redirect_back(request)


IssueAdmin.actions = [*IssueAdmin.actions, release_claims]
