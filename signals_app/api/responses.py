"""The answer to an ingest, shared by POST /api/signals and the provider webhooks.

Built as plain dicts: ingest is the hot write path, and instantiating DRF serializers (their
fields are deep-copied per instance) cost about a quarter of an ingest's CPU. ``SignalOut`` and
``SignalIngestOut`` still document the shape; tests/signals_app/test_responses.py checks that
these functions give exactly what they render.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from rest_framework import status
from rest_framework.response import Response

from issues.api.serializers import IssueOut
from signals_app.models import Signal
from signals_app.services import IngestResult


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def wire_datetime(value: datetime | None) -> str | None:
    """What DRF's DateTimeField renders: ISO 8601 in the current time zone, UTC as ``Z``."""
    if value is None:
        return None
    zone = timezone.get_current_timezone()
    value = value.astimezone(zone) if timezone.is_aware(value) else timezone.make_aware(value, zone)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def signal_representation(signal: Signal) -> dict[str, Any]:
    """``SignalOut(signal).data``, built directly."""
    return {
        "id": _text(signal.pk),
        "source": _text(signal.source),
        "sourceId": _text(signal.source_id),
        "type": _text(signal.type),
        "severity": _text(signal.severity),
        "payload": signal.payload,
        "issueId": _text(signal.issue_id),
        "createdAt": wire_datetime(signal.created_at),
    }


def ingest_body(result: IngestResult) -> dict[str, Any]:
    if result.duplicate:
        outcome = "duplicate"
    elif result.grouped:
        outcome = "grouped"
    else:
        outcome = "created"
    body: dict[str, Any] = {
        "data": {
            "signal": signal_representation(result.signal),
            "issue": IssueOut(result.issue).data,
        },
        "status": outcome,
    }
    if result.regression_of is not None:
        body["regressionOf"] = result.regression_of.pk
    return body


def ingest_response(result: IngestResult) -> Response:
    """201 when a new issue was opened (upstream's answer); 200 when the signal was grouped onto
    an open issue or was a redelivery, so a provider retrying sees success either way."""
    code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
    return Response(ingest_body(result), status=code)
