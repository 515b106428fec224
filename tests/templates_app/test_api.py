"""The templates, versions, reviews and preview endpoints: wire shapes, status codes and the
database state behind them."""
from __future__ import annotations

import pytest

from issues.models import Issue
from templates_app.models import PromptReview, PromptTemplate, PromptVersion
from tests.factories import IssueFactory, ProjectFactory

pytestmark = pytest.mark.django_db

TEMPLATE_KEYS = {
    "id", "slug", "name", "description", "conditions", "specificity", "projectId",
    "activeVersionId", "createdAt", "updatedAt", "deletedAt",
}
VERSION_KEYS = {
    "id", "templateId", "version", "content", "changelog", "authorType", "authorName", "status",
    "usageCount", "completionRate", "avgDurationMs", "reviewScore", "reviewCount", "createdAt",
}
REVIEW_KEYS = {
    "id", "versionId", "issueId", "clarity", "completeness", "relevance", "feedback",
    "authorType", "createdAt",
}


def _create(client, **body):
    payload = {"slug": "api-template", "name": "API template", **body}
    return client.post("/api/templates", payload, format="json")


def _add_version(client, template_id, content="Do {{ issue.title }}", **body):
    payload = {"content": content, "authorType": "agent", "authorName": "agent-1", **body}
    return client.post(f"/api/templates/{template_id}/versions", payload, format="json")


# --- templates -----------------------------------------------------------------------------------


def test_create_template_returns_201_with_upstream_shape(api_client):
    project = ProjectFactory()
    response = _create(api_client, conditions={"type": "task", "labels": ["bug"]}, specificity=30,
                       projectId=project.pk, description="d")
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == TEMPLATE_KEYS
    assert data["conditions"] == {"type": "task", "labels": ["bug"]}
    assert (data["specificity"], data["projectId"], data["activeVersionId"]) == (30, project.pk, None)
    assert PromptTemplate.objects.filter(pk=data["id"], slug="api-template").exists()


def test_create_template_defaults(api_client):
    data = _create(api_client).json()["data"]
    assert (data["conditions"], data["specificity"], data["description"]) == ({}, 10, None)


def test_taken_slug_is_409(api_client):
    _create(api_client)
    response = _create(api_client)
    assert response.status_code == 409
    assert response.json()["details"]["fieldErrors"] == {"slug": ["A template with slug 'api-template' already exists"]}


def test_seeded_default_slug_is_taken(api_client):
    assert _create(api_client, slug="signal-triage").status_code == 409


@pytest.mark.parametrize(("body", "field"), [
    ({"slug": "Not A Slug"}, "slug"),
    ({"slug": "x" * 201}, "slug"),
    ({"name": ""}, "name"),
    ({"specificity": 101}, "specificity"),
    ({"specificity": -1}, "specificity"),
    ({"conditions": {"colour": "red"}}, "conditions"),
    ({"conditions": {"type": "bug"}}, "conditions"),
    ({"conditions": {"hypothesisConfidence": 2}}, "conditions"),
    ({"conditions": "type=task"}, "conditions"),
])
def test_schema_violations_are_400_naming_the_field(api_client, body, field):
    response = _create(api_client, **body)
    assert response.status_code == 400
    assert field in response.json()["details"]["fieldErrors"]
    assert not PromptTemplate.objects.filter(slug="api-template").exists()


def test_unknown_condition_key_message_lists_allowed_keys(api_client):
    response = _create(api_client, conditions={"colour": "red"})
    assert response.json()["error"].startswith("conditions: Unknown condition key(s): colour (allowed: type,")


def test_unknown_project_is_422(api_client):
    response = _create(api_client, projectId="nope")
    assert response.status_code == 422
    assert "projectId" in response.json()["details"]["fieldErrors"]


def test_list_templates_is_paginated_by_slug(api_client):
    _create(api_client, slug="aaa-first")
    response = api_client.get("/api/templates?limit=2")
    body = response.json()
    assert response.status_code == 200
    assert body["total"] == 6  # five seeded defaults + ours
    assert [t["slug"] for t in body["data"]] == ["aaa-first", "hypothesis-planning"]
    assert api_client.get("/api/templates?limit=0").status_code == 400


def test_get_template_adds_active_version(api_client):
    template_id = _create(api_client).json()["data"]["id"]
    assert api_client.get(f"/api/templates/{template_id}").json()["data"]["activeVersion"] is None
    version_id = _add_version(api_client, template_id).json()["data"]["id"]
    data = api_client.get(f"/api/templates/{template_id}").json()["data"]
    assert set(data) == TEMPLATE_KEYS | {"activeVersion"}
    assert data["activeVersionId"] == version_id
    assert set(data["activeVersion"]) == VERSION_KEYS and data["activeVersion"]["id"] == version_id


def test_get_unknown_template_is_404(api_client):
    response = api_client.get("/api/templates/nope")
    assert response.status_code == 404
    assert response.json()["error"] == "Template not found"


def test_patch_template(api_client):
    template_id = _create(api_client, conditions={"type": "task"}, projectId=ProjectFactory().pk).json()["data"]["id"]
    response = api_client.patch(
        f"/api/templates/{template_id}",
        {"name": "Renamed", "conditions": {"labels": ["x"]}, "specificity": 70, "projectId": None},
        format="json",
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["name"], data["conditions"], data["specificity"], data["projectId"]) == (
        "Renamed", {"labels": ["x"]}, 70, None,
    )
    assert api_client.patch(f"/api/templates/{template_id}", {"conditions": {"nope": 1}},
                            format="json").status_code == 400
    assert api_client.patch("/api/templates/nope", {"name": "x"}, format="json").status_code == 404


def test_delete_template_soft_deletes(api_client):
    template_id = _create(api_client).json()["data"]["id"]
    assert api_client.delete(f"/api/templates/{template_id}").status_code == 204
    assert api_client.get(f"/api/templates/{template_id}").status_code == 404
    assert PromptTemplate.all_objects.get(pk=template_id).deleted_at is not None
    assert api_client.delete(f"/api/templates/{template_id}").status_code == 404


# --- versions ------------------------------------------------------------------------------------


def test_first_version_active_then_drafts(api_client):
    template_id = _create(api_client).json()["data"]["id"]
    first = _add_version(api_client, template_id, changelog="initial")
    second = _add_version(api_client, template_id)
    assert first.status_code == second.status_code == 201
    first, second = first.json()["data"], second.json()["data"]
    assert set(first) == VERSION_KEYS
    assert (first["version"], first["status"], first["changelog"]) == (1, "active", "initial")
    assert (second["version"], second["status"], second["changelog"]) == (2, "draft", None)
    assert (first["usageCount"], first["reviewScore"], first["authorType"]) == (0, None, "agent")


def test_list_versions_newest_first(api_client):
    template_id = _create(api_client).json()["data"]["id"]
    for _ in range(3):
        _add_version(api_client, template_id)
    body = api_client.get(f"/api/templates/{template_id}/versions").json()
    assert body["total"] == 3 and [v["version"] for v in body["data"]] == [3, 2, 1]
    assert api_client.get("/api/templates/nope/versions").status_code == 404


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"content": "{{{ issue.title }}}"}, 422, "content"),
    ({"content": "{% for %}"}, 422, "content"),
    ({"content": ""}, 400, "content"),
    ({"authorType": "robot"}, 400, "authorType"),
    ({"authorName": ""}, 400, "authorName"),
])
def test_bad_version_is_refused(api_client, body, status, field):
    template_id = _create(api_client).json()["data"]["id"]
    response = _add_version(api_client, template_id, **body)
    assert response.status_code == status
    assert field in response.json()["details"]["fieldErrors"]
    assert not PromptVersion.objects.filter(template_id=template_id).exists()


def test_version_for_unknown_template_is_404(api_client):
    assert _add_version(api_client, "nope").status_code == 404


def test_promote(api_client):
    template_id = _create(api_client).json()["data"]["id"]
    first = _add_version(api_client, template_id).json()["data"]["id"]
    second = _add_version(api_client, template_id).json()["data"]["id"]
    response = api_client.post(f"/api/templates/{template_id}/versions/{second}/promote")
    assert response.status_code == 200
    assert response.json()["data"]["id"] == second and response.json()["data"]["status"] == "active"
    assert PromptVersion.objects.get(pk=first).status == "retired"
    assert PromptTemplate.objects.get(pk=template_id).active_version_id == second
    again = api_client.post(f"/api/templates/{template_id}/versions/{second}/promote")
    assert again.status_code == 422 and again.json()["error"] == "Version is already active"


def test_promote_version_of_other_template_is_404(api_client):
    template_id = _create(api_client).json()["data"]["id"]
    other_id = _create(api_client, slug="other").json()["data"]["id"]
    _add_version(api_client, other_id)
    foreign = _add_version(api_client, other_id).json()["data"]["id"]
    assert api_client.post(f"/api/templates/{template_id}/versions/{foreign}/promote").status_code == 404
    assert api_client.post(f"/api/templates/nope/versions/{foreign}/promote").status_code == 404


# --- reviews -------------------------------------------------------------------------------------


def _review_body(version_id, issue_id, **overrides):
    return {"versionId": version_id, "issueId": issue_id, "clarity": 4, "completeness": 5,
            "relevance": 3, "authorType": "agent", **overrides}


def test_post_review_returns_201_and_updates_the_score(api_client):
    template_id = _create(api_client).json()["data"]["id"]
    version_id = _add_version(api_client, template_id).json()["data"]["id"]
    issue = IssueFactory()
    response = api_client.post("/api/prompt-reviews", _review_body(version_id, issue.pk, feedback="ok"),
                               format="json")
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == REVIEW_KEYS
    assert (data["versionId"], data["issueId"], data["feedback"]) == (version_id, issue.pk, "ok")
    version = PromptVersion.objects.get(pk=version_id)
    assert (version.review_score, version.review_count) == (4.0, 1)


@pytest.mark.parametrize(("overrides", "status", "field"), [
    ({"versionId": "nope"}, 404, "versionId"),
    ({"issueId": "nope"}, 422, "issueId"),
    ({"clarity": 0}, 400, "clarity"),
    ({"relevance": 6}, 400, "relevance"),
    ({"completeness": "five"}, 400, "completeness"),
    ({"authorType": "bot"}, 400, "authorType"),
])
def test_bad_review_is_refused(api_client, overrides, status, field):
    template_id = _create(api_client).json()["data"]["id"]
    version_id = _add_version(api_client, template_id).json()["data"]["id"]
    body = _review_body(version_id, IssueFactory().pk, **overrides)
    response = api_client.post("/api/prompt-reviews", body, format="json")
    assert response.status_code == status
    assert field in response.json()["details"]["fieldErrors"]
    assert not PromptReview.objects.exists()


def test_missing_review_fields_are_400(api_client):
    response = api_client.post("/api/prompt-reviews", {}, format="json")
    assert response.status_code == 400
    assert {"versionId", "issueId", "clarity", "completeness", "relevance", "authorType"} <= set(
        response.json()["details"]["fieldErrors"]
    )


def test_third_low_review_opens_the_improvement_task_via_api(api_client):
    template_id = _create(api_client, slug="weak-prompt").json()["data"]["id"]
    version_id = _add_version(api_client, template_id).json()["data"]["id"]
    issue = IssueFactory()
    for _ in range(4):
        api_client.post("/api/prompt-reviews", _review_body(version_id, issue.pk, clarity=1,
                        completeness=1, relevance=1), format="json")
    tasks = Issue.objects.filter(title__startswith="Improve prompt template: weak-prompt")
    assert [t.title for t in tasks] == ["Improve prompt template: weak-prompt (avg review 1.0/5, 3 reviews since v1)"]


def test_list_reviews_across_versions(api_client):
    template_id = _create(api_client).json()["data"]["id"]
    first = _add_version(api_client, template_id).json()["data"]["id"]
    second = _add_version(api_client, template_id).json()["data"]["id"]
    issue = IssueFactory()
    api_client.post("/api/prompt-reviews", _review_body(first, issue.pk), format="json")
    api_client.post("/api/prompt-reviews", _review_body(second, issue.pk), format="json")
    body = api_client.get(f"/api/templates/{template_id}/reviews").json()
    assert body["total"] == 2
    assert {r["versionId"] for r in body["data"]} == {first, second}
    assert set(body["data"][0]) == REVIEW_KEYS
    assert api_client.get("/api/templates/nope/reviews").status_code == 404


# --- preview -------------------------------------------------------------------------------------


def test_preview_renders_without_claiming_or_counting(api_client, no_templates):
    template_id = _create(api_client, conditions={"type": "task"}, specificity=20).json()["data"]["id"]
    version_id = _add_version(api_client, template_id, content="Do {{ issue.title }}").json()["data"]["id"]
    issue = IssueFactory(title="the thing")
    response = api_client.get(f"/api/templates/preview/{issue.pk}")
    assert response.status_code == 200
    body = response.json()
    expected = {
        "issue": {"id": issue.pk, "number": issue.number, "title": "the thing", "type": "task"},
        "template": {"id": template_id, "slug": "api-template", "name": "API template",
                     "conditions": {"type": "task"}, "specificity": 20},
        "version": {"id": version_id, "version": 1},
        "prompt": "Do the thing",
        "error": None,
    }
    assert body == {**expected, "data": expected}
    issue.refresh_from_db()
    assert issue.status == "todo" and issue.claim_token is None
    assert PromptVersion.objects.get(pk=version_id).usage_count == 0


def test_preview_without_match_has_nulls_and_message(api_client, no_templates):
    issue = IssueFactory()
    body = api_client.get(f"/api/templates/preview/{issue.pk}").json()
    assert (body["template"], body["version"], body["prompt"]) == (None, None, None)
    assert body["message"] == "No matching template found"
    assert body["data"]["message"] == "No matching template found"


def test_preview_of_broken_template_reports_the_error_not_500(api_client, no_templates):
    template_id = _create(api_client).json()["data"]["id"]
    _add_version(api_client, template_id, content="{{ issue.titel }}")
    body = api_client.get(f"/api/templates/preview/{IssueFactory().pk}").json()
    assert body["prompt"] is None and body["template"]["id"] == template_id
    assert "'titel'" in body["error"] and body["message"] == body["error"]


def test_preview_unknown_or_deleted_issue_is_404(api_client):
    assert api_client.get("/api/templates/preview/nope").status_code == 404


def test_preview_uses_the_seeded_default_for_each_type(api_client):
    for issue_type, slug in [("signal", "signal-triage"), ("hypothesis", "hypothesis-planning"),
                             ("plan", "plan-decomposition"), ("task", "task-execution"),
                             ("monitor", "monitor-check")]:
        body = api_client.get(f"/api/templates/preview/{IssueFactory(type=issue_type).pk}").json()
        assert body["template"]["slug"] == slug and body["error"] is None


# --- auth ----------------------------------------------------------------------------------------


def test_reading_needs_a_key_and_writing_needs_write_scope(anon_client, make_client):
    assert anon_client.get("/api/templates").status_code == 401
    reader = make_client(scopes=["read"], name="reader")
    assert reader.get("/api/templates").status_code == 200
    assert reader.get("/api/dashboard/prompts").status_code == 200
    assert _create(reader).status_code == 403
    assert reader.post("/api/prompt-reviews", {}, format="json").status_code == 403


def test_preview_a_draft_version_before_promoting(api_client, no_templates):
    template_id = _create(api_client).json()["data"]["id"]
    _add_version(api_client, template_id, content="v1 {{ issue.title }}")
    draft = _add_version(api_client, template_id, content="v2 {{ issue.title }}").json()["data"]["id"]
    issue = IssueFactory(title="x")
    assert api_client.get(f"/api/templates/preview/{issue.pk}").json()["prompt"] == "v1 x"
    body = api_client.get(f"/api/templates/preview/{issue.pk}?versionId={draft}").json()
    assert body["prompt"] == "v2 x" and body["version"] == {"id": draft, "version": 2}
    assert PromptVersion.objects.get(pk=draft).status == "draft"
    missing = api_client.get(f"/api/templates/preview/{issue.pk}?versionId=nope")
    assert missing.status_code == 404 and "versionId" in missing.json()["details"]["fieldErrors"]


@pytest.mark.parametrize(("path", "body", "field"), [
    ("templates", {"slug": "ok", "name": 123}, "name"),
    ("templates", {"slug": "ok", "name": "n", "specificity": True}, "specificity"),
    ("templates", {"slug": "ok", "name": "n", "specificity": "5"}, "specificity"),
    ("templates", {"slug": "ok", "name": "n\x00"}, "name"),
    ("templates", {"slug": "ok", "name": "n", "conditions": {"labels": ["a\x00"]}}, "conditions"),
    ("versions", {"content": "a\x00b", "authorType": "agent", "authorName": "a"}, "content"),
    ("versions", {"content": 5, "authorType": "agent", "authorName": "a"}, "content"),
    ("reviews", {"clarity": "4"}, "clarity"),
    ("reviews", {"relevance": 4.5}, "relevance"),
    ("reviews", {"feedback": "x\x00"}, "feedback"),
    ("reviews", {"versionId": 12}, "versionId"),
])
def test_wrong_json_types_and_unstorable_text_are_400(api_client, path, body, field):
    template_id = _create(api_client, slug="typed").json()["data"]["id"]
    version_id = _add_version(api_client, template_id).json()["data"]["id"]
    if path == "templates":
        response = api_client.post("/api/templates", body, format="json")
    elif path == "versions":
        response = api_client.post(f"/api/templates/{template_id}/versions", body, format="json")
    else:
        response = api_client.post("/api/prompt-reviews",
                                   _review_body(version_id, IssueFactory().pk, **body), format="json")
    assert response.status_code == 400
    assert field in response.json()["details"]["fieldErrors"]
