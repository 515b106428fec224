import json

import pytest

from issues.models import Issue
from signals_app.models import Signal
from tests.integrations.helpers import (
    POSTHOG_SECRET,
    deliver,
    payload,
    payload_bytes,
    posthog_headers,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_secrets")]


def send(name=None, *, body=None, headers=None):
    body = payload_bytes("posthog", name) if body is None else body
    return deliver("posthog", body, posthog_headers() if headers is None else headers)


def test_genuine_alert_becomes_one_signal_and_issue():
    response = send("insight_alert_firing")
    assert response.status_code == 201, response.content
    signal, issue = response.json()["data"]["signal"], response.json()["data"]["issue"]
    assert signal["source"] == "posthog" and signal["type"] == "metric_change"
    assert issue["title"] == "PostHog: Daily signups 0% (recent)" and issue["priority"] == 4
    assert Signal.objects.get().delivery_id == "01936a6e-5c2b-7b1e-9f0a-3c2d1e4f5a6b"


def test_upstream_shape_with_bearer_secret():
    response = send("metric_change", headers={"Authorization": f"Bearer {POSTHOG_SECRET}"})
    assert response.status_code == 201
    assert response.json()["data"]["signal"]["severity"] == "high"


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-PostHog-Secret": "guess"}, {"X-PostHog-Secret": POSTHOG_SECRET[:-1]},
     {"Authorization": "Bearer guess"}],
)
def test_wrong_or_missing_secret_is_401_and_stores_nothing(headers):
    response = send("insight_alert_firing", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "Invalid webhook secret"
    assert not Signal.objects.exists() and not Issue.objects.exists()


def test_redelivered_event_uuid_creates_nothing_new():
    assert send("insight_alert_firing").status_code == 201
    again = send("insight_alert_firing")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert Signal.objects.count() == 1


def test_next_firing_of_the_same_alert_groups_onto_the_open_issue():
    assert send("insight_alert_firing").status_code == 201
    data = payload("posthog", "insight_alert_firing")
    data["event"]["uuid"] = "01936a77-0000-7000-8000-000000000002"
    again = send(body=json.dumps(data).encode())
    assert again.status_code == 200 and again.json()["status"] == "grouped"
    assert Issue.objects.get().occurrence_count == 2 and Signal.objects.count() == 2


def test_rotation(settings):
    settings.POSTHOG_WEBHOOK_SECRET = "next-secret, " + POSTHOG_SECRET
    assert send("metric_change", headers={"X-PostHog-Secret": "next-secret"}).status_code == 201
    assert send("metric_change").status_code == 200


def test_unconfigured_secret_is_503(settings):
    settings.POSTHOG_WEBHOOK_SECRET = ""
    response = send("metric_change")
    assert response.status_code == 503
    assert response.json()["error"].startswith("POSTHOG_WEBHOOK_SECRET is not configured")


@pytest.mark.parametrize("body", [b"", b"nope", b"[1, 2]", b'"text"', b"null"])
def test_authenticated_but_not_a_json_object_is_400(body):
    response = send(body=body)
    assert response.status_code == 400 and not Signal.objects.exists()


def test_wrong_shape_properties_is_400():
    response = send(body=b'{"event": {"event": "$pageview", "properties": "x"}}')
    assert response.status_code == 400
    assert "event.properties" in response.json()["details"]["fieldErrors"]
