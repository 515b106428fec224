"""Real concurrent writers on PostgreSQL: the unique constraints settle every race."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from issues.models import Issue, IssueEvent
from signals_app.models import Signal
from signals_app.services import ingest_signal

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SENDERS = 20


def _race(calls):
    """Run each call in its own thread and connection, all released at once."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=10)
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _ingest(**overrides):
    fields = {
        "source": "github",
        "type": "check_run",
        "severity": "high",
        "payload": {"message": "tests failed"},
        "actor": "webhook:github",
    }
    fields.update(overrides)
    return lambda: ingest_signal(**fields)


def test_parallel_redeliveries_store_one_signal():
    results = _race([_ingest(delivery_id="delivery-1") for _ in range(SENDERS)])
    assert Signal.objects.count() == 1 and Issue.objects.count() == 1
    assert sum(r.created for r in results) == 1
    assert sum(r.duplicate for r in results) == SENDERS - 1
    stored = Signal.objects.get()
    assert {r.signal.pk for r in results} == {stored.pk}
    assert {r.issue.pk for r in results} == {stored.issue_id}


def test_parallel_first_occurrences_open_one_issue():
    calls = [
        _ingest(delivery_id=f"d-{n}", fingerprint="github:check_run:o/r:tests")
        for n in range(SENDERS)
    ]
    results = _race(calls)
    issue = Issue.objects.get()
    assert Signal.objects.filter(issue=issue).count() == SENDERS  # nothing lost
    assert issue.occurrence_count == SENDERS  # every occurrence counted exactly once
    assert sum(r.created for r in results) == 1 and sum(r.grouped for r in results) == SENDERS - 1
    assert IssueEvent.objects.filter(issue=issue, kind="occurrence").count() == SENDERS - 1


def test_parallel_redeliveries_of_a_grouped_signal_count_once():
    ingest_signal(
        source="sentry", type="created", severity="high", payload={}, fingerprint="sentry:issue:1",
        delivery_id="first", actor="webhook:sentry",
    )
    results = _race(
        [
            _ingest(source="sentry", fingerprint="sentry:issue:1", delivery_id="second")
            for _ in range(SENDERS)
        ]
    )
    issue = Issue.objects.get()
    assert Signal.objects.count() == 2 and issue.occurrence_count == 2
    assert sum(r.grouped for r in results) == 1 and sum(r.duplicate for r in results) == SENDERS - 1


def test_parallel_regressions_open_one_new_issue():
    first = ingest_signal(
        source="ci", type="failed", severity="low", payload={}, fingerprint="ci:main", actor="t"
    )
    Issue.objects.filter(pk=first.issue.pk).update(status="done")
    results = _race([_ingest(source="ci", fingerprint="ci:main") for _ in range(8)])
    reopened = Issue.objects.exclude(pk=first.issue.pk)
    assert reopened.count() == 1
    assert reopened.get().occurrence_count == 8
    assert sum(r.created for r in results) == 1
    assert [r.regression_of.pk for r in results if r.created] == [first.issue.pk]
