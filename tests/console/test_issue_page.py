"""The issue page: everything about one issue, and the overrides made from it (edit, reply,
relations), each through a service and audited."""
from __future__ import annotations

import json

from django.urls import reverse

from issues import services
from issues.models import Comment, Issue, IssueEvent, IssueRelation
from tests.factories import CommentFactory, IssueFactory, LabelFactory, ProjectFactory

PAGE_QUERY_BOUND = 20


def page_url(issue: Issue) -> str:
    return reverse("admin:issues_issue_change", args=[issue.pk])


def edit_data(issue: Issue, **changes) -> dict:
    """The edit form as the browser would post it, with ``changes`` applied."""
    data = {
        "title": issue.title, "description": issue.description or "", "type": issue.type,
        "status": issue.status, "priority": issue.priority, "parent": issue.parent_id or "",
        "project": issue.project_id or "", "edit_labels": [label.pk for label in issue.labels.all()],
        "signal_source": issue.signal_source or "", "signal_payload": json.dumps(issue.signal_payload),
        "hypothesis": json.dumps(issue.hypothesis), "agent_session_id": issue.agent_session_id or "",
        "agent_summary": issue.agent_summary or "", "commits": json.dumps(issue.commits),
        "pull_requests": json.dumps(issue.pull_requests), "_save": "Save",
    }  # fmt: skip
    data.update(changes)
    return data


def test_the_page_shows_payload_hypothesis_summary_links_children_and_relations(admin_client, db):
    parent = IssueFactory(
        title="Checkout errors", type="signal", signal_source="sentry",
        signal_payload={"message": "TypeError", "tags": {"os": "iOS 17"}},
        agent_summary="Root cause: a missing null check.",
        commits=[{"sha": "abc1234def", "message": "fix: null check", "url": "https://github.com/o/r/commit/abc1234def"},
                 {"sha": "bad0000", "message": "sneaky", "url": "javascript:alert(1)"}],
        pull_requests=[{"number": 42, "title": "Fix checkout", "state": "merged", "url": "https://github.com/o/r/pull/42"}],
        hypothesis={"statement": "Null totals crash the summary", "confidence": 0.75,
                    "evidence": ["Only carts without totals"], "validationCriteria": "No TypeError for 7 days"},
    )  # fmt: skip
    child = IssueFactory(title="Add the null check", parent=parent)
    blocker = IssueFactory(title="Upgrade the SDK")
    waiter = IssueFactory(title="Roll out")
    services.add_relation(issue_id=parent.pk, related_issue_id=blocker.pk, type="blocked_by", actor="system")
    services.add_relation(issue_id=waiter.pk, related_issue_id=parent.pk, type="blocked_by", actor="system")

    html = admin_client.get(page_url(parent)).content.decode()

    assert "&quot;message&quot;: &quot;TypeError&quot;" in html  # pretty-printed JSON, escaped
    assert '"os": "iOS 17"'.replace('"', "&quot;") in html
    assert "Null totals crash the summary" in html and "75% confident" in html
    assert "Root cause: a missing null check." in html
    assert 'href="https://github.com/o/r/commit/abc1234def"' in html
    assert 'href="https://github.com/o/r/pull/42"' in html
    assert 'href="javascript:' not in html  # an agent's link is only clickable when it is http(s)
    assert f"#{child.number}</a>" in html and "Add the null check" in html
    assert "blocked by" in html and f"#{blocker.number}</a>" in html  # outgoing
    assert "blocks" in html and f"#{waiter.number}</a>" in html  # incoming, read from this side


def test_the_page_shows_comments_claim_state_score_and_history(admin_client, loop):
    issue = loop.claimed
    CommentFactory(issue=issue, body="Which cache TTL?", author_name="worker-a")
    html = admin_client.get(page_url(issue)).content.decode()
    assert "Which cache TTL?" in html and "worker-a" in html
    assert "Held by" in html and "expires in" in html
    assert "priority +" in html  # the score breakdown
    assert 'class="pill k-claimed"' in html  # the claim in the history
    assert "status</b> todo" in html and "in_progress" in html


def test_the_page_stays_within_its_query_bound(admin_client, loop, django_assert_max_num_queries):
    issue = loop.issues[5]  # a parent with children, comments and relations
    for n in range(10):
        CommentFactory(issue=issue, body=f"comment {n}")
        services.update_issue(issue_id=issue.pk, actor="system", changes={"priority": n % 4 + 1})
    with django_assert_max_num_queries(PAGE_QUERY_BOUND):
        assert admin_client.get(page_url(issue)).status_code == 200


def test_editing_goes_through_the_service_and_is_audited(admin_client, db):
    issue = IssueFactory(title="Old title", priority=3)
    label = LabelFactory(name="ux")
    response = admin_client.post(page_url(issue), edit_data(issue, title="New title", priority=1, edit_labels=[label.pk]))
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.title == "New title" and issue.priority == 1
    assert list(issue.labels.values_list("name", flat=True)) == ["ux"]
    event = IssueEvent.objects.filter(issue=issue).latest("id")
    assert event.actor == "user:alice"
    assert event.changes["title"] == ["Old title", "New title"]
    assert event.changes["priority"] == [3, 1]
    assert event.changes["labels"] == [[], [label.pk]]


def test_an_unchanged_save_records_nothing(admin_client, db):
    issue = IssueFactory()
    before = IssueEvent.objects.count()
    assert admin_client.post(page_url(issue), edit_data(issue)).status_code == 302
    assert IssueEvent.objects.count() == before


def test_a_nested_parent_is_refused_on_the_form(admin_client, db):
    grandparent = IssueFactory()
    parent = IssueFactory(parent=grandparent)
    issue = IssueFactory()
    response = admin_client.post(page_url(issue), edit_data(issue, parent=parent.pk))
    assert response.status_code == 200
    assert b"only one level of nesting" in response.content
    issue.refresh_from_db()
    assert issue.parent_id is None


def test_adding_an_issue_goes_through_the_service(admin_client, db):
    project = ProjectFactory()
    response = admin_client.post(reverse("admin:issues_issue_add"), {
        "title": "Made by hand", "type": "task", "status": "todo", "priority": 2, "project": project.pk,
        "signal_payload": "null", "hypothesis": "null", "commits": "null", "pull_requests": "null",
        "_save": "Save",
    })  # fmt: skip
    assert response.status_code == 302
    issue = Issue.objects.get(title="Made by hand")
    assert issue.number >= 1 and issue.dispatch_rank != 0
    event = IssueEvent.objects.get(issue=issue)
    assert (event.kind, event.actor) == ("created", "user:alice")


def test_staff_reply_as_humans_under_their_own_name(admin_client, db):
    issue = IssueFactory()
    question = CommentFactory(issue=issue, body="24h or 1h?")
    response = admin_client.post(reverse("admin:issues_issue_reply", args=[issue.pk]),
                                 {"body": "1h, please.", "parent_id": question.pk})
    assert response.status_code == 302 and response["Location"].endswith("#comments")
    reply = Comment.objects.get(body="1h, please.")
    assert (reply.author_type, reply.author_name, reply.parent_id) == ("human", "alice", question.pk)


def test_an_empty_reply_posts_nothing(admin_client, db):
    issue = IssueFactory()
    admin_client.post(reverse("admin:issues_issue_reply", args=[issue.pk]), {"body": ""})
    assert not Comment.objects.exists()


def test_reply_is_post_only_and_needs_the_permission(viewer_client, admin_client, db):
    issue = IssueFactory()
    url = reverse("admin:issues_issue_reply", args=[issue.pk])
    assert admin_client.get(url).status_code == 405
    assert viewer_client.post(url, {"body": "hi"}).status_code == 403
    assert not Comment.objects.exists()


def test_blocking_from_the_issue_page_is_audited_and_takes_it_out_of_the_queue(admin_client, db):
    issue, blocker = IssueFactory(), IssueFactory()
    response = admin_client.post(reverse("admin:issues_issue_add_relation", args=[issue.pk]),
                                 {"type": "blocked_by", "other": f"#{blocker.number}"})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.is_blocked
    event = IssueEvent.objects.filter(issue=issue, kind="relation_added").get()
    assert event.actor == "user:alice"

    relation = IssueRelation.objects.get(issue=issue)
    admin_client.post(reverse("admin:issues_issue_remove_relation", args=[issue.pk, relation.pk]))
    issue.refresh_from_db()
    assert not issue.is_blocked
    assert IssueEvent.objects.filter(issue=issue, kind="relation_removed", actor="user:alice").exists()


def test_a_blocking_cycle_is_refused_with_a_message(admin_client, db):
    first, second = IssueFactory(), IssueFactory()
    services.add_relation(issue_id=first.pk, related_issue_id=second.pk, type="blocked_by", actor="system")
    response = admin_client.post(reverse("admin:issues_issue_add_relation", args=[second.pk]),
                                 {"type": "blocked_by", "other": str(first.number)}, follow=True)
    assert response.status_code == 200
    assert b"cycle" in response.content
    assert IssueRelation.objects.count() == 1


def test_a_relation_to_an_unknown_number_is_refused(admin_client, db):
    issue = IssueFactory()
    response = admin_client.post(reverse("admin:issues_issue_add_relation", args=[issue.pk]),
                                 {"type": "related", "other": "#999"}, follow=True)
    assert b"No live issue with that number" in response.content
    assert not IssueRelation.objects.exists()


def test_view_only_staff_see_the_page_without_override_buttons(viewer_client, loop):
    html = viewer_client.get(page_url(loop.claimed)).content.decode()
    assert "Held by" in html
    assert 'data-action="release_claims"' not in html
    assert "relations/add" not in html
