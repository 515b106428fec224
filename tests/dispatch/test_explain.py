"""The claim and the queue are index walks: their plans read the partial dispatch indexes in order
(no Sort node), so their cost does not grow with the backlog."""
from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.db import connection
from django.utils import timezone

from dispatch import sql
from dispatch.selectors import eligible_issues
from tests.dispatch.helpers import analyze_issues, seed_todo_issues
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

CLAIM_PARAMS = {
    "token": "t", "agent": "a", "now": "2026-01-01T00:00:00Z",
    "lease_expires_at": "2026-01-01T00:30:00Z", "project_id": None,
    "actor": "agent:a", "changes": "{}", "lease_text": "2026-01-01T00:30:00Z",
}


def plan_nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def explain(statement: str, params) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, params)
        raw = cursor.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    return list(plan_nodes(plan))


@pytest.fixture
def backlog():
    """A few thousand issues: most todo (a fifth of them blocked), the rest finished, spread over
    two projects, with fresh planner statistics."""
    project = ProjectFactory()
    seed_todo_issues(3000, blocked_every=5)
    seed_todo_issues(1500, project_id=project.pk, blocked_every=5)
    seed_todo_issues(1500, status="done")
    analyze_issues()
    return project


@pytest.mark.postgres
def test_the_claim_walks_the_dispatch_index_without_sorting(backlog):
    nodes = explain(sql.claim_next(with_project=False), CLAIM_PARAMS)
    index_names = {node.get("Index Name") for node in nodes}
    assert "issue_dispatch_queue" in index_names
    assert not [node for node in nodes if node["Node Type"] == "Sort"]
    assert any(node["Node Type"] == "LockRows" for node in nodes)


@pytest.mark.postgres
def test_the_project_claim_walks_the_project_index_without_sorting(backlog):
    nodes = explain(sql.claim_next(with_project=True), {**CLAIM_PARAMS, "project_id": backlog.pk})
    assert "issue_dispatch_queue_project" in {node.get("Index Name") for node in nodes}
    assert not [node for node in nodes if node["Node Type"] == "Sort"]


@pytest.mark.postgres
def test_the_queue_page_walks_the_same_index(backlog):
    queryset = eligible_issues()[100:150]
    statement, params = queryset.query.sql_with_params()
    nodes = explain(statement, params)
    assert "issue_dispatch_queue" in {node.get("Index Name") for node in nodes}
    assert not [node for node in nodes if node["Node Type"] == "Sort"]


@pytest.mark.postgres
def test_the_reclaim_probe_reads_the_lease_index(backlog):
    from dispatch.services import _expired

    statement, params = _expired(timezone.now()).values("id")[:1].query.sql_with_params()
    nodes = explain(statement, params)
    assert "issue_claim_lease" in {node.get("Index Name") for node in nodes}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own planner")
def test_sqlite_picks_the_candidate_from_the_dispatch_index(backlog):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql.claim_candidate(with_project=False), CLAIM_PARAMS)
        plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
    assert "issue_dispatch_queue" in plan
    assert "TEMP B-TREE" not in plan  # no sort step
