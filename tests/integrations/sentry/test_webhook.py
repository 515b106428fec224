import json

import pytest

from issues.models import Issue, IssueRelation
from signals_app.models import Signal
from tests.integrations.helpers import (
    SENTRY_SECRET,
    deliver,
    hmac_hex,
    payload,
    payload_bytes,
    sentry_headers,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_secrets")]


def send(name, resource, *, body=None, **kwargs):
    body = payload_bytes("sentry", name) if body is None else body
    return deliver("sentry", body, sentry_headers(body, resource, **kwargs))


def test_genuine_issue_alert_becomes_one_signal_and_issue():
    response = send("issue_created", "issue", request_id="5e1f3a4c-0000-4000-8000-000000000001")
    assert response.status_code == 201, response.content
    signal, issue = response.json()["data"]["signal"], response.json()["data"]["issue"]
    assert signal["source"] == "sentry" and signal["type"] == "created"
    assert signal["sourceId"] == "1170820242" and signal["severity"] == "high"
    assert issue["title"] == "Sentry: ReferenceError: blooopy is not defined (1 events)"
    assert issue["priority"] == 2
    assert Signal.objects.get().delivery_id == "5e1f3a4c-0000-4000-8000-000000000001"


def test_error_then_alert_for_the_same_sentry_issue_group_onto_one_loop_issue():
    assert send("issue_created", "issue").status_code == 201
    assert send("error_created", "error").json()["status"] == "grouped"
    assert send("event_alert_triggered", "event_alert").json()["status"] == "grouped"
    issue = Issue.objects.get()
    assert issue.occurrence_count == 3 and Signal.objects.count() == 3


def test_escalating_event_count_raises_the_open_issue_to_urgent():
    send("issue_created", "issue")
    busy = payload("sentry", "issue_created")
    busy["action"] = "unresolved"
    busy["data"]["issue"]["count"] = "250"
    response = send(None, "issue", body=json.dumps(busy, separators=(",", ":")).encode())
    assert response.status_code == 200 and response.json()["status"] == "grouped"
    assert Issue.objects.get().priority == 1


def test_regression_after_the_issue_is_closed():
    first = send("issue_created", "issue").json()["data"]["issue"]["id"]
    Issue.objects.filter(pk=first).update(status="canceled")
    again = send("error_created", "error")
    assert again.status_code == 201 and again.json()["regressionOf"] == first
    assert IssueRelation.objects.filter(related_issue_id=first, type="related").count() == 1


def test_pretty_body_signed_in_compact_form_is_accepted_as_upstream():
    compact = payload_bytes("sentry", "issue_created")
    pretty = json.dumps(json.loads(compact), indent=2).encode()
    headers = sentry_headers(compact, "issue")
    assert deliver("sentry", pretty, headers).status_code == 201


def _forgeries():
    body = payload_bytes("sentry", "issue_created")
    good = sentry_headers(body, "issue")
    flipped = bytearray(body)
    flipped[body.index(b"blooopy")] ^= 0x01
    pretty = json.dumps(json.loads(body), indent=2).encode()
    without = {k: v for k, v in good.items() if k != "Sentry-Hook-Signature"}
    return {
        "missing": (body, without),
        "wrong secret": (body, sentry_headers(body, "issue", secret="guess")),
        "truncated": (body, good | {"Sentry-Hook-Signature": good["Sentry-Hook-Signature"][:32]}),
        "not hex": (body, good | {"Sentry-Hook-Signature": "z" * 64}),
        "flipped byte": (bytes(flipped), good),
        # Signed over its own pretty bytes, then re-serialised on the way: not what was signed.
        "re-serialised": (body, sentry_headers(pretty, "issue")),
    }


@pytest.mark.parametrize("case", list(_forgeries()))
def test_forged_deliveries_are_401_and_store_nothing(case):
    body, headers = _forgeries()[case]
    response = deliver("sentry", body, headers)
    assert response.status_code == 401
    assert response.json()["error"] == "Invalid webhook signature"
    assert Signal.objects.count() == 0 and Issue.objects.count() == 0


def test_rotation(settings):
    settings.SENTRY_CLIENT_SECRET = f"{SENTRY_SECRET},next-secret"
    assert send("issue_created", "issue", secret="next-secret").status_code == 201
    assert send("error_created", "error", secret=SENTRY_SECRET).status_code == 200


def test_unconfigured_secret_is_503(settings):
    settings.SENTRY_CLIENT_SECRET = ""
    response = send("issue_created", "issue")
    assert response.status_code == 503
    assert "SENTRY_CLIENT_SECRET" in response.json()["error"]


def test_redelivery_with_the_same_request_id_creates_nothing_new():
    assert send("issue_created", "issue", request_id="req-1").status_code == 201
    again = send("issue_created", "issue", request_id="req-1")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert Signal.objects.count() == 1 and Issue.objects.get().occurrence_count == 1


@pytest.mark.parametrize(
    ("name", "resource"),
    [("issue_resolved", "issue"), ("metric_alert_resolved", "metric_alert"),
     ("installation_created", "installation")],
)
def test_non_problem_deliveries_are_ignored(name, resource):
    response = send(name, resource)
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert not Signal.objects.exists()


def test_signed_non_json_is_400():
    body = b"<html>not json</html>"
    response = deliver("sentry", body, sentry_headers(body, "issue"))
    assert response.status_code == 400 and not Signal.objects.exists()


def test_signed_wrong_shape_is_400_naming_the_field():
    body = b'{"action":"created","data":{"issue":"1170820242"}}'
    response = deliver("sentry", body, sentry_headers(body, "issue"))
    assert response.status_code == 400
    assert response.json()["details"]["fieldErrors"] == {
        "data.issue": ["'data.issue' must be a JSON object"]
    }
    assert not Signal.objects.exists()


def test_signature_of_another_delivery_is_401():
    # A genuine signature, but of a different delivery.
    other = payload_bytes("sentry", "error_created")
    body = payload_bytes("sentry", "issue_created")
    headers = sentry_headers(body, "issue")
    headers["Sentry-Hook-Signature"] = hmac_hex(SENTRY_SECRET, other)
    assert deliver("sentry", body, headers).status_code == 401
