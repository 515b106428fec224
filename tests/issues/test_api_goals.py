"""GET/POST /api/goals and GET/PATCH/DELETE /api/goals/{id}."""
from __future__ import annotations

import pytest

from issues import services
from issues.models import Goal
from issues.ranking import GOAL_BONUS
from tests.factories import GoalFactory, IssueFactory, ProjectFactory
from tests.issues.conftest import AUTH_QUERIES

pytestmark = pytest.mark.django_db

GOAL_KEYS = {
    "id", "title", "description", "metric", "targetValue", "currentValue", "unit", "status",
    "projectId", "createdAt", "updatedAt", "deletedAt",
}


def test_create_goal_with_defaults(api_client):
    response = api_client.post("/api/goals", {"title": "Cut login failures"})
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == GOAL_KEYS
    assert (data["status"], data["projectId"], data["targetValue"]) == ("active", None, None)


def test_create_goal_with_every_field(api_client):
    project = ProjectFactory()
    body = {
        "title": "t" * 500, "description": "d", "metric": "login_failure_rate", "targetValue": 0.05,
        "currentValue": 18, "unit": "ratio", "status": "achieved", "projectId": project.pk,
    }
    data = api_client.post("/api/goals", body).json()["data"]
    assert {key: data[key] for key in body} == body
    assert isinstance(data["currentValue"], float)


def test_active_goal_raises_its_projects_issues_in_the_queue(api_client):
    project = ProjectFactory()
    issue = IssueFactory(project=project)
    before = issue.dispatch_rank
    api_client.post("/api/goals", {"title": "g", "projectId": project.pk})
    issue.refresh_from_db()
    assert issue.dispatch_rank == pytest.approx(before - GOAL_BONUS)


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"title": "x", "status": "done"}, "status"),
        ({"title": "x", "targetValue": "0.5"}, "targetValue"),
        ({"title": "x", "targetValue": True}, "targetValue"),
        ({"title": "x", "currentValue": "NaN"}, "currentValue"),
        ({"title": "x", "metric": "m" * 201}, "metric"),
        ({"title": "x", "unit": "u" * 51}, "unit"),
        ({"title": "x", "projectId": 3}, "projectId"),
    ],
)
def test_create_schema_misfits_are_400(api_client, body, field):
    response = api_client.post("/api/goals", body)
    assert response.status_code == 400
    assert field in response.json()["details"]["fieldErrors"]
    assert not Goal.objects.exists()


def test_create_with_unknown_project_is_422(api_client):
    response = api_client.post("/api/goals", {"title": "x", "projectId": "missing"})
    assert response.status_code == 422 and "projectId" in response.json()["details"]["fieldErrors"]
    assert not Goal.objects.exists()


def test_list_goals_live_only_and_paged(api_client):
    first, second, gone = GoalFactory(), GoalFactory(), GoalFactory()
    services.delete_goal(goal_id=gone.pk)
    body = api_client.get("/api/goals").json()
    assert [row["id"] for row in body["data"]] == [first.pk, second.pk] and body["total"] == 2
    assert [r["id"] for r in api_client.get("/api/goals?limit=1").json()["data"]] == [first.pk]


def test_list_query_count_is_fixed(api_client, django_assert_max_num_queries):
    for _ in range(10):
        GoalFactory(project=ProjectFactory())
    api_client.get("/api/goals")
    with django_assert_max_num_queries(2 + AUTH_QUERIES):
        assert len(api_client.get("/api/goals").json()["data"]) == 10


def test_get_goal(api_client):
    goal = GoalFactory(title="g")
    response = api_client.get(f"/api/goals/{goal.pk}")
    assert response.status_code == 200 and response.json()["data"]["title"] == "g"
    services.delete_goal(goal_id=goal.pk)
    assert api_client.get(f"/api/goals/{goal.pk}").status_code == 404
    assert api_client.get("/api/goals/missing").status_code == 404


def test_patch_goal_allows_nulls_as_upstream(api_client):
    goal = GoalFactory(metric="m", unit="u")
    body = {"metric": None, "unit": None, "targetValue": None, "currentValue": 0.5, "status": "achieved"}
    response = api_client.patch(f"/api/goals/{goal.pk}", body)
    assert response.status_code == 200
    data = response.json()["data"]
    assert {key: data[key] for key in body} == body


def test_patch_goal_errors(api_client):
    goal = GoalFactory(title="keep")
    assert api_client.patch(f"/api/goals/{goal.pk}", {"title": None}).status_code == 400
    assert api_client.patch(f"/api/goals/{goal.pk}", {"status": "won"}).status_code == 400
    assert api_client.patch(f"/api/goals/{goal.pk}", {"title": "n", "projectId": "missing"}).status_code == 422
    assert api_client.patch("/api/goals/missing", {"title": "x"}).status_code == 404
    goal.refresh_from_db()
    assert goal.title == "keep"


def test_delete_goal(api_client):
    goal = GoalFactory()
    assert api_client.delete(f"/api/goals/{goal.pk}").status_code == 204
    assert Goal.all_objects.get(pk=goal.pk).deleted_at is not None
    assert api_client.delete(f"/api/goals/{goal.pk}").status_code == 404


def test_goals_require_auth(anon_client, read_client):
    goal = GoalFactory()
    assert anon_client.get("/api/goals").status_code == 401
    assert anon_client.get(f"/api/goals/{goal.pk}").status_code == 401
    assert read_client.get(f"/api/goals/{goal.pk}").status_code == 200
    assert read_client.post("/api/goals", {"title": "x"}).status_code == 403
    assert read_client.patch(f"/api/goals/{goal.pk}", {"title": "x"}).status_code == 403
    assert read_client.delete(f"/api/goals/{goal.pk}").status_code == 403
