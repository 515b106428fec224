"""The answer to an ingest, shared by POST /api/signals and the provider webhooks."""
from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response

from issues.api.serializers import IssueOut
from signals_app.api.serializers import SignalOut
from signals_app.services import IngestResult


def ingest_body(result: IngestResult) -> dict[str, Any]:
    if result.duplicate:
        outcome = "duplicate"
    elif result.grouped:
        outcome = "grouped"
    else:
        outcome = "created"
    body: dict[str, Any] = {
        "data": {"signal": SignalOut(result.signal).data, "issue": IssueOut(result.issue).data},
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
