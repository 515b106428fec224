"""GET /api/dashboard/stats and GET /api/dashboard/activity."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from issues import services
from issues.models import Issue
from tests.factories import GoalFactory, IssueFactory
from tests.issues.conftest import AUTH_QUERIES

pytestmark = pytest.mark.django_db


def test_stats_counts_live_rows(api_client):
    IssueFactory(status="todo", type="task")
    IssueFactory(status="todo", type="signal")
    IssueFactory(status="backlog", type="plan")
    IssueFactory(status="in_progress", type="task")
    IssueFactory(status="done", type="task")
    old_done = IssueFactory(status="done", type="monitor")
    Issue.objects.filter(pk=old_done.pk).update(completed_at=timezone.now() - timedelta(hours=25))
    IssueFactory(status="canceled", type="hypothesis")
    gone = IssueFactory(status="todo")
    services.delete_issue(issue_id=gone.pk, actor="t")
    GoalFactory(status="active")
    GoalFactory(status="achieved")
    GoalFactory(status="abandoned")
    deleted_goal = GoalFactory(status="active")
    services.delete_goal(goal_id=deleted_goal.pk)

    response = api_client.get("/api/dashboard/stats")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["issues"] == {
        "total": 7,
        "byStatus": {"triage": 0, "backlog": 1, "todo": 2, "in_progress": 1, "done": 2, "canceled": 1},
        "byType": {"signal": 1, "hypothesis": 1, "plan": 1, "task": 3, "monitor": 1},
    }
    assert data["goals"] == {"total": 3, "active": 1, "achieved": 1, "abandoned": 1}
    # queueDepth is todo + backlog; numbers are numbers, never strings.
    assert data["dispatch"] == {"queueDepth": 3, "activeCount": 1, "completedLast24h": 1}


def test_stats_on_an_empty_database(api_client):
    data = api_client.get("/api/dashboard/stats").json()["data"]
    assert data["issues"]["total"] == 0 and data["goals"]["total"] == 0
    assert data["dispatch"] == {"queueDepth": 0, "activeCount": 0, "completedLast24h": 0}


def test_stats_query_count_is_fixed(api_client, django_assert_max_num_queries):
    for status in ("todo", "done", "backlog"):
        IssueFactory(status=status)
    GoalFactory()
    api_client.get("/api/dashboard/stats")
    with django_assert_max_num_queries(3 + AUTH_QUERIES):
        assert api_client.get("/api/dashboard/stats").status_code == 200


def test_dashboard_requires_auth(anon_client, read_client):
    assert anon_client.get("/api/dashboard/stats").status_code == 401
    assert anon_client.get("/api/dashboard/activity").status_code == 401
    assert read_client.get("/api/dashboard/stats").status_code == 200
    assert read_client.get("/api/dashboard/activity").status_code == 200


def _touch(issue, minutes_ago):
    Issue.all_objects.filter(pk=issue.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes_ago))


def test_activity_chains_ordered_by_latest_activity_of_root_or_child(api_client):
    quiet_root = IssueFactory(type="signal", title="quiet")
    busy_root = IssueFactory(type="signal", title="busy child")
    lone = IssueFactory(type="task", title="lone")
    child = IssueFactory(parent=busy_root, type="task")
    other = IssueFactory()
    relation = services.add_relation(issue_id=child.pk, related_issue_id=other.pk, type="related", actor="t")
    gone_child = IssueFactory(parent=quiet_root)
    services.delete_issue(issue_id=gone_child.pk, actor="t")
    _touch(quiet_root, 30)
    _touch(busy_root, 60)  # the root is old, but its child moved a minute ago
    _touch(child, 1)
    _touch(lone, 10)
    _touch(other, 120)

    response = api_client.get("/api/dashboard/activity")
    assert response.status_code == 200
    body = response.json()
    assert [chain["root"]["id"] for chain in body["data"]] == [busy_root.pk, lone.pk, quiet_root.pk, other.pk]
    assert body["total"] == 4
    busy = body["data"][0]
    assert set(busy) == {"root", "children", "latestActivity"}
    assert [c["issue"]["id"] for c in busy["children"]] == [child.pk]
    assert [r["id"] for r in busy["children"][0]["relations"]] == [relation.pk]
    assert busy["latestActivity"] == busy["children"][0]["issue"]["updatedAt"]
    assert body["data"][2]["children"] == []  # the deleted child is not shown


def test_activity_limit_defaults_to_20_and_total_is_items_returned(api_client):
    for _ in range(22):
        IssueFactory()
    body = api_client.get("/api/dashboard/activity").json()
    assert len(body["data"]) == 20 and body["total"] == 20
    body = api_client.get("/api/dashboard/activity?limit=3").json()
    assert len(body["data"]) == 3 and body["total"] == 3


@pytest.mark.parametrize("limit", ["0", "201", "x", "-1"])
def test_activity_rejects_bad_limit(api_client, limit):
    response = api_client.get(f"/api/dashboard/activity?limit={limit}")
    assert response.status_code == 400 and "limit" in response.json()["details"]["fieldErrors"]


def test_activity_query_count_is_fixed(api_client, django_assert_max_num_queries):
    for _ in range(5):
        root = IssueFactory()
        for _ in range(3):
            child = IssueFactory(parent=root)
            services.add_relation(issue_id=child.pk, related_issue_id=root.pk, type="related", actor="t")
    api_client.get("/api/dashboard/stats")
    with django_assert_max_num_queries(3 + AUTH_QUERIES):
        body = api_client.get("/api/dashboard/activity").json()
    assert len(body["data"]) == 5 and all(len(chain["children"]) == 3 for chain in body["data"])
