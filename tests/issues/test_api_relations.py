"""POST /api/issues/{id}/relations and DELETE /api/relations/{id}."""
from __future__ import annotations

import pytest

from issues import services
from issues.models import IssueEvent, IssueRelation
from tests.factories import IssueFactory

pytestmark = pytest.mark.django_db


def _post(client, issue_id, body):
    return client.post(f"/api/issues/{issue_id}/relations", body)


def test_create_relation(api_client):
    a, b = IssueFactory(), IssueFactory()
    response = _post(api_client, a.pk, {"type": "related", "relatedIssueId": b.pk})
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == {"id", "type", "issueId", "relatedIssueId", "createdAt"}
    assert (data["type"], data["issueId"], data["relatedIssueId"]) == ("related", a.pk, b.pk)
    assert IssueRelation.objects.filter(pk=data["id"]).exists()
    assert IssueEvent.objects.filter(issue=a, kind="relation_added").exists()


@pytest.mark.parametrize("relation_type", ["blocks", "blocked_by"])
def test_blocking_relation_blocks_in_either_spelling(api_client, relation_type):
    a, b = IssueFactory(), IssueFactory()
    _post(api_client, a.pk, {"type": relation_type, "relatedIssueId": b.pk})
    blocked = b if relation_type == "blocks" else a
    blocked.refresh_from_db()
    assert blocked.is_blocked


def test_create_relation_requires_auth_and_write_scope(anon_client, read_client):
    a, b = IssueFactory(), IssueFactory()
    body = {"type": "related", "relatedIssueId": b.pk}
    assert _post(anon_client, a.pk, body).status_code == 401
    assert _post(read_client, a.pk, body).status_code == 403
    assert not IssueRelation.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"relatedIssueId": "x"}, "type"),
        ({"type": "parent_of", "relatedIssueId": "x"}, "type"),
        ({"type": "related"}, "relatedIssueId"),
        ({"type": "related", "relatedIssueId": ""}, "relatedIssueId"),
        ({"type": "related", "relatedIssueId": 3}, "relatedIssueId"),
        ({"type": "related", "relatedIssueId": "a\x00b"}, "relatedIssueId"),
    ],
)
def test_create_relation_schema_misfits_are_400(api_client, body, field):
    a = IssueFactory()
    response = _post(api_client, a.pk, body)
    assert response.status_code == 400
    assert field in response.json()["details"]["fieldErrors"]


def test_unknown_source_issue_is_404(api_client):
    b = IssueFactory()
    response = _post(api_client, "missing", {"type": "related", "relatedIssueId": b.pk})
    assert response.status_code == 404 and response.json()["error"] == "Issue not found"


def test_deleted_source_issue_is_404(api_client):
    a, b = IssueFactory(), IssueFactory()
    services.delete_issue(issue_id=a.pk, actor="t")
    assert _post(api_client, a.pk, {"type": "related", "relatedIssueId": b.pk}).status_code == 404


def test_unknown_related_issue_is_422(api_client):
    a = IssueFactory()
    response = _post(api_client, a.pk, {"type": "related", "relatedIssueId": "missing"})
    assert response.status_code == 422
    assert "relatedIssueId" in response.json()["details"]["fieldErrors"]


def test_self_relation_is_422(api_client):
    a = IssueFactory()
    response = _post(api_client, a.pk, {"type": "blocks", "relatedIssueId": a.pk})
    assert response.status_code == 422 and not IssueRelation.objects.exists()


def test_duplicate_relation_is_409(api_client):
    a, b = IssueFactory(), IssueFactory()
    assert _post(api_client, a.pk, {"type": "related", "relatedIssueId": b.pk}).status_code == 201
    response = _post(api_client, a.pk, {"type": "related", "relatedIssueId": b.pk})
    assert response.status_code == 409 and IssueRelation.objects.count() == 1


@pytest.mark.parametrize("closing_type, source", [("blocks", "b"), ("blocked_by", "a")])
def test_relation_that_closes_a_blocking_cycle_is_422(api_client, closing_type, source):
    a, b = IssueFactory(), IssueFactory()
    _post(api_client, a.pk, {"type": "blocks", "relatedIssueId": b.pk})  # a blocks b
    issues = {"a": a, "b": b}
    other = b if source == "a" else a
    response = _post(api_client, issues[source].pk, {"type": closing_type, "relatedIssueId": other.pk})
    assert response.status_code == 422
    assert "cycle" in response.json()["error"]
    assert IssueRelation.objects.count() == 1


def test_delete_relation(api_client):
    a, b = IssueFactory(), IssueFactory()
    relation = services.add_relation(issue_id=a.pk, related_issue_id=b.pk, type="blocks", actor="t")
    response = api_client.delete(f"/api/relations/{relation.pk}")
    assert response.status_code == 204 and response.content == b""
    assert not IssueRelation.objects.exists()
    b.refresh_from_db()
    assert not b.is_blocked
    assert api_client.delete(f"/api/relations/{relation.pk}").status_code == 404


def test_delete_relation_auth(anon_client, read_client):
    a, b = IssueFactory(), IssueFactory()
    relation = services.add_relation(issue_id=a.pk, related_issue_id=b.pk, type="related", actor="t")
    assert anon_client.delete(f"/api/relations/{relation.pk}").status_code == 401
    assert read_client.delete(f"/api/relations/{relation.pk}").status_code == 403
    assert IssueRelation.objects.exists()


def test_delete_unknown_relation_is_404(api_client):
    response = api_client.delete("/api/relations/missing")
    assert response.status_code == 404 and response.json()["error"] == "Relation not found"
