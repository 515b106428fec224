"""Bursts of real HTTP deliveries from parallel senders, on PostgreSQL."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from issues.models import Issue
from signals_app.models import Signal
from tests.integrations.helpers import (
    deliver,
    github_headers,
    payload_bytes,
    posthog_headers,
    sentry_headers,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("webhook_secrets"),
]

SENDERS = 20


def _burst(requests):
    barrier = threading.Barrier(len(requests))

    def run(request):
        provider, body, headers = request
        try:
            barrier.wait(timeout=10)
            return deliver(provider, body, headers, client=Client())
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(run, requests))


def _one_delivery(provider):
    if provider == "github":
        body = payload_bytes("github", "issues_opened")
        return body, github_headers(body, "issues", delivery="7a1d-parallel")
    if provider == "sentry":
        body = payload_bytes("sentry", "issue_created")
        return body, sentry_headers(body, "issue", request_id="5e1f-parallel")
    return payload_bytes("posthog", "insight_alert_firing"), posthog_headers()  # event.uuid


@pytest.mark.parametrize("provider", ["github", "sentry", "posthog"])
def test_twenty_parallel_copies_of_one_delivery_make_one_signal(provider):
    body, headers = _one_delivery(provider)
    responses = _burst([(provider, body, headers)] * SENDERS)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * (SENDERS - 1) + [201]
    assert {r.json()["status"] for r in responses if r.status_code == 200} == {"duplicate"}
    assert Signal.objects.count() == 1 and Issue.objects.count() == 1
    assert len({r.json()["data"]["signal"]["id"] for r in responses}) == 1


def test_parallel_distinct_deliveries_of_one_problem_open_one_issue():
    body = payload_bytes("sentry", "error_created")
    requests = [("sentry", body, sentry_headers(body, "error")) for _ in range(SENDERS)]
    responses = _burst(requests)
    assert sorted(r.status_code for r in responses) == [200] * (SENDERS - 1) + [201]
    issue = Issue.objects.get()
    assert issue.occurrence_count == SENDERS
    assert Signal.objects.filter(issue=issue).count() == SENDERS
