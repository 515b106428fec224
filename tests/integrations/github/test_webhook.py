import json

import pytest

from issues.models import Issue, IssueRelation
from signals_app.models import Signal
from tests.integrations.helpers import (
    GITHUB_SECRET,
    deliver,
    github_headers,
    payload,
    payload_bytes,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_secrets")]


def send(name, event, *, body=None, **kwargs):
    body = payload_bytes("github", name) if body is None else body
    return deliver("github", body, github_headers(body, event, **kwargs))


def test_genuine_event_becomes_one_signal_and_issue():
    response = send("issues_opened", "issues", delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "created"
    signal, issue = body["data"]["signal"], body["data"]["issue"]
    assert signal["source"] == "github" and signal["type"] == "issues"
    assert signal["severity"] == "medium" and signal["sourceId"] == "issues.opened"
    assert signal["payload"] == payload("github", "issues_opened")
    assert issue["title"] == "GitHub: issues on octo-org/hello-world by octocat"
    assert issue["type"] == "signal" and issue["priority"] == 3 and issue["projectId"] is None
    stored = Signal.objects.get()
    assert stored.delivery_id == "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    assert stored.issue_id == issue["id"]
    assert Issue.objects.get().events.get(kind="created").actor == "webhook:github"


def test_no_bearer_key_is_needed_or_consulted():
    body = payload_bytes("github", "push")
    headers = github_headers(body, "push") | {"Authorization": "Bearer not-a-key"}
    assert deliver("github", body, headers).status_code == 201


def test_ping_answers_200_and_stores_nothing():
    response = send("ping", "ping")
    assert response.status_code == 200
    assert response.json() == {
        "data": None, "status": "ping", "reason": "GitHub ping received: the webhook is set up"
    }
    assert not Signal.objects.exists() and not Issue.objects.exists()


@pytest.mark.parametrize(
    ("name", "event"),
    [("star_created", "star"), ("dependabot_alert_fixed", "dependabot_alert"),
     ("check_run_completed_success", "check_run")],
)
def test_ignored_events_answer_200_with_a_reason_and_store_nothing(name, event):
    response = send(name, event)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored" and response.json()["reason"]
    assert response.json()["data"] is None
    assert not Signal.objects.exists()


def _forgeries():
    body = payload_bytes("github", "issues_opened")
    good = github_headers(body, "issues")
    flipped = bytearray(body)
    flipped[body.index(b"Safari")] ^= 0x20  # "Safari" → "safari"
    reserialised = json.dumps(json.loads(body), separators=(",", ":")).encode()
    without = {k: v for k, v in good.items() if k != "X-Hub-Signature-256"}
    return {
        "missing": (body, without),
        "wrong secret": (body, github_headers(body, "issues", secret="guess")),
        "truncated": (body, good | {"X-Hub-Signature-256": good["X-Hub-Signature-256"][:-8]}),
        "not hex": (body, good | {"X-Hub-Signature-256": "sha256=" + "g" * 64}),
        "sha1 only": (body, without | {"X-Hub-Signature": "sha1=" + "0" * 40}),
        "flipped byte": (bytes(flipped), good),
        "re-serialised": (reserialised, good),
        "other body's signature": (b'{"zen": "hi"}', good),
    }


@pytest.mark.parametrize("case", list(_forgeries()))
def test_forged_deliveries_are_401_and_store_nothing(case):
    body, headers = _forgeries()[case]
    response = deliver("github", body, headers)
    assert response.status_code == 401
    assert response.json()["error"] == "Invalid webhook signature"
    assert Signal.objects.count() == 0 and Issue.objects.count() == 0


def test_rotated_secrets_both_verify(settings):
    settings.GITHUB_WEBHOOK_SECRET = f" new-secret , {GITHUB_SECRET} ,"
    assert send("push", "push", secret="new-secret").status_code == 201
    assert send("push", "push", secret=GITHUB_SECRET).status_code == 200  # grouped
    assert send("push", "push", secret="retired").status_code == 401
    assert Signal.objects.count() == 2


def test_unconfigured_secret_is_503_naming_the_setting(settings):
    settings.GITHUB_WEBHOOK_SECRET = " , "
    response = send("issues_opened", "issues")
    assert response.status_code == 503
    assert response.json()["error"].startswith("GITHUB_WEBHOOK_SECRET is not configured")
    assert not Signal.objects.exists()


def test_redelivery_in_sequence_creates_nothing_new():
    first = send("issues_opened", "issues", delivery="guid-1")
    again = send("issues_opened", "issues", delivery="guid-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["data"]["signal"]["id"] == first.json()["data"]["signal"]["id"]
    assert Signal.objects.count() == 1 and Issue.objects.count() == 1
    assert Issue.objects.get().occurrence_count == 1


def test_repeated_check_failure_groups_onto_the_open_issue():
    first = send("check_run_completed_failure", "check_run")
    second = send("check_run_completed_failure", "check_run")
    assert first.status_code == 201 and second.status_code == 200
    assert second.json()["status"] == "grouped"
    issue = Issue.objects.get()
    assert issue.occurrence_count == 2 and Signal.objects.filter(issue=issue).count() == 2
    assert issue.fingerprint == "github:check_run:octo-org/hello-world:tests"


def test_check_failure_after_the_issue_is_closed_is_a_related_regression():
    first = send("check_run_completed_failure", "check_run").json()["data"]["issue"]
    Issue.objects.filter(pk=first["id"]).update(status="done")
    again = send("check_run_completed_failure", "check_run")
    assert again.status_code == 201 and again.json()["regressionOf"] == first["id"]
    new_issue = again.json()["data"]["issue"]["id"]
    assert IssueRelation.objects.filter(
        issue_id=new_issue, related_issue_id=first["id"], type="related"
    ).exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "Malformed JSON in request body"),
        (b'["a", "list"]', "Expected a JSON object"),
        (b'{"action": "opened", "issue": {"number": NaN}}', "Malformed JSON in request body"),
        (b"\xff\xfe{}", "Malformed JSON in request body"),
        (b'{"action": "opened", "repository": "octo-org/hello-world"}', "'repository' must be"),
    ],
)
def test_signed_but_malformed_body_is_400_and_stores_nothing(body, message):
    response = send("issues_opened", "issues", body=body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Signal.objects.exists() and not Issue.objects.exists()


def test_missing_event_header_is_400():
    body = payload_bytes("github", "push")
    headers = github_headers(body, "push")
    del headers["X-GitHub-Event"]
    response = deliver("github", body, headers)
    assert response.status_code == 400
    assert "X-GitHub-Event" in response.json()["details"]["fieldErrors"]


def test_nul_characters_are_replaced_not_fatal():
    data = payload("github", "issues_opened")
    data["issue"]["body"] = "bad\u0000byte and \ud800"
    body = json.dumps(data).encode()
    assert send("issues_opened", "issues", body=body).status_code == 201
    assert Signal.objects.get().payload["issue"]["body"] == "bad\ufffdbyte and \ufffd"


def test_large_payload_within_githubs_cap_is_accepted():
    # Above Django's 2.5 MB DATA_UPLOAD_MAX_MEMORY_SIZE: the body is streamed, not request.body.
    data = payload("github", "push")
    data["commits"] = data["commits"] * 6000
    body = json.dumps(data).encode()
    assert len(body) > 3 * 1024 * 1024
    assert send("push", "push", body=body).status_code == 201


def test_get_is_not_allowed():
    from django.test import Client

    assert Client().get("/api/signals/github").status_code == 405


def test_signature_is_checked_before_the_event_is_considered():
    body = payload_bytes("github", "star_created")
    headers = github_headers(body, "star") | {"X-Hub-Signature-256": "sha256=" + "0" * 64}
    assert deliver("github", body, headers).status_code == 401

