"""GET/POST /api/issues and GET/PATCH/DELETE /api/issues/{id}."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from issues import services
from issues.models import Issue, IssueEvent, IssueLabel
from tests.factories import (
    CommentFactory,
    IssueFactory,
    LabelFactory,
    ProjectFactory,
    SignalFactory,
)
from tests.issues.conftest import AUTH_QUERIES

pytestmark = pytest.mark.django_db

ISSUE_KEYS = {
    "id", "number", "title", "description", "type", "status", "priority", "parentId", "projectId",
    "signalSource", "signalPayload", "hypothesis", "agentSessionId", "agentSummary", "commits",
    "pullRequests", "completedAt", "createdAt", "updatedAt", "deletedAt",
}
HYPOTHESIS = {
    "statement": "Caching the token cuts login latency",
    "confidence": 0.7,
    "evidence": ["p95 login 2s", "token fetched per request"],
    "validationCriteria": "p95 below 500ms for a week",
    "prediction": "p95 ~300ms",
}


def _field_errors(response) -> dict:
    return response.json()["details"]["fieldErrors"]


# --- list ------------------------------------------------------------------------------------


def test_list_returns_envelope_oldest_first(api_client):
    first, second = IssueFactory(), IssueFactory()
    response = api_client.get("/api/issues")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2
    assert [row["id"] for row in body["data"]] == [first.pk, second.pk]
    assert set(body["data"][0]) == ISSUE_KEYS


def test_list_requires_an_api_key(anon_client):
    response = anon_client.get("/api/issues")
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized", "details": {"fieldErrors": {}}}


def test_list_needs_read_scope(dispatch_only_client):
    assert dispatch_only_client.get("/api/issues").status_code == 403


def test_list_pages_with_limit_and_offset(api_client):
    issues = [IssueFactory() for _ in range(5)]
    body = api_client.get("/api/issues?limit=2&offset=1").json()
    assert body["total"] == 5
    assert [row["id"] for row in body["data"]] == [issues[1].pk, issues[2].pk]
    beyond = api_client.get("/api/issues?offset=10").json()
    assert beyond == {"data": [], "total": 5}


def test_list_order_is_stable_when_created_at_ties(api_client):
    issues = [IssueFactory() for _ in range(4)]
    Issue.objects.update(created_at=issues[0].created_at)
    pages = [api_client.get(f"/api/issues?limit=1&offset={n}").json()["data"][0]["id"] for n in range(4)]
    assert pages == [issue.pk for issue in issues]


def test_list_limit_defaults_to_50(api_client):
    for _ in range(51):
        IssueFactory()
    body = api_client.get("/api/issues").json()
    assert len(body["data"]) == 50 and body["total"] == 51


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=abc", "offset=-1", "offset=x"])
def test_list_rejects_bad_paging(api_client, query):
    response = api_client.get(f"/api/issues?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in _field_errors(response)


def test_list_hides_soft_deleted(api_client):
    kept, gone = IssueFactory(), IssueFactory()
    services.delete_issue(issue_id=gone.pk, actor="test")
    body = api_client.get("/api/issues").json()
    assert [row["id"] for row in body["data"]] == [kept.pk] and body["total"] == 1


def test_filter_status_takes_a_comma_separated_list(api_client):
    todo = IssueFactory(status="todo")
    doing = IssueFactory(status="in_progress")
    IssueFactory(status="done")
    body = api_client.get("/api/issues?status=todo,in_progress").json()
    assert {row["id"] for row in body["data"]} == {todo.pk, doing.pk} and body["total"] == 2


def test_filter_type_takes_a_comma_separated_list(api_client):
    signal = IssueFactory(type="signal")
    plan = IssueFactory(type="plan")
    IssueFactory(type="task")
    body = api_client.get("/api/issues?type=signal,plan").json()
    assert {row["id"] for row in body["data"]} == {signal.pk, plan.pk}


@pytest.mark.parametrize("query, field", [("status=todo,nope", "status"), ("type=bug", "type"),
                                          ("priority=5", "priority"), ("priority=x", "priority"),
                                          ("priority=1.5", "priority")])
def test_filter_rejects_unknown_values(api_client, query, field):
    response = api_client.get(f"/api/issues?{query}")
    assert response.status_code == 400
    assert field in _field_errors(response)


def test_filter_by_project_label_priority_and_parent(api_client):
    project = ProjectFactory()
    label = LabelFactory()
    parent = IssueFactory()
    in_project = IssueFactory(project=project)
    labelled = IssueFactory(labels=[label])
    urgent = IssueFactory(priority=1)
    child = IssueFactory(parent=parent)

    def ids(query):
        return [row["id"] for row in api_client.get(f"/api/issues?{query}").json()["data"]]

    assert ids(f"projectId={project.pk}") == [in_project.pk]
    assert ids(f"labelId={label.pk}") == [labelled.pk]
    assert ids("priority=1") == [urgent.pk]
    assert ids(f"parentId={parent.pk}") == [child.pk]
    assert ids("projectId=unknown") == []
    body = api_client.get(f"/api/issues?labelId={label.pk}").json()
    assert body["total"] == 1


def test_filters_combine(api_client):
    project = ProjectFactory()
    match = IssueFactory(project=project, status="todo", type="task")
    IssueFactory(project=project, status="done", type="task")
    IssueFactory(status="todo", type="task")
    body = api_client.get(f"/api/issues?projectId={project.pk}&status=todo&type=task").json()
    assert [row["id"] for row in body["data"]] == [match.pk]


def test_empty_filter_values_are_ignored(api_client):
    IssueFactory()
    assert api_client.get("/api/issues?status=&type=&projectId=").json()["total"] == 1


def test_list_query_count_does_not_grow_with_rows(api_client, django_assert_max_num_queries):
    label = LabelFactory()
    for _ in range(3):
        IssueFactory(labels=[label], project=ProjectFactory())
    api_client.get("/api/issues")  # the key's first use records last_used_at
    with django_assert_max_num_queries(2 + AUTH_QUERIES):
        small = api_client.get(f"/api/issues?labelId={label.pk}&status=todo")
    for _ in range(20):
        IssueFactory(labels=[label], project=ProjectFactory())
    with CaptureQueriesContext(connection) as few:
        api_client.get("/api/issues")
    for _ in range(20):
        IssueFactory()
    with CaptureQueriesContext(connection) as many:
        api_client.get("/api/issues")
    assert small.status_code == 200 and len(few) == len(many) <= 2 + AUTH_QUERIES


# --- create ----------------------------------------------------------------------------------


def test_create_with_defaults(api_client):
    response = api_client.post("/api/issues", {"title": "Fix login", "type": "task"})
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == ISSUE_KEYS
    assert (data["status"], data["priority"], data["completedAt"]) == ("triage", 0, None)
    issue = Issue.objects.get(pk=data["id"])
    assert issue.title == "Fix login" and issue.number == data["number"]
    assert IssueEvent.objects.filter(issue=issue, kind="created", actor="agent:agent-1").exists()


def test_create_accepts_every_upstream_field_and_the_agent_fields(api_client):
    project, parent, label = ProjectFactory(), IssueFactory(), LabelFactory()
    body = {
        "title": "Investigate",
        "description": "details",
        "type": "hypothesis",
        "status": "todo",
        "priority": 2,
        "parentId": parent.pk,
        "projectId": project.pk,
        "signalSource": "posthog",
        "signalPayload": {"event": "error_rate", "value": 0.22, "nested": {"a": [1, None]}},
        "hypothesis": HYPOTHESIS,
        "labelIds": [label.pk],
        "agentSummary": "done it",
        "agentSessionId": "sess-1",
        "commits": [{"sha": "abc", "message": "fix", "url": "https://x/c/abc"}],
        "pullRequests": [{"number": 42, "title": "fix", "state": "merged", "mergedAt": None}],
        "somethingUnknown": "ignored, as upstream",
    }
    response = api_client.post("/api/issues", body)
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    for key in ("title", "description", "type", "status", "priority", "parentId", "projectId",
                "signalSource", "signalPayload", "hypothesis", "agentSummary", "agentSessionId",
                "commits", "pullRequests"):
        assert data[key] == body[key], key
    assert "somethingUnknown" not in data
    assert list(IssueLabel.objects.filter(issue_id=data["id"]).values_list("label_id", flat=True)) == [label.pk]


def test_create_done_sets_completed_at(api_client):
    data = api_client.post("/api/issues", {"title": "x", "type": "task", "status": "done"}).json()["data"]
    assert data["completedAt"] is not None


def test_create_requires_auth_and_write_scope(anon_client, read_client):
    body = {"title": "x", "type": "task"}
    assert anon_client.post("/api/issues", body).status_code == 401
    assert read_client.post("/api/issues", body).status_code == 403
    assert Issue.objects.count() == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"type": "task"}, "title"),
        ({"title": "x"}, "type"),
        ({"title": "", "type": "task"}, "title"),
        ({"title": "   ", "type": "task"}, "title"),
        ({"title": "x" * 501, "type": "task"}, "title"),
        ({"title": 12, "type": "task"}, "title"),
        ({"title": "x", "type": "bug"}, "type"),
        ({"title": "x", "type": "task", "status": "open"}, "status"),
        ({"title": "x", "type": "task", "priority": 5}, "priority"),
        ({"title": "x", "type": "task", "priority": -1}, "priority"),
        ({"title": "x", "type": "task", "priority": "2"}, "priority"),
        ({"title": "x", "type": "task", "priority": True}, "priority"),
        ({"title": "x", "type": "task", "priority": 1.5}, "priority"),
        ({"title": "x", "type": "task", "description": ["a"]}, "description"),
        ({"title": "x", "type": "task", "signalPayload": [1, 2]}, "signalPayload"),
        ({"title": "x", "type": "task", "signalPayload": "text"}, "signalPayload"),
        ({"title": "x", "type": "task", "signalSource": "s" * 101}, "signalSource"),
        ({"title": "x", "type": "task", "labelIds": "abc"}, "labelIds"),
        ({"title": "x", "type": "task", "labelIds": [1]}, "labelIds.0"),
        ({"title": "x", "type": "task", "parentId": 7}, "parentId"),
        ({"title": "x", "type": "task", "hypothesis": "likely"}, "hypothesis"),
        ({"title": "x", "type": "task", "hypothesis": {**HYPOTHESIS, "confidence": 1.5}},
         "hypothesis.confidence"),
        ({"title": "x", "type": "task", "hypothesis": {**HYPOTHESIS, "confidence": "high"}},
         "hypothesis.confidence"),
        ({"title": "x", "type": "task", "hypothesis": {"statement": "s", "confidence": 0.5}},
         "hypothesis.evidence"),
        ({"title": "x", "type": "task", "hypothesis": {**HYPOTHESIS, "evidence": [1]}},
         "hypothesis.evidence.0"),
        ({"title": "x", "type": "task", "commits": [{"sha": "a"}]}, "commits.0.message"),
        ({"title": "x", "type": "task", "commits": {"sha": "a"}}, "commits"),
        ({"title": "x", "type": "task", "pullRequests": [{"number": "4", "title": "t"}]},
         "pullRequests.0.number"),
    ],
)
def test_create_rejects_schema_misfits_with_400_naming_the_field(api_client, body, field):
    response = api_client.post("/api/issues", body)
    assert response.status_code == 400, response.json()
    assert field in _field_errors(response), _field_errors(response)
    assert response.json()["error"]
    assert Issue.objects.count() == 0


def test_create_hypothesis_without_prediction_is_fine(api_client):
    hypothesis = {key: value for key, value in HYPOTHESIS.items() if key != "prediction"}
    response = api_client.post("/api/issues", {"title": "h", "type": "hypothesis", "hypothesis": hypothesis})
    assert response.status_code == 201
    assert response.json()["data"]["hypothesis"] == hypothesis


@pytest.mark.parametrize(
    "extra, field, message",
    [
        ({"parentId": "missing"}, "parentId", "Parent issue not found"),
        ({"projectId": "missing"}, "projectId", "Project not found"),
        ({"labelIds": ["missing"]}, "labelIds", "Label not found"),
    ],
)
def test_create_with_unknown_references_is_422(api_client, extra, field, message):
    response = api_client.post("/api/issues", {"title": "x", "type": "task", **extra})
    assert response.status_code == 422
    assert message in response.json()["error"]
    assert field in _field_errors(response)
    assert Issue.objects.count() == 0


def test_create_under_a_child_is_422_and_writes_nothing(api_client):
    parent = IssueFactory()
    child = IssueFactory(parent=parent)
    label = LabelFactory()
    response = api_client.post(
        "/api/issues", {"title": "x", "type": "task", "parentId": child.pk, "labelIds": [label.pk]}
    )
    assert response.status_code == 422
    assert "parentId" in _field_errors(response)
    assert Issue.objects.count() == 2 and IssueLabel.objects.count() == 0


def test_create_under_a_deleted_parent_is_422(api_client):
    parent = IssueFactory()
    services.delete_issue(issue_id=parent.pk, actor="t")
    response = api_client.post("/api/issues", {"title": "x", "type": "task", "parentId": parent.pk})
    assert response.status_code == 422


# --- get -------------------------------------------------------------------------------------


def test_get_returns_the_issue_with_its_context(api_client):
    parent = IssueFactory(title="parent")
    label = LabelFactory(name="backend")
    issue = IssueFactory(parent=parent, labels=[label])
    other = IssueFactory()
    blocker = IssueFactory()
    outgoing = services.add_relation(issue_id=issue.pk, related_issue_id=other.pk, type="related", actor="t")
    incoming = services.add_relation(issue_id=blocker.pk, related_issue_id=issue.pk, type="blocks", actor="t")
    top = CommentFactory(issue=issue, body="first")
    reply = CommentFactory(issue=issue, body="reply", parent=top)
    signal = SignalFactory(issue=issue, source="sentry")

    response = api_client.get(f"/api/issues/{issue.pk}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert ISSUE_KEYS | {"parent", "children", "labels", "relations"} <= set(data)
    assert data["parent"]["id"] == parent.pk and data["parent"]["title"] == "parent"
    assert set(data["parent"]) == ISSUE_KEYS
    assert data["children"] == []
    assert [(lab["id"], lab["name"]) for lab in data["labels"]] == [(label.pk, "backend")]
    assert set(data["labels"][0]) == {"id", "name", "color", "createdAt", "deletedAt"}
    assert [rel["id"] for rel in data["relations"]] == [outgoing.pk]
    assert data["relations"][0] == {
        "id": outgoing.pk, "type": "related", "issueId": issue.pk, "relatedIssueId": other.pk,
        "createdAt": data["relations"][0]["createdAt"],
    }
    assert [rel["id"] for rel in data["inverseRelations"]] == [incoming.pk]
    assert [c["id"] for c in data["comments"]] == [top.pk]
    assert [r["id"] for r in data["comments"][0]["replies"]] == [reply.pk]
    assert data["signal"]["id"] == signal.pk and data["signal"]["source"] == "sentry"
    assert data["signal"]["issueId"] == issue.pk


def test_get_parent_lists_live_children_only(api_client):
    parent = IssueFactory()
    kept, gone = IssueFactory(parent=parent), IssueFactory(parent=parent)
    services.delete_issue(issue_id=gone.pk, actor="t")
    data = api_client.get(f"/api/issues/{parent.pk}").json()["data"]
    assert [child["id"] for child in data["children"]] == [kept.pk]
    assert data["parent"] is None and data["signal"] is None and data["comments"] == []


def test_get_hides_deleted_parent_and_labels_and_relations_to_deleted_issues(api_client):
    parent, label, other = IssueFactory(), LabelFactory(), IssueFactory()
    issue = IssueFactory(parent=parent, labels=[label])
    services.add_relation(issue_id=issue.pk, related_issue_id=other.pk, type="related", actor="t")
    services.delete_issue(issue_id=parent.pk, actor="t")
    services.delete_issue(issue_id=other.pk, actor="t")
    services.delete_label(label_id=label.pk)
    data = api_client.get(f"/api/issues/{issue.pk}").json()["data"]
    assert data["parent"] is None and data["labels"] == [] and data["relations"] == []
    assert data["parentId"] == parent.pk  # the column itself is unchanged


def test_get_unknown_or_deleted_issue_is_404(api_client):
    issue = IssueFactory()
    services.delete_issue(issue_id=issue.pk, actor="t")
    for issue_id in ("nope", issue.pk, "x" * 300):
        response = api_client.get(f"/api/issues/{issue_id}")
        assert response.status_code == 404
        assert response.json()["error"] == "Issue not found"


def test_get_requires_auth(anon_client):
    issue = IssueFactory()
    assert anon_client.get(f"/api/issues/{issue.pk}").status_code == 401


def test_get_detail_query_count_is_fixed(api_client, django_assert_max_num_queries):
    parent = IssueFactory()
    issue = IssueFactory(parent=parent, labels=[LabelFactory(), LabelFactory()])
    for _ in range(3):
        other = IssueFactory()
        services.add_relation(issue_id=issue.pk, related_issue_id=other.pk, type="related", actor="t")
        services.add_relation(issue_id=other.pk, related_issue_id=issue.pk, type="related", actor="t")
        top = CommentFactory(issue=issue)
        CommentFactory(issue=issue, parent=top)
    SignalFactory(issue=issue)
    api_client.get(f"/api/issues/{parent.pk}")
    # issue+parent, children, labels, relations, inverse relations, comments, signal
    with django_assert_max_num_queries(7 + AUTH_QUERIES):
        response = api_client.get(f"/api/issues/{issue.pk}")
    assert len(response.json()["data"]["relations"]) == 3


# --- patch -----------------------------------------------------------------------------------


def test_patch_updates_fields_and_records_the_change(api_client):
    issue = IssueFactory(title="old")
    response = api_client.patch(f"/api/issues/{issue.pk}", {"title": "new", "priority": 1})
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["title"], data["priority"]) == ("new", 1)
    assert set(data) == ISSUE_KEYS
    event = IssueEvent.objects.filter(issue=issue, kind="updated").get()
    assert event.changes["title"] == ["old", "new"] and event.actor == "agent:agent-1"


def test_patch_status_keeps_completed_at_right(api_client):
    issue = IssueFactory(status="in_progress")
    done = api_client.patch(f"/api/issues/{issue.pk}", {"status": "done"}).json()["data"]
    assert done["completedAt"] is not None
    reopened = api_client.patch(f"/api/issues/{issue.pk}", {"status": "todo"}).json()["data"]
    assert reopened["completedAt"] is None
    canceled = api_client.patch(f"/api/issues/{issue.pk}", {"status": "canceled"}).json()["data"]
    assert canceled["completedAt"] is not None
    still = api_client.patch(f"/api/issues/{issue.pk}", {"status": "done"}).json()["data"]
    assert still["completedAt"] == canceled["completedAt"]  # finished → finished keeps the time


def test_patch_accepts_the_agent_completion_fields(api_client):
    issue = IssueFactory()
    body = {
        "agentSummary": "Rotated the JWT secret",
        "agentSessionId": "sess-9",
        "commits": [{"sha": "abc", "message": "fix", "author": "bot", "timestamp": "2026-01-01T00:00:00Z"}],
        "pullRequests": [{"number": 7, "title": "fix", "url": "https://x/pull/7"}],
        "hypothesis": HYPOTHESIS,
    }
    data = api_client.patch(f"/api/issues/{issue.pk}", body).json()["data"]
    for key, value in body.items():
        assert data[key] == value
    issue.refresh_from_db()
    assert issue.agent_summary == "Rotated the JWT secret" and issue.pull_requests[0]["number"] == 7


def test_patch_nulls_clear_nullable_fields(api_client):
    parent, project = IssueFactory(), ProjectFactory()
    issue = IssueFactory(parent=parent, project=project, description="d", hypothesis=HYPOTHESIS)
    body = {"parentId": None, "projectId": None, "description": None, "hypothesis": None}
    data = api_client.patch(f"/api/issues/{issue.pk}", body).json()["data"]
    assert all(data[key] is None for key in body)


def test_patch_label_ids_replaces_labels(api_client):
    old, new = LabelFactory(), LabelFactory()
    issue = IssueFactory(labels=[old])
    assert api_client.patch(f"/api/issues/{issue.pk}", {"labelIds": [new.pk]}).status_code == 200
    assert list(issue.labels.values_list("id", flat=True)) == [new.pk]


def test_patch_with_empty_body_changes_nothing(api_client):
    issue = IssueFactory(title="same")
    response = api_client.patch(f"/api/issues/{issue.pk}", {})
    assert response.status_code == 200 and response.json()["data"]["title"] == "same"
    assert not IssueEvent.objects.filter(issue=issue, kind="updated").exists()


def test_patch_with_live_claim_token_applies(api_client):
    issue = IssueFactory(status="in_progress")
    Issue.objects.filter(pk=issue.pk).update(claim_token="tok-1")
    response = api_client.patch(
        f"/api/issues/{issue.pk}", {"status": "done", "agentSummary": "ok", "claimToken": "tok-1"}
    )
    assert response.status_code == 200
    issue.refresh_from_db()
    assert issue.status == "done" and issue.claim_token is None


def test_patch_with_stale_claim_token_is_409_and_changes_nothing(api_client):
    issue = IssueFactory(status="in_progress", title="keep")
    Issue.objects.filter(pk=issue.pk).update(claim_token="current")
    response = api_client.patch(
        f"/api/issues/{issue.pk}", {"title": "overwrite", "status": "done", "claimToken": "stale"}
    )
    assert response.status_code == 409
    assert "claimToken" in _field_errors(response)
    issue.refresh_from_db()
    assert (issue.title, issue.status, issue.claim_token) == ("keep", "in_progress", "current")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
        ({"status": "closed"}, "status"),
        ({"status": None}, "status"),
        ({"type": "epic"}, "type"),
        ({"priority": 9}, "priority"),
        ({"parentId": ["x"]}, "parentId"),
        ({"claimToken": 5}, "claimToken"),
        ({"hypothesis": {"statement": "s"}}, "hypothesis.confidence"),
    ],
)
def test_patch_rejects_schema_misfits(api_client, body, field):
    issue = IssueFactory(title="keep")
    response = api_client.patch(f"/api/issues/{issue.pk}", body)
    assert response.status_code == 400
    assert field in _field_errors(response)
    issue.refresh_from_db()
    assert issue.title == "keep"


def test_patch_hierarchy_rules_are_422(api_client):
    grandparent = IssueFactory()
    parent = IssueFactory(parent=grandparent)
    issue = IssueFactory()
    response = api_client.patch(f"/api/issues/{issue.pk}", {"parentId": parent.pk, "title": "t2"})
    assert response.status_code == 422 and "parentId" in _field_errors(response)
    response = api_client.patch(f"/api/issues/{issue.pk}", {"parentId": issue.pk})
    assert response.status_code == 422
    response = api_client.patch(f"/api/issues/{grandparent.pk}", {"parentId": issue.pk})
    assert response.status_code == 422  # it has children
    issue.refresh_from_db()
    assert issue.parent_id is None and issue.title != "t2"


def test_patch_unknown_label_is_422_and_nothing_is_half_written(api_client):
    issue = IssueFactory(title="keep")
    response = api_client.patch(f"/api/issues/{issue.pk}", {"title": "new", "labelIds": ["missing"]})
    assert response.status_code == 422
    issue.refresh_from_db()
    assert issue.title == "keep"


def test_patch_unknown_or_deleted_issue_is_404(api_client):
    issue = IssueFactory()
    services.delete_issue(issue_id=issue.pk, actor="t")
    assert api_client.patch("/api/issues/nope", {"title": "x"}).status_code == 404
    assert api_client.patch(f"/api/issues/{issue.pk}", {"title": "x"}).status_code == 404


def test_patch_requires_write_scope(read_client, anon_client):
    issue = IssueFactory()
    assert anon_client.patch(f"/api/issues/{issue.pk}", {"title": "x"}).status_code == 401
    assert read_client.patch(f"/api/issues/{issue.pk}", {"title": "x"}).status_code == 403


# --- delete ----------------------------------------------------------------------------------


def test_delete_soft_deletes(api_client):
    issue = IssueFactory()
    response = api_client.delete(f"/api/issues/{issue.pk}")
    assert response.status_code == 204 and response.content == b""
    assert Issue.all_objects.get(pk=issue.pk).deleted_at is not None
    assert api_client.get(f"/api/issues/{issue.pk}").status_code == 404
    assert api_client.get("/api/issues").json()["total"] == 0
    assert api_client.delete(f"/api/issues/{issue.pk}").status_code == 404


def test_delete_unblocks_what_it_blocked(api_client):
    blocker, blocked = IssueFactory(), IssueFactory()
    services.add_relation(issue_id=blocker.pk, related_issue_id=blocked.pk, type="blocks", actor="t")
    blocked.refresh_from_db()
    assert blocked.is_blocked
    api_client.delete(f"/api/issues/{blocker.pk}")
    blocked.refresh_from_db()
    assert not blocked.is_blocked


def test_delete_requires_write_scope(read_client):
    issue = IssueFactory()
    assert read_client.delete(f"/api/issues/{issue.pk}").status_code == 403
    assert Issue.objects.filter(pk=issue.pk).exists()
