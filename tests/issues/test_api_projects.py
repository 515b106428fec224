"""GET/POST /api/projects and GET/PATCH/DELETE /api/projects/{id}."""
from __future__ import annotations

import pytest

from issues import services
from issues.models import Project
from tests.factories import GoalFactory, IssueFactory, ProjectFactory
from tests.issues.conftest import AUTH_QUERIES

pytestmark = pytest.mark.django_db

PROJECT_KEYS = {"id", "name", "description", "status", "health", "goalId", "createdAt", "updatedAt", "deletedAt"}
GOAL_KEYS = {
    "id", "title", "description", "metric", "targetValue", "currentValue", "unit", "status",
    "projectId", "createdAt", "updatedAt", "deletedAt",
}


def test_create_project_with_defaults(api_client):
    response = api_client.post("/api/projects", {"name": "Auth reliability"})
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == PROJECT_KEYS
    assert (data["status"], data["health"], data["goalId"], data["description"]) == (
        "backlog", "on_track", None, None,
    )
    assert Project.objects.filter(pk=data["id"]).exists()


def test_create_project_with_every_field(api_client):
    goal = GoalFactory()
    body = {"name": "n" * 500, "description": "d", "status": "active", "health": "at_risk", "goalId": goal.pk}
    data = api_client.post("/api/projects", body).json()["data"]
    assert {key: data[key] for key in body} == body


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 501}, "name"),
        ({"name": "x", "status": "done"}, "status"),
        ({"name": "x", "health": "great"}, "health"),
        ({"name": "x", "goalId": 1}, "goalId"),
        ({"name": ["x"]}, "name"),
    ],
)
def test_create_schema_misfits_are_400(api_client, body, field):
    response = api_client.post("/api/projects", body)
    assert response.status_code == 400
    assert field in response.json()["details"]["fieldErrors"]
    assert not Project.objects.exists()


def test_create_with_unknown_or_deleted_goal_is_422(api_client):
    goal = GoalFactory()
    services.delete_goal(goal_id=goal.pk)
    for goal_id in ("missing", goal.pk):
        response = api_client.post("/api/projects", {"name": "x", "goalId": goal_id})
        assert response.status_code == 422 and response.json()["error"] == "Goal not found"
        assert "goalId" in response.json()["details"]["fieldErrors"]
    assert not Project.objects.exists()


def test_list_projects_oldest_first_live_only(api_client):
    first, second, gone = ProjectFactory(), ProjectFactory(), ProjectFactory()
    services.delete_project(project_id=gone.pk)
    body = api_client.get("/api/projects").json()
    assert [row["id"] for row in body["data"]] == [first.pk, second.pk] and body["total"] == 2
    assert set(body["data"][0]) == PROJECT_KEYS
    page = api_client.get("/api/projects?limit=1&offset=1").json()
    assert [row["id"] for row in page["data"]] == [second.pk]


def test_list_query_count_is_fixed(api_client, django_assert_max_num_queries):
    for _ in range(10):
        ProjectFactory(goal=GoalFactory())
    api_client.get("/api/projects")
    with django_assert_max_num_queries(2 + AUTH_QUERIES):
        assert len(api_client.get("/api/projects").json()["data"]) == 10


def test_get_project_with_goal_and_issue_counts(api_client, django_assert_max_num_queries):
    goal = GoalFactory()
    project = ProjectFactory(goal=goal)
    IssueFactory(project=project, status="todo")
    IssueFactory(project=project, status="todo")
    IssueFactory(project=project, status="done")
    deleted = IssueFactory(project=project, status="todo")
    services.delete_issue(issue_id=deleted.pk, actor="t")
    IssueFactory(status="todo")  # another project's
    api_client.get("/api/projects")
    with django_assert_max_num_queries(2 + AUTH_QUERIES):
        response = api_client.get(f"/api/projects/{project.pk}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == PROJECT_KEYS | {"goal", "issueCounts"}
    assert data["goal"]["id"] == goal.pk and set(data["goal"]) == GOAL_KEYS
    assert data["issueCounts"] == {
        "triage": 0, "backlog": 0, "todo": 2, "in_progress": 0, "done": 1, "canceled": 0,
    }


def test_get_project_without_goal_or_with_deleted_goal(api_client):
    goal = GoalFactory()
    bare, with_deleted = ProjectFactory(), ProjectFactory(goal=goal)
    services.delete_goal(goal_id=goal.pk)
    assert api_client.get(f"/api/projects/{bare.pk}").json()["data"]["goal"] is None
    assert api_client.get(f"/api/projects/{with_deleted.pk}").json()["data"]["goal"] is None


def test_get_unknown_or_deleted_project_is_404(api_client):
    project = ProjectFactory()
    services.delete_project(project_id=project.pk)
    for project_id in ("missing", project.pk):
        response = api_client.get(f"/api/projects/{project_id}")
        assert response.status_code == 404 and response.json()["error"] == "Project not found"


def test_patch_project(api_client):
    project = ProjectFactory(goal=GoalFactory())
    response = api_client.patch(
        f"/api/projects/{project.pk}", {"name": "Renamed", "health": "off_track", "goalId": None}
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["name"], data["health"], data["goalId"]) == ("Renamed", "off_track", None)
    project.refresh_from_db()
    assert project.name == "Renamed" and project.goal_id is None


def test_patch_project_errors(api_client):
    project = ProjectFactory(name="keep")
    assert api_client.patch(f"/api/projects/{project.pk}", {"status": "nope"}).status_code == 400
    assert api_client.patch(f"/api/projects/{project.pk}", {"name": None}).status_code == 400
    response = api_client.patch(f"/api/projects/{project.pk}", {"name": "new", "goalId": "missing"})
    assert response.status_code == 422
    assert api_client.patch("/api/projects/missing", {"name": "x"}).status_code == 404
    project.refresh_from_db()
    assert project.name == "keep"


def test_delete_project(api_client):
    project = ProjectFactory()
    assert api_client.delete(f"/api/projects/{project.pk}").status_code == 204
    assert Project.all_objects.get(pk=project.pk).deleted_at is not None
    assert api_client.get(f"/api/projects/{project.pk}").status_code == 404
    assert api_client.delete(f"/api/projects/{project.pk}").status_code == 404
    assert api_client.get("/api/projects").json()["total"] == 0


def test_projects_require_auth(anon_client, read_client):
    project = ProjectFactory()
    assert anon_client.get("/api/projects").status_code == 401
    assert anon_client.get(f"/api/projects/{project.pk}").status_code == 401
    assert read_client.get(f"/api/projects/{project.pk}").status_code == 200
    assert read_client.post("/api/projects", {"name": "x"}).status_code == 403
    assert read_client.patch(f"/api/projects/{project.pk}", {"name": "x"}).status_code == 403
    assert read_client.delete(f"/api/projects/{project.pk}").status_code == 403
