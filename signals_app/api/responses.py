"""The answer to an ingest, shared by POST /api/signals and the provider webhooks.

Built as plain dicts: ingest is the hot write path, and instantiating DRF serializers (their
fields are deep-copied per instance) cost about a quarter of an ingest's CPU. ``SignalOut`` and
``SignalIngestOut`` still document the shape; tests/signals_app/test_responses.py checks that
these functions give exactly what they render.
"""
from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response

from issues.api.serializers import issue_representation
from loop_project.api import wire_datetime, wire_text
from signals_app.models import Signal
from signals_app.services import IngestResult


def signal_representation(signal: Signal) -> dict[str, Any]:
    """``SignalOut(signal).data``, built directly."""
    return {
        "id": wire_text(signal.pk),
        "source": wire_text(signal.source),
        "sourceId": wire_text(signal.source_id),
        "type": wire_text(signal.type),
        "severity": wire_text(signal.severity),
        "payload": signal.payload,
        "issueId": wire_text(signal.issue_id),
        "createdAt": wire_datetime(signal.created_at),
    }


def ingest_body(result: IngestResult) -> dict[str, Any]:
    body: dict[str, Any] = {
        "data": {
            "signal": signal_representation(result.signal),
            "issue": issue_representation(result.issue),
        },
        "status": result.outcome,
    }
    if result.regression_of is not None:
        body["regressionOf"] = result.regression_of.pk
    return body


def ingest_response(result: IngestResult) -> Response:
    """201 when a new issue was opened (upstream's answer); 200 when the signal was grouped onto
    an open issue or was a redelivery, so a provider retrying sees success either way."""
    code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
    return Response(ingest_body(result), status=code)
