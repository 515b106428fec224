import pytest

from integrations.common import BadPayload, Ignored
from integrations.github.parse import parse
from tests.integrations.helpers import payload


def mapped(name, event, **headers):
    return parse(
        payload=payload("github", name),
        headers={"X-GitHub-Event": event, "X-GitHub-Delivery": "guid-1", **headers},
    )


@pytest.mark.parametrize(
    ("name", "event", "severity", "source_id", "fingerprint"),
    [
        ("issues_opened", "issues", "medium", "issues.opened",
         "github:issues:octo-org/hello-world:1347"),
        ("issue_comment_created", "issue_comment", "low", "issue_comment.created",
         "github:issue_comment:octo-org/hello-world:1347"),
        ("pull_request_opened", "pull_request", "low", "pull_request.opened",
         "github:pull_request:octo-org/hello-world:42"),
        ("push", "push", "low", "push", "github:push:octo-org/hello-world:refs/heads/main"),
        ("check_run_completed_failure", "check_run", "high", "check_run.completed",
         "github:check_run:octo-org/hello-world:tests"),
        ("workflow_run_completed_failure", "workflow_run", "high", "workflow_run.completed",
         "github:workflow_run:octo-org/hello-world:CI"),
        ("dependabot_alert_created", "dependabot_alert", "high", "dependabot_alert.created",
         "github:dependabot_alert:octo-org/hello-world:2"),
        ("code_scanning_alert_created", "code_scanning_alert", "critical",
         "code_scanning_alert.created", "github:code_scanning_alert:octo-org/hello-world:10"),
        ("security_advisory_published", "security_advisory", "critical",
         "security_advisory.published", "github:security_advisory:GHSA-rf4j-j272-fj86"),
    ],
)
def test_mapped_events(name, event, severity, source_id, fingerprint):
    signal = mapped(name, event)
    assert signal.source == "github" and signal.type == event
    assert signal.severity == severity
    assert signal.source_id == source_id
    assert signal.fingerprint == fingerprint
    assert signal.delivery_id == "guid-1"
    assert signal.payload == payload("github", name)


def test_title_names_event_repo_and_sender():
    assert mapped("issues_opened", "issues").title == (
        "GitHub: issues on octo-org/hello-world by octocat"
    )


def test_missing_repository_and_sender_read_unknown():
    # security_advisory is a global event: no repository, no sender.
    assert mapped("security_advisory_published", "security_advisory").title == (
        "GitHub: security_advisory on unknown by unknown"
    )


def test_ping_is_acknowledged_not_stored():
    outcome = mapped("ping", "ping")
    assert isinstance(outcome, Ignored) and outcome.status == "ping"


@pytest.mark.parametrize(
    ("name", "event", "reason"),
    [
        ("star_created", "star", "not mapped"),
        ("dependabot_alert_fixed", "dependabot_alert", "closes an alert"),
        ("check_run_completed_success", "check_run", "only completed failures"),
    ],
)
def test_non_problems_are_ignored_with_a_reason(name, event, reason):
    outcome = mapped(name, event)
    assert isinstance(outcome, Ignored) and outcome.status == "ignored"
    assert reason in outcome.reason


def test_missing_event_header_is_a_bad_payload():
    with pytest.raises(BadPayload) as excinfo:
        parse(payload=payload("github", "issues_opened"), headers={})
    assert excinfo.value.field == "X-GitHub-Event"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p.update(repository="octo-org/hello-world"), "repository"),
        (lambda p: p.update(sender=["octocat"]), "sender"),
        (lambda p: p.pop("issue"), "issue.number"),
        (lambda p: p["issue"].pop("number"), "issue.number"),
        (lambda p: p.update(issue="1347"), "issue"),
    ],
)
def test_wrong_shape_is_a_bad_payload_naming_the_field(mutate, field):
    body = payload("github", "issues_opened")
    mutate(body)
    with pytest.raises(BadPayload) as excinfo:
        parse(payload=body, headers={"X-GitHub-Event": "issues"})
    assert excinfo.value.field == field


def test_missing_delivery_header_means_no_deduplication_key():
    signal = parse(payload=payload("github", "push"), headers={"X-GitHub-Event": "push"})
    assert signal.delivery_id is None


def test_overlong_delivery_id_is_hashed_to_fit():
    signal = mapped("push", "push", **{"X-GitHub-Delivery": "x" * 1000})
    assert signal.delivery_id.startswith("sha256:") and len(signal.delivery_id) <= 255
