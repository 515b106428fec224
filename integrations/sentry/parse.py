"""Map a verified Sentry integration-platform delivery to a signal.

The resource comes from ``Sentry-Hook-Resource`` (inferred from the body when the header is
absent, for senders written against upstream Loop); the delivery id from ``Request-ID``.

================  ==============================  ======================================
resource          actions that become signals     read from
================  ==============================  ======================================
issue             created, unresolved             ``data.issue`` (title, count, level, id)
error             created                         ``data.error`` (title, level, issue_id)
event_alert       triggered                       ``data.event`` (title, level, issue_id)
metric_alert      critical, warning               ``data.metric_alert``, ``data.description_title``
================  ==============================  ======================================

A body without ``action`` (as upstream Loop's own examples send) is a signal of type ``event``.
Everything else (issue resolved/assigned/archived, metric alert resolved, installation, comment,
seer, ...) is acknowledged without storing anything.

Severity: level fatal → critical; error with at least 100 events → critical; error → high;
warning → medium; anything else → low (a missing level reads ``error``). Metric alerts: critical →
critical, warning → medium. Title ``Sentry: <title> (<count> events)``; type = the action; source
id = the Sentry issue id (the incident id for metric alerts).

Fingerprints: ``sentry:issue:<Sentry issue id>`` for issue, error and event_alert deliveries (so an
error, its alert and its issue all land on one Loop issue); ``sentry:metric_alert:<alert rule
id>`` for metric alerts.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from integrations.common import BadPayload, Ignored, SignalIn, clip, header_id, object_at, text_at
from signals_app.fingerprint import make_fingerprint

SOURCE = "sentry"
RESOURCE_HEADER = "Sentry-Hook-Resource"
DELIVERY_HEADER = "Request-ID"
CRITICAL_EVENT_COUNT = 100

SIGNAL_ACTIONS = {
    "issue": {"created", "unresolved"},
    "error": {"created"},
    "event_alert": {"triggered"},
    "metric_alert": {"critical", "warning"},
}
# Where each resource keeps its subject inside ``data``.
SUBJECT_KEY = {"issue": "issue", "error": "error", "event_alert": "event"}


def severity_for(level: str, count: int) -> str:
    if level == "fatal":
        return "critical"
    if level == "error":
        return "critical" if count >= CRITICAL_EVENT_COUNT else "high"
    if level == "warning":
        return "medium"
    return "low"


def _infer_resource(data: dict[str, Any]) -> str | None:
    for resource, key in (("issue", "issue"), ("error", "error"), ("event_alert", "event")):
        if key in data:
            return resource
    return "metric_alert" if "metric_alert" in data else None


def _event_count(subject: dict[str, Any]) -> int:
    # Sentry sends the issue's count as a string ("1"); errors and alert events carry none.
    raw = subject.get("count")
    try:
        count = int(raw) if raw is not None and not isinstance(raw, bool) else 1
    except (TypeError, ValueError):
        return 1
    return max(count, 1)


def _problem_signal(
    resource: str, action: str, data: dict[str, Any], payload: dict[str, Any], delivery: str | None
) -> SignalIn:
    key = SUBJECT_KEY[resource]
    subject = object_at(data, key, field=f"data.{key}")
    title = text_at(subject, "title") or "Unknown error"
    count = _event_count(subject)
    level = (text_at(subject, "level") or "error").lower()
    issue_id = text_at(subject, "id" if resource == "issue" else "issue_id")
    return SignalIn(
        source=SOURCE,
        type=action,
        severity=severity_for(level, count),
        title=f"Sentry: {title} ({count} events)",
        payload=payload,
        source_id=clip(issue_id) if issue_id else None,
        fingerprint=make_fingerprint(SOURCE, "issue", issue_id) if issue_id else None,
        delivery_id=delivery,
    )


def _metric_alert_signal(
    action: str, data: dict[str, Any], payload: dict[str, Any], delivery: str | None
) -> SignalIn:
    incident = object_at(data, "metric_alert", field="data.metric_alert")
    rule = object_at(incident, "alert_rule", field="data.metric_alert.alert_rule")
    title = (
        text_at(data, "description_title")
        or text_at(incident, "title")
        or text_at(rule, "name")
        or "Metric alert"
    )
    rule_id = text_at(rule, "id")
    incident_id = text_at(incident, "id")
    detail = text_at(data, "description_text")
    return SignalIn(
        source=SOURCE,
        type=action,
        severity="critical" if action == "critical" else "medium",
        title=f"Sentry: {title}" + (f" ({detail})" if detail else ""),
        payload=payload,
        source_id=clip(incident_id) if incident_id else None,
        fingerprint=make_fingerprint(SOURCE, "metric_alert", rule_id) if rule_id else None,
        delivery_id=delivery,
    )


def parse(*, payload: dict[str, Any], headers: Mapping[str, str]) -> SignalIn | Ignored:
    data = object_at(payload, "data")
    resource = (headers.get(RESOURCE_HEADER) or "").strip() or _infer_resource(data)
    if resource is None:
        return Ignored("Sentry delivery names no resource and carries no issue, error or alert")
    raw_action = payload.get("action")
    if raw_action is not None and not isinstance(raw_action, str):
        raise BadPayload("'action' must be a string", field="action")
    action = raw_action or "event"
    if resource not in SIGNAL_ACTIONS:
        return Ignored(f"Sentry resource '{clip(resource, 100)}' is not mapped to a signal")
    # No action at all: a sender written against upstream Loop, which takes every body as a
    # signal of type "event".
    if raw_action is not None and action not in SIGNAL_ACTIONS[resource]:
        return Ignored(
            f"Sentry {resource}.{clip(action, 100)} is not a new problem; only "
            f"{', '.join(sorted(SIGNAL_ACTIONS[resource]))} become signals"
        )
    delivery = header_id(headers.get(DELIVERY_HEADER))
    if resource == "metric_alert":
        return _metric_alert_signal(action, data, payload, delivery)
    return _problem_signal(resource, action, data, payload, delivery)
