"""Hostile and malformed input on every write endpoint of the core API: always a clear 4xx in the
one error format, naming the field where there is one, and nothing written."""
from __future__ import annotations

import json

import pytest

from issues.models import Comment, Goal, Issue, IssueRelation, Label, Project
from tests.factories import GoalFactory, IssueFactory, ProjectFactory

pytestmark = pytest.mark.django_db


ENDPOINTS = [
    ("post", "/api/issues"),
    ("patch", "/api/issues/{issue}"),
    ("post", "/api/issues/{issue}/relations"),
    ("post", "/api/issues/{issue}/comments"),
    ("post", "/api/labels"),
    ("post", "/api/projects"),
    ("patch", "/api/projects/{project}"),
    ("post", "/api/goals"),
    ("patch", "/api/goals/{goal}"),
]


@pytest.fixture
def targets(db):
    """For each write endpoint (by URL template): its URL for live rows, and a valid body."""
    issue, other = IssueFactory(), IssueFactory()
    ids = {"issue": issue.pk, "project": ProjectFactory().pk, "goal": GoalFactory().pk}
    bodies = {
        "/api/issues": {"title": "t", "type": "task"},
        "/api/issues/{issue}": {"title": "t"},
        "/api/issues/{issue}/relations": {"type": "related", "relatedIssueId": other.pk},
        "/api/issues/{issue}/comments": {"body": "b", "authorName": "a", "authorType": "agent"},
        "/api/labels": {"name": "n", "color": "#000"},
        "/api/projects": {"name": "n"},
        "/api/projects/{project}": {"name": "n"},
        "/api/goals": {"title": "t"},
        "/api/goals/{goal}": {"title": "t"},
    }
    return {template: (template.format(**ids), body) for template, body in bodies.items()}


def _resolve(targets, method, template):
    return targets[template]


def _counts():
    return (
        Issue.all_objects.count(), IssueRelation.objects.count(), Comment.objects.count(),
        Label.all_objects.count(), Project.all_objects.count(), Goal.all_objects.count(),
    )


def _send(client, method, url, raw: bytes, content_type="application/json"):
    return getattr(client, method)(url, data=raw, content_type=content_type)


@pytest.mark.parametrize("method, template", ENDPOINTS)
@pytest.mark.parametrize(
    "raw",
    [b"{bad json", b'{"a": NaN}', b"\xff\xfe\x00", b"[" * 50_000 + b"]" * 50_000],
    ids=["syntax", "nan", "not-utf8", "deeply-nested"],
)
def test_unparseable_body_is_400_malformed_json(api_client, targets, method, template, raw):
    url, _ = _resolve(targets, method, template)
    before = _counts()
    response = _send(api_client, method, url, raw)
    assert response.status_code == 400
    assert response.json()["error"] == "Malformed JSON in request body"
    assert _counts() == before


@pytest.mark.parametrize("method, template", ENDPOINTS)
@pytest.mark.parametrize("raw", [b"[1, 2]", b'"text"', b"42"], ids=["list", "string", "number"])
def test_body_that_is_not_an_object_is_400(api_client, targets, method, template, raw):
    url, _ = _resolve(targets, method, template)
    before = _counts()
    response = _send(api_client, method, url, raw)
    assert response.status_code == 400
    assert "_" in response.json()["details"]["fieldErrors"]
    assert _counts() == before


@pytest.mark.parametrize("method, template", ENDPOINTS)
@pytest.mark.parametrize("bad", ["a\x00b", "\ud800"], ids=["nul", "lone-surrogate"])
def test_unstorable_text_in_any_string_field_is_400_naming_it(api_client, targets, method, template, bad):
    url, valid = _resolve(targets, method, template)
    before = _counts()
    for field, value in valid.items():
        if not isinstance(value, str) or field in ("type", "authorType"):
            continue
        body = json.dumps({**valid, field: bad}).encode()
        response = _send(api_client, method, url, body)
        assert response.status_code == 400, (field, response.json())
        assert field in response.json()["details"]["fieldErrors"], field
    assert _counts() == before


@pytest.mark.parametrize("method, template", ENDPOINTS)
def test_unknown_fields_are_ignored(api_client, targets, method, template):
    url, valid = _resolve(targets, method, template)
    response = getattr(api_client, method)(url, {**valid, "notAField": 1, "deletedAt": "x"})
    assert response.status_code in (200, 201), response.json()
    assert "notAField" not in response.json()["data"]
    assert response.json()["data"].get("deletedAt") is None


@pytest.mark.parametrize("method, template", ENDPOINTS)
def test_body_over_the_upload_limit_is_413(api_client, targets, method, template, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    url, valid = _resolve(targets, method, template)
    before = _counts()
    response = getattr(api_client, method)(url, {**valid, "padding": "x" * 2000})
    assert response.status_code == 413 and response.json()["error"]
    assert _counts() == before


def test_form_bodies_are_415(api_client):
    response = api_client.post("/api/issues", data="title=x&type=task", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.json()["error"]
    assert not Issue.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [{"a": "x\x00"}, {"k\x00": 1}, {"a": ["\ud800"]}, {"deep": json.loads("[" * 40 + "]" * 40)}],
    ids=["nul-value", "nul-key", "surrogate", "too-deep"],
)
def test_signal_payload_must_be_storable(api_client, payload):
    body = json.dumps({"title": "t", "type": "signal", "signalPayload": payload}).encode()
    response = _send(api_client, "post", "/api/issues", body)
    assert response.status_code == 400 and "signalPayload" in response.json()["details"]["fieldErrors"]
    assert not Issue.objects.exists()


@pytest.mark.parametrize("number", [b"1e400", b"-1e400"])
def test_numbers_too_large_for_a_float_are_400(api_client, number):
    body = b'{"title": "t", "targetValue": ' + number + b"}"
    response = _send(api_client, "post", "/api/goals", body)
    assert response.status_code == 400 and "targetValue" in response.json()["details"]["fieldErrors"]
    body = b'{"title": "t", "type": "task", "signalPayload": {"v": ' + number + b"}}"
    assert _send(api_client, "post", "/api/issues", body).status_code == 400
    assert not Goal.objects.exists() and not Issue.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["/api/issues/a%00b", "/api/issues/" + "x" * 100, "/api/issues/a%00b/comments",
     "/api/projects/a%00b", "/api/goals/a%00b"],
)
def test_path_ids_that_cannot_exist_are_404(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 404 and response.json()["error"].endswith("not found")


@pytest.mark.parametrize(
    "method, url",
    [("delete", "/api/labels/a%00b"), ("delete", "/api/relations/a%00b"), ("patch", "/api/issues/a%00b"),
     ("post", "/api/issues/a%00b/relations")],
)
def test_writes_to_impossible_path_ids_are_404(api_client, method, url):
    assert getattr(api_client, method)(url, {}).status_code == 404


def test_query_parameters_with_nul_are_400(api_client):
    response = api_client.get("/api/issues?projectId=a%00b")
    assert response.status_code == 400 and "projectId" in response.json()["details"]["fieldErrors"]
