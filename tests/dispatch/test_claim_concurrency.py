"""Claims under real concurrency: PostgreSQL, real threads, one database connection per thread
(closed when the thread ends). Every claim must hand out each issue exactly once and lose none."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TypeVar

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from dispatch import services
from dispatch.services import claim_next_issue, reclaim_stale
from issues import services as issue_services
from issues.models import Issue, IssueEvent
from tests.dispatch.helpers import seed_todo_issues
from tests.factories import IssueFactory, make_api_key

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

T = TypeVar("T")


def run_in_threads(count: int, work: Callable[[int], T]) -> list[T]:
    """Start ``count`` threads together (a barrier), each running ``work(index)`` on its own
    connection, and return their results. Exceptions propagate."""
    barrier = threading.Barrier(count)

    def thread_main(index: int) -> T:
        try:
            barrier.wait(timeout=30)
            return work(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(thread_main, range(count)))


def drain(agent_name: str) -> list[str]:
    claimed = []
    while (claim := claim_next_issue(agent_name=agent_name)) is not None:
        claimed.append(claim.issue.pk)
    return claimed


@pytest.mark.parametrize("path", ["skip_locked", "compare_and_set"])
def test_concurrent_claimers_drain_the_queue_claiming_each_issue_exactly_once(path, monkeypatch):
    if path == "compare_and_set":
        monkeypatch.setattr(services, "uses_skip_locked", lambda: False)
    count, threads = (2000, 16) if path == "skip_locked" else (400, 8)
    seeded = seed_todo_issues(count, blocked_every=10)
    eligible = set(Issue.objects.filter(is_blocked=False).values_list("pk", flat=True))

    per_thread = run_in_threads(threads, lambda index: drain(f"agent-{index}"))

    claimed = [issue_id for batch in per_thread for issue_id in batch]
    assert len(claimed) == len(eligible) == count - count // 10
    assert set(claimed) == eligible  # none lost, none claimed twice, no blocked one
    assert sum(1 for batch in per_thread if batch) > 1  # the claimers really did overlap
    rows = Issue.objects.filter(pk__in=seeded)
    assert rows.filter(status="in_progress").count() == len(eligible)
    assert set(rows.filter(status="in_progress").values_list("dispatch_attempts", flat=True)) == {1}
    assert rows.filter(status="todo", is_blocked=True).count() == count // 10
    events = Counter(IssueEvent.objects.filter(kind="claimed").values_list("issue_id", flat=True))
    assert set(events.values()) == {1} and set(events) == eligible
    # Each issue is held by the agent whose thread got it back.
    owners = dict(rows.values_list("pk", "claimed_by"))
    for index, batch in enumerate(per_thread):
        assert all(owners[issue_id] == f"agent-{index}" for issue_id in batch)


@pytest.mark.parametrize("path", ["skip_locked", "compare_and_set"])
def test_many_claimers_released_together_on_one_issue_have_exactly_one_winner(path, monkeypatch):
    if path == "compare_and_set":
        monkeypatch.setattr(services, "uses_skip_locked", lambda: False)
    issue = IssueFactory()

    results = run_in_threads(32, lambda index: claim_next_issue(agent_name=f"agent-{index}"))

    winners = [claim for claim in results if claim is not None]
    assert len(winners) == 1
    issue.refresh_from_db()
    assert issue.status == "in_progress"
    assert issue.claim_token == winners[0].claim_token
    assert issue.dispatch_attempts == 1
    assert IssueEvent.objects.filter(issue=issue, kind="claimed").count() == 1


def test_concurrent_http_claimers_each_get_distinct_issues_then_204():
    seeded = set(seed_todo_issues(40))
    keys = [make_api_key(name=f"http-agent-{index}", scopes=["dispatch"])[1] for index in range(4)]

    def http_drain(index: int) -> tuple[list[str], int]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {keys[index]}")
        claimed = []
        while True:
            response = client.get("/api/dispatch/next")
            if response.status_code == 204:
                return claimed, 204
            assert response.status_code == 200, response.content
            body = response.json()
            assert body["data"]["claimToken"] == body["claimToken"]
            claimed.append(body["issue"]["id"])

    results = run_in_threads(4, http_drain)
    claimed = [issue_id for batch, _ in results for issue_id in batch]
    assert len(claimed) == len(set(claimed)) == 40
    assert set(claimed) == seeded
    assert {status for _, status in results} == {204}


def test_claim_skips_an_issue_being_blocked_in_an_open_transaction():
    """A concurrent write that blocks an issue holds that issue's row lock until it commits: the
    claim passes the row over instead of waiting, and never returns it once the block commits."""
    target = IssueFactory(priority=1)
    blocker = IssueFactory(priority=4, status="backlog")
    fallback = IssueFactory(priority=4)
    relation_added = threading.Event()
    claim_done = threading.Event()

    def blocker_writer() -> None:
        try:
            with transaction.atomic():
                issue_services.add_relation(
                    issue_id=target.pk, related_issue_id=blocker.pk, type="blocked_by", actor="s"
                )
                relation_added.set()
                assert claim_done.wait(timeout=30)
        finally:
            connection.close()

    def claimer() -> str | None:
        try:
            assert relation_added.wait(timeout=30)
            claim = claim_next_issue(agent_name="racer")
            claim_done.set()
            return claim.issue.pk if claim else None
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        writer = pool.submit(blocker_writer)
        claimed = pool.submit(claimer)
        assert claimed.result(timeout=60) == fallback.pk
        writer.result(timeout=60)

    target.refresh_from_db()
    assert target.is_blocked and target.status == "todo"
    assert claim_next_issue(agent_name="later") is None


def test_concurrent_reclaimers_reclaim_each_expired_lease_once():
    seed_todo_issues(300)
    while claim_next_issue(agent_name="crashed") is not None:
        pass
    Issue.objects.filter(status="in_progress").update(
        lease_expires_at=timezone.now() - timedelta(minutes=1)
    )

    reports = run_in_threads(4, lambda index: reclaim_stale(batch_size=25))

    assert sum(report.total for report in reports) == 300
    reclaimed = [entry.issue_id for report in reports for entry in report.requeued]
    assert len(set(reclaimed)) == 300
    assert Issue.objects.filter(status="todo").count() == 300
    events = Counter(IssueEvent.objects.filter(kind="lease_expired").values_list("issue_id", flat=True))
    assert len(events) == 300 and set(events.values()) == {1}
