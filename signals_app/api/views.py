"""POST /api/signals: the Bearer-authenticated way in for any source (scripts, CI, monitors)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from issues.audit import actor_for_user
from loop_project.api import ErrorOut
from signals_app.api.parsers import SignalJSONParser
from signals_app.api.responses import ingest_response
from signals_app.api.serializers import SignalIn, SignalIngestOut, plain_signal_in
from signals_app.services import ingest_signal


def _blank_to_none(value: str | None) -> str | None:
    return value if value else None


class SignalIngestApi(APIView):
    parser_classes = [SignalJSONParser]

    @extend_schema(
        tags=["Signals"],
        operation_id="signals_ingest",
        summary="Ingest a signal",
        description=(
            "Stores the signal and, in the same transaction, opens a `signal` issue for it "
            "(status from LOOP_SIGNAL_INITIAL_STATUS, priority from severity: critical 1, high 2, "
            "medium 3, low 4; title `[source] type: summary`). With a `fingerprint`, repeats are "
            "added to the open issue as occurrences; with a `deliveryId`, a retry stores nothing. "
            "Bodies are limited to 1 MiB."
        ),
        request=SignalIn,
        responses={
            201: SignalIngestOut,
            200: SignalIngestOut,
            400: ErrorOut,
            401: ErrorOut,
            403: ErrorOut,
            413: ErrorOut,
            422: ErrorOut,
        },
        examples=[
            OpenApiExample(
                "Error-rate spike",
                request_only=True,
                value={
                    "source": "posthog",
                    "type": "error_rate",
                    "severity": "high",
                    "payload": {"message": "Checkout errors at 22%", "value": 0.22},
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = plain_signal_in(request.data)
        if data is None:  # not plainly valid: SignalIn coerces what it can, or says what is wrong
            params = SignalIn(data=request.data)
            params.is_valid(raise_exception=True)
            data = params.validated_data
        source = data["source"]
        fingerprint = _blank_to_none(data.get("fingerprint"))
        result = ingest_signal(
            source=source,
            type=data["type"],
            severity=data["severity"],
            payload=data["payload"],
            source_id=_blank_to_none(data.get("sourceId")),
            project_id=data.get("projectId"),
            delivery_id=_blank_to_none(data.get("deliveryId")),
            # Scoped to the source, so one sender's fingerprints never group another's signals.
            fingerprint=f"{source}:{fingerprint}" if fingerprint else None,
            actor=actor_for_user(request.user),
        )
        return ingest_response(result)
