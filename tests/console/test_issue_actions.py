"""Bulk overrides on the issue list: each goes through the services, is audited as the staff
member (who, when, from → to), and reports what it refused."""
from __future__ import annotations

from django.contrib.messages import get_messages
from django.urls import reverse

from issues.models import Comment, Issue, IssueEvent, Label
from issues.services import delete_issue
from tests.factories import IssueFactory, LabelFactory

URL = reverse("admin:issues_issue_changelist")


def run_action(client, action: str, issues, **extra):
    data = {"action": action, "_selected_action": [issue.pk for issue in issues], "index": 0, **extra}
    return client.post(URL, data)


def last_event(issue: Issue) -> IssueEvent:
    return IssueEvent.objects.filter(issue=issue).latest("id")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_move_to_todo_is_audited_with_the_staff_member_and_from_to(admin_client, db):
    issues = [IssueFactory(status="backlog"), IssueFactory(status="done")]
    response = run_action(admin_client, "move_to_todo", issues)
    assert response.status_code == 302
    for issue, old in zip(issues, ("backlog", "done")):
        issue.refresh_from_db()
        assert issue.status == "todo"
        event = last_event(issue)
        assert (event.kind, event.actor, event.changes["status"]) == ("updated", "user:alice", [old, "todo"])
    reopened = issues[1]
    assert reopened.completed_at is None  # reopening clears the finish time, like the API
    assert "Moved to todo" in messages_of(response)[0]


def test_move_to_backlog_takes_issues_out_of_the_dispatch_queue(admin_client, db):
    issue = IssueFactory(status="todo")
    run_action(admin_client, "move_to_backlog", [issue])
    issue.refresh_from_db()
    assert issue.status == "backlog"
    assert last_event(issue).changes == {"status": ["todo", "backlog"]}


def test_moving_issues_already_there_changes_and_records_nothing(admin_client, db):
    issue = IssueFactory(status="todo")
    before = IssueEvent.objects.count()
    response = run_action(admin_client, "move_to_todo", [issue])
    assert IssueEvent.objects.count() == before
    assert "already todo" in messages_of(response)[0]


def test_cancel_first_asks_for_a_reason(admin_client, db):
    issue = IssueFactory()
    response = run_action(admin_client, "cancel_with_reason", [issue])
    assert response.status_code == 200
    assert b'name="reason"' in response.content
    issue.refresh_from_db()
    assert issue.status == "todo"


def test_cancel_without_a_reason_is_refused_and_changes_nothing(admin_client, db):
    issue = IssueFactory()
    response = run_action(admin_client, "cancel_with_reason", [issue], apply="1", reason="  ")
    assert response.status_code == 200
    assert b"This field is required" in response.content
    issue.refresh_from_db()
    assert issue.status == "todo"


def test_cancel_with_a_reason_records_it_and_tells_the_agents(admin_client, db):
    issues = [IssueFactory(), IssueFactory(status="triage")]
    response = run_action(admin_client, "cancel_with_reason", issues, apply="1", reason="Duplicate of #1")
    assert response.status_code == 302
    for issue in issues:
        issue.refresh_from_db()
        assert issue.status == "canceled" and issue.completed_at is not None
        event = last_event(issue)
        assert event.actor == "user:alice" and event.note == "Duplicate of #1"
        assert event.changes["status"][1] == "canceled"
        comment = Comment.objects.get(issue=issue)
        assert (comment.author_type, comment.author_name) == ("human", "alice")
        assert "Duplicate of #1" in comment.body


def test_set_priority_asks_then_applies_and_audits(admin_client, db):
    issue = IssueFactory(priority=3)
    assert b'name="priority"' in run_action(admin_client, "set_priority", [issue]).content
    rank_before = issue.dispatch_rank
    run_action(admin_client, "set_priority", [issue], apply="1", priority="1")
    issue.refresh_from_db()
    assert issue.priority == 1
    assert issue.dispatch_rank < rank_before  # urgent moves it up the queue
    assert last_event(issue).changes == {"priority": [3, 1]}


def test_set_priority_refuses_an_unknown_priority(admin_client, db):
    issue = IssueFactory(priority=3)
    response = run_action(admin_client, "set_priority", [issue], apply="1", priority="9")
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    issue.refresh_from_db()
    assert issue.priority == 3


def test_add_label_keeps_existing_labels_and_audits_the_change(admin_client, db):
    kept, added = LabelFactory(name="kept"), LabelFactory(name="added")
    issue = IssueFactory(labels=[kept])
    run_action(admin_client, "add_label", [issue], apply="1", label=added.pk)
    assert set(issue.labels.values_list("name", flat=True)) == {"kept", "added"}
    event = last_event(issue)
    assert event.actor == "user:alice"
    assert sorted(event.changes["labels"][1]) == sorted([kept.pk, added.pk])


def test_add_label_can_create_the_label(admin_client, db):
    issue = IssueFactory()
    run_action(admin_client, "add_label", [issue], apply="1", new_label="needs-design")
    assert list(issue.labels.values_list("name", flat=True)) == ["needs-design"]
    assert Label.objects.filter(name="needs-design").count() == 1


def test_release_claim_hands_the_issue_back_and_invalidates_the_agents_token(admin_client, loop):
    claimed = loop.claimed
    old_token = claimed.claim_token
    response = run_action(admin_client, "release_claims", [claimed, loop.blocked])
    assert response.status_code == 302
    claimed.refresh_from_db()
    assert claimed.status == "todo" and claimed.claim_token is None and claimed.lease_expires_at is None
    event = last_event(claimed)
    assert (event.kind, event.actor) == ("released", "user:alice")
    assert event.changes == {"status": ["in_progress", "todo"]}
    assert old_token
    # Only claimed issues are touched: the todo issue in the selection is left alone.
    assert not IssueEvent.objects.filter(issue=loop.blocked, kind="released").exists()


def test_restore_brings_a_deleted_issue_back(admin_client, db):
    issue = IssueFactory()
    delete_issue(issue_id=issue.pk, actor="system")
    response = admin_client.post(f"{URL}?deleted=only", {
        "action": "restore", "_selected_action": [issue.pk], "index": 0,
    })  # fmt: skip
    assert response.status_code == 302
    assert Issue.objects.filter(pk=issue.pk).exists()
    assert last_event(Issue.objects.get(pk=issue.pk)).actor == "user:alice"


def test_delete_is_a_soft_delete_through_the_service(admin_client, db):
    issue = IssueFactory()
    response = admin_client.post(reverse("admin:issues_issue_delete", args=[issue.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Issue.objects.filter(pk=issue.pk).exists()
    gone = Issue.all_objects.get(pk=issue.pk)
    assert gone.deleted_at is not None
    assert last_event(gone).kind == "deleted" and last_event(gone).actor == "user:alice"


def test_an_action_posted_from_another_page_returns_there(admin_client, db):
    issue = IssueFactory(status="backlog")
    page = reverse("admin:issues_issue_change", args=[issue.pk])
    response = run_action(admin_client, "move_to_todo", [issue], next=page)
    assert response["Location"] == page


def test_next_pointing_off_site_is_ignored(admin_client, db):
    issue = IssueFactory(status="backlog")
    response = run_action(admin_client, "move_to_todo", [issue], next="https://evil.example/")
    assert response["Location"] != "https://evil.example/"
    assert response["Location"].startswith(URL)


def test_view_only_staff_cannot_run_actions(viewer_client, db):
    issue = IssueFactory(status="backlog")
    response = run_action(viewer_client, "move_to_todo", [issue])
    issue.refresh_from_db()
    assert issue.status == "backlog"
    assert response.status_code == 200  # the action is not offered to them: the list is shown again
    assert not IssueEvent.objects.filter(issue=issue, actor__startswith="user:").exists()


def test_actions_require_the_csrf_token(alice, db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    issue = IssueFactory(status="backlog")
    response = run_action(client, "move_to_todo", [issue])
    assert response.status_code == 403
    issue.refresh_from_db()
    assert issue.status == "backlog"
