"""GET/POST /api/issues/{id}/comments."""
from __future__ import annotations

import pytest

from issues import services
from issues.models import Comment
from tests.factories import CommentFactory, IssueFactory
from tests.issues.conftest import AUTH_QUERIES

pytestmark = pytest.mark.django_db

COMMENT_KEYS = {"id", "body", "issueId", "authorName", "authorType", "parentId", "createdAt"}


def _url(issue_id):
    return f"/api/issues/{issue_id}/comments"


def test_post_comment(api_client):
    issue = IssueFactory()
    response = api_client.post(_url(issue.pk), {"body": "Found it", "authorName": "claude", "authorType": "agent"})
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == COMMENT_KEYS
    assert (data["body"], data["authorName"], data["authorType"], data["parentId"], data["issueId"]) == (
        "Found it", "claude", "agent", None, issue.pk,
    )
    assert Comment.objects.get(pk=data["id"]).issue_id == issue.pk


def test_post_reply(api_client):
    top = CommentFactory()
    response = api_client.post(
        _url(top.issue_id), {"body": "+1", "authorName": "dana", "authorType": "human", "parentId": top.pk}
    )
    assert response.status_code == 201 and response.json()["data"]["parentId"] == top.pk


def test_list_is_threaded_oldest_first_and_keeps_every_reply(api_client):
    issue = IssueFactory()
    first = CommentFactory(issue=issue, body="first")
    second = CommentFactory(issue=issue, body="second")
    reply = CommentFactory(issue=issue, parent=first, body="reply")
    nested = CommentFactory(issue=issue, parent=reply, body="reply to reply")
    CommentFactory(body="another issue")
    response = api_client.get(_url(issue.pk))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data"}  # not paged
    assert [c["id"] for c in body["data"]] == [first.pk, second.pk]
    assert set(body["data"][0]) == COMMENT_KEYS | {"replies"}
    assert [r["id"] for r in body["data"][0]["replies"]] == [reply.pk, nested.pk]
    assert body["data"][0]["replies"][1]["parentId"] == reply.pk
    assert body["data"][1]["replies"] == []


def test_list_query_count_is_fixed(api_client, django_assert_max_num_queries):
    issue = IssueFactory()
    for _ in range(5):
        top = CommentFactory(issue=issue)
        CommentFactory(issue=issue, parent=top)
    api_client.get("/api/issues")
    with django_assert_max_num_queries(2 + AUTH_QUERIES):
        assert len(api_client.get(_url(issue.pk)).json()["data"]) == 5


def test_comments_of_unknown_or_deleted_issue_are_404(api_client):
    issue = IssueFactory()
    services.delete_issue(issue_id=issue.pk, actor="t")
    body = {"body": "x", "authorName": "a", "authorType": "agent"}
    for issue_id in ("missing", issue.pk):
        assert api_client.get(_url(issue_id)).status_code == 404
        assert api_client.post(_url(issue_id), body).status_code == 404
    assert not Comment.objects.exists()


def test_comments_require_auth(anon_client, read_client):
    issue = IssueFactory()
    body = {"body": "x", "authorName": "a", "authorType": "agent"}
    assert anon_client.get(_url(issue.pk)).status_code == 401
    assert anon_client.post(_url(issue.pk), body).status_code == 401
    assert read_client.get(_url(issue.pk)).status_code == 200
    assert read_client.post(_url(issue.pk), body).status_code == 403


@pytest.mark.parametrize(
    "body, field",
    [
        ({"authorName": "a", "authorType": "agent"}, "body"),
        ({"body": "", "authorName": "a", "authorType": "agent"}, "body"),
        ({"body": "x", "authorType": "agent"}, "authorName"),
        ({"body": "x", "authorName": "", "authorType": "agent"}, "authorName"),
        ({"body": "x", "authorName": "a" * 201, "authorType": "agent"}, "authorName"),
        ({"body": "x", "authorName": "a"}, "authorType"),
        ({"body": "x", "authorName": "a", "authorType": "robot"}, "authorType"),
        ({"body": 1, "authorName": "a", "authorType": "agent"}, "body"),
        ({"body": "nul\x00", "authorName": "a", "authorType": "agent"}, "body"),
        ({"body": "x", "authorName": "a", "authorType": "agent", "parentId": 5}, "parentId"),
    ],
)
def test_post_schema_misfits_are_400(api_client, body, field):
    issue = IssueFactory()
    response = api_client.post(_url(issue.pk), body)
    assert response.status_code == 400
    assert field in response.json()["details"]["fieldErrors"]
    assert not Comment.objects.exists()


def test_reply_to_unknown_comment_or_other_issue_comment_is_422(api_client):
    issue = IssueFactory()
    elsewhere = CommentFactory()
    for parent_id in ("missing", elsewhere.pk):
        response = api_client.post(
            _url(issue.pk), {"body": "x", "authorName": "a", "authorType": "agent", "parentId": parent_id}
        )
        assert response.status_code == 422
        assert "parentId" in response.json()["details"]["fieldErrors"]
    assert Comment.objects.count() == 1
