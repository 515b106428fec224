import pytest

from integrations.posthog.parse import parse, severity_for
from tests.integrations.helpers import payload


def mapped(body):
    return parse(payload=body, headers={})


def test_upstream_metric_change_shape():
    signal = mapped(payload("posthog", "metric_change"))
    assert signal.source == "posthog" and signal.type == "metric_change"
    assert signal.title == "PostHog: checkout_conversion -32.5% (last 24 hours)"
    assert signal.severity == "high"  # |−32.5| ≥ 25
    assert signal.fingerprint == "posthog:metric:checkout_conversion"
    assert signal.delivery_id is None


def test_stock_insight_alert_destination_shape():
    signal = mapped(payload("posthog", "insight_alert_firing"))
    assert signal.title == "PostHog: Daily signups 0% (recent)"
    assert signal.severity == "low"
    assert signal.fingerprint == "posthog:alert:01936a4b-7f10-7c3a-8d2e-1a2b3c4d5e6f"
    assert signal.delivery_id == signal.source_id == "01936a6e-5c2b-7b1e-9f0a-3c2d1e4f5a6b"


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ({"name": "signups", "value": 12}, "PostHog: signups 12% (recent)"),
        ({"event": {"name": "dau"}, "name": "ignored", "value": 50.0}, "PostHog: dau 50% (recent)"),
        ({"value": "lots"}, "PostHog: unknown_metric 0% (recent)"),
        ({"name": "x", "value": True, "timeframe": "7d"}, "PostHog: x 0% (7d)"),
        ({"event": "pageview_drop", "value": -0.5}, "PostHog: pageview_drop -0.5% (recent)"),
    ],
)
def test_title_follows_upstream_rules(body, title):
    assert mapped(body).title == title


@pytest.mark.parametrize(
    ("change", "severity"),
    [(0, "low"), (9.99, "low"), (10, "medium"), (-25, "high"), (49.9, "high"), (-50, "critical"),
     (300, "critical")],
)
def test_severity_from_absolute_change(change, severity):
    assert severity_for(change) == severity


def test_no_metric_means_no_fingerprint():
    assert mapped({"value": 5}).fingerprint is None
