import pytest

from integrations.common import BadPayload, Ignored
from integrations.sentry.parse import parse, severity_for
from tests.integrations.helpers import payload


def mapped(name, resource, body=None, **headers):
    return parse(
        payload=payload("sentry", name) if body is None else body,
        headers={"Sentry-Hook-Resource": resource, "Request-ID": "req-1", **headers}
        if resource else {"Request-ID": "req-1", **headers},
    )


def test_issue_created():
    signal = mapped("issue_created", "issue")
    assert signal.source == "sentry" and signal.type == "created"
    assert signal.severity == "high"  # level error, 1 event
    assert signal.title == "Sentry: ReferenceError: blooopy is not defined (1 events)"
    assert signal.source_id == "1170820242"
    assert signal.fingerprint == "sentry:issue:1170820242"
    assert signal.delivery_id == "req-1"


def test_error_and_event_alert_share_the_sentry_issue_fingerprint():
    error = mapped("error_created", "error")
    alert = mapped("event_alert_triggered", "event_alert")
    assert error.fingerprint == alert.fingerprint == "sentry:issue:1170820242"
    assert (error.type, alert.type) == ("created", "triggered")
    assert error.title == "Sentry: ReferenceError: blooopy is not defined (1 events)"


def test_metric_alert_critical():
    signal = mapped("metric_alert_critical", "metric_alert")
    assert signal.severity == "critical" and signal.type == "critical"
    assert signal.title.startswith("Sentry: Critical: Too many errors (1000 events")
    assert signal.fingerprint == "sentry:metric_alert:7" and signal.source_id == "4"


@pytest.mark.parametrize(
    ("level", "count", "severity"),
    [("fatal", 1, "critical"), ("error", 100, "critical"), ("error", 99, "high"),
     ("warning", 5000, "medium"), ("info", 1, "low"), ("debug", 1, "low")],
)
def test_severity_rules(level, count, severity):
    assert severity_for(level, count) == severity


def test_high_event_count_issue_is_critical():
    body = payload("sentry", "issue_created")
    body["data"]["issue"]["count"] = "150"
    signal = mapped(None, "issue", body=body)
    assert signal.severity == "critical" and "(150 events)" in signal.title


def test_missing_fields_take_upstream_defaults():
    signal = mapped(None, "issue", body={"action": "created", "data": {"issue": {}}})
    assert signal.title == "Sentry: Unknown error (1 events)"
    assert signal.severity == "high" and signal.fingerprint is None and signal.source_id is None


def test_resource_is_inferred_when_the_header_is_missing():
    signal = mapped("error_created", None)
    assert signal.fingerprint == "sentry:issue:1170820242"


def test_body_without_action_is_an_event_signal_as_upstream():
    body = payload("sentry", "issue_created")
    del body["action"]
    assert mapped(None, "issue", body=body).type == "event"


@pytest.mark.parametrize(
    ("name", "resource"),
    [("issue_resolved", "issue"), ("metric_alert_resolved", "metric_alert"),
     ("installation_created", "installation")],
)
def test_non_problems_are_ignored(name, resource):
    outcome = mapped(name, resource)
    assert isinstance(outcome, Ignored) and outcome.reason


def test_unknown_body_without_resource_is_ignored():
    assert isinstance(mapped(None, None, body={"action": "created", "data": {}}), Ignored)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "created", "data": "text"}, "data"),
        ({"action": "created", "data": {"issue": ["x"]}}, "data.issue"),
        ({"action": 7, "data": {"issue": {}}}, "action"),
    ],
)
def test_wrong_shape_is_a_bad_payload(body, field):
    with pytest.raises(BadPayload) as excinfo:
        mapped(None, "issue", body=body)
    assert excinfo.value.field == field
