"""Map a verified PostHog delivery to a signal (type ``metric_change``).

Two shapes arrive: upstream Loop's metric-change body (``{"event": {"name": ...}, "name": ...,
"value": <change %>, "timeframe": ...}``) and PostHog's stock webhook destination body
(``{"event": {"uuid", "event", "properties", ...}, "person": {...}}``), e.g. the
``$insight_alert_firing`` event PostHog emits when an insight alert fires.

* metric: ``event.name``, else ``name``, else the alert's ``insight_name`` / ``alert_name``
  property, else the PostHog event name (``event.event``), else ``unknown_metric``.
* change: numeric ``value`` (else ``event.properties.value``), else 0; severity from |change|:
  ≥ 50 critical, ≥ 25 high, ≥ 10 medium, else low.
* title ``PostHog: <metric> <change>% (<timeframe>)``, timeframe default ``recent``.
* delivery id: ``event.uuid`` (a redelivered event keeps its uuid); source id: the same, else the
  alert id.
* fingerprint: ``posthog:alert:<alert id>`` (``event.properties.alert_id`` or ``alert_id``), else
  ``posthog:metric:<metric>``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from integrations.common import Ignored, SignalIn, clip, header_id, object_at, text_at
from integrations.jsjson import js_number
from signals_app.fingerprint import make_fingerprint

SOURCE = "posthog"
SIGNAL_TYPE = "metric_change"
UNKNOWN_METRIC = "unknown_metric"


def severity_for(change: float) -> str:
    magnitude = abs(change)
    if magnitude >= 50:
        return "critical"
    if magnitude >= 25:
        return "high"
    if magnitude >= 10:
        return "medium"
    return "low"


def _number(value: Any) -> float | int | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def parse(*, payload: dict[str, Any], headers: Mapping[str, str]) -> SignalIn | Ignored:
    raw_event = payload.get("event")
    event = raw_event if isinstance(raw_event, dict) else {}
    properties = object_at(event, "properties", field="event.properties") if event else {}

    metric = (
        text_at(event, "name")
        or text_at(payload, "name")
        or (raw_event.strip() if isinstance(raw_event, str) and raw_event.strip() else None)
        or text_at(properties, "insight_name")
        or text_at(properties, "alert_name")
        or text_at(event, "event")
        or UNKNOWN_METRIC
    )
    change = _number(payload.get("value"))
    if change is None:
        change = _number(properties.get("value"))
    if change is None:
        change = 0
    timeframe = text_at(payload, "timeframe") or "recent"

    event_uuid = text_at(event, "uuid")
    alert_id = text_at(properties, "alert_id") or text_at(payload, "alert_id")
    if alert_id:
        fingerprint = make_fingerprint(SOURCE, "alert", alert_id)
    elif metric != UNKNOWN_METRIC:
        fingerprint = make_fingerprint(SOURCE, "metric", metric)
    else:
        fingerprint = None
    source_id = event_uuid or alert_id
    return SignalIn(
        source=SOURCE,
        type=SIGNAL_TYPE,
        severity=severity_for(change),
        title=f"PostHog: {metric} {js_number(change)}% ({timeframe})",
        payload=payload,
        source_id=clip(source_id) if source_id else None,
        fingerprint=fingerprint,
        delivery_id=header_id(event_uuid),
    )
