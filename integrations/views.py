"""Provider webhooks: one view shape for every provider.

Each request goes through the same steps, in this order, and stops at the first that fails:

1. the provider's secret is configured          else 503 naming the setting to set
2. the body fits the provider's cap               else 413 (judged by Content-Length, then by
                                                  reading at most cap + 1 bytes)
3. the signature (or shared secret) verifies      else 401; computed on the raw bytes, before
                                                  anything is parsed
4. the body is a JSON object of the right shape   else 400
5. the event maps to a signal                     else 200 "ignored" / "ping", nothing stored
6. ``ingest_signal``                              201 created, or 200 grouped / duplicate

Nothing is stored before step 6, and step 6 is one transaction.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.conf import settings
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.common import BadPayload, Ignored, SignalIn, configured_secrets, parse_json_object
from integrations.github import parse as github_parse
from integrations.github import verify as github_verify
from integrations.posthog import parse as posthog_parse
from integrations.posthog import verify as posthog_verify
from integrations.sentry import parse as sentry_parse
from integrations.sentry import verify as sentry_verify
from loop_project.api import ErrorOut, error_body
from signals_app.api.parsers import declared_length, read_at_most
from signals_app.api.responses import ingest_body
from signals_app.api.serializers import SignalWithIssueOut
from signals_app.services import ingest_signal

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
# GitHub caps webhook payloads at 25 MB; Sentry and PostHog send small JSON documents.
GITHUB_MAX_BODY_BYTES = 25 * MIB
DEFAULT_MAX_BODY_BYTES = 1 * MIB

Verifier = Callable[..., bool]
Mapper = Callable[..., "SignalIn | Ignored"]


class WebhookOut(serializers.Serializer):
    data = SignalWithIssueOut(allow_null=True)
    status = serializers.ChoiceField(
        choices=("created", "grouped", "duplicate", "ignored", "ping"),
        help_text=(
            "created (201): a signal and a new issue. grouped (200): a signal added as an "
            "occurrence to the open issue with the same fingerprint. duplicate (200): this "
            "delivery id was ingested before; the stored signal is returned, nothing new stored. "
            "ignored / ping (200): a genuine delivery that is not a signal; `data` is null and "
            "`reason` says why."
        ),
    )
    reason = serializers.CharField(required=False)
    regressionOf = serializers.CharField(
        required=False,
        help_text="The closed issue this new issue reopens the problem of (linked as related).",
    )


class _NoParsing(BaseParser):
    """Declared so the schema shows a JSON body; never used — the view reads the raw bytes
    itself, because the signature covers exactly those bytes."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raise AssertionError("webhook bodies are read raw, never through a DRF parser")


def _error(message: str, code: int, field: str | None = None) -> Response:
    return Response(error_body(message, {field: [message]} if field else None), status=code)


# Provider signature is the authentication: there is no Bearer key (providers cannot send one),
# so DRF authentication and the scope permission are off; CSRF is off because providers post
# cross-site by design (DRF's APIView is csrf-exempt; the decorator below says so explicitly).
@method_decorator(csrf_exempt, name="dispatch")
class WebhookView(APIView):
    authentication_classes: ClassVar[list[Any]] = []
    permission_classes = [AllowAny]
    parser_classes = [_NoParsing]

    provider: ClassVar[str]
    display_name: ClassVar[str]
    secret_setting: ClassVar[str]
    max_body_bytes: ClassVar[int] = DEFAULT_MAX_BODY_BYTES
    invalid_credentials_message: ClassVar[str] = "Invalid webhook signature"
    verify_delivery: ClassVar[Verifier]
    map_delivery: ClassVar[Mapper]

    def receive(self, request: Request) -> Response:
        secrets = configured_secrets(getattr(settings, self.secret_setting, ""))
        if not secrets:
            return _error(
                f"{self.secret_setting} is not configured: set it to the secret of your "
                f"{self.display_name} webhook to accept deliveries at this URL",
                status.HTTP_503_SERVICE_UNAVAILABLE,
            )

        body = self._read_body(request)
        if body is None:
            return _error(
                f"Payload too large: {self.display_name} deliveries are limited to "
                f"{self.max_body_bytes} bytes",
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )

        headers: Mapping[str, str] = request.headers
        if not type(self).verify_delivery(body=body, headers=headers, secrets=secrets):
            logger.warning("%s webhook refused: bad signature", self.provider)
            return _error(self.invalid_credentials_message, status.HTTP_401_UNAUTHORIZED)

        try:
            outcome = type(self).map_delivery(payload=parse_json_object(body), headers=headers)
        except BadPayload as exc:
            return _error(exc.message, status.HTTP_400_BAD_REQUEST, exc.field)
        if isinstance(outcome, Ignored):
            logger.info("%s webhook ignored: %s", self.provider, outcome.reason)
            return Response({"data": None, "status": outcome.status, "reason": outcome.reason})

        result = ingest_signal(
            source=outcome.source,
            type=outcome.type,
            severity=outcome.severity,
            payload=outcome.payload,
            source_id=outcome.source_id,
            delivery_id=outcome.delivery_id,
            fingerprint=outcome.fingerprint,
            title=outcome.title,
            actor=f"webhook:{self.provider}",
        )
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(ingest_body(result), status=code)

    def _read_body(self, request: Request) -> bytes | None:
        """The raw body, or None when it exceeds the cap. Never reads more than cap + 1 bytes, so
        a lying or missing Content-Length cannot make us buffer an unbounded body."""
        length = declared_length(request.META)
        if length is not None and length > self.max_body_bytes:
            return None
        # request.read() streams the body; request.body would refuse anything above
        # DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which GitHub's 25 MB deliveries exceed.
        body = read_at_most(request, self.max_body_bytes + 1)
        return None if len(body) > self.max_body_bytes else body


def _webhook_schema(
    *,
    summary: str,
    description: str,
    credentials: list[OpenApiParameter],
    extra: list[OpenApiParameter],
) -> Callable[[Any], Any]:
    error = ErrorOut
    return extend_schema(
        tags=["Webhooks"],
        summary=summary,
        description=description,
        auth=[],
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=credentials + extra,
        responses={
            201: OpenApiResponse(WebhookOut, description="Signal stored, new issue opened"),
            200: OpenApiResponse(
                WebhookOut,
                description="Grouped onto an open issue, a redelivery, a ping, or ignored",
            ),
            400: OpenApiResponse(error, description="Signed correctly but not valid JSON or "
                                 "not the provider's payload shape; nothing stored"),
            401: OpenApiResponse(error, description="Missing or wrong signature / secret"),
            413: OpenApiResponse(error, description="Body over the provider's size cap"),
            503: OpenApiResponse(error, description="The provider's secret is not configured"),
        },
    )


def _header(name: str, description: str, required: bool = False) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.STR, OpenApiParameter.HEADER, required=required, description=description
    )


class GitHubWebhook(WebhookView):
    provider = github_parse.SOURCE
    display_name = "GitHub"
    secret_setting = github_verify.SECRET_SETTING
    max_body_bytes = GITHUB_MAX_BODY_BYTES
    verify_delivery = staticmethod(github_verify.verify)
    map_delivery = staticmethod(github_parse.parse)

    @_webhook_schema(
        summary="GitHub events webhook",
        description=(
            "Receives GitHub webhook deliveries, verified by `X-Hub-Signature-256` (HMAC-SHA256 "
            "of the raw body with GITHUB_WEBHOOK_SECRET; several comma-separated secrets are "
            "tried, for rotation). Mapped events: security_advisory, code_scanning_alert, "
            "dependabot_alert, check_run and workflow_run failures, issues, pull_request, push, "
            "issue_comment. `ping` and other events answer 200 without storing anything. "
            "Bodies up to 25 MB. See docs/integrations/github.md."
        ),
        credentials=[
            _header(github_verify.SIGNATURE_HEADER, "`sha256=` + hex HMAC-SHA256 of the body", True)
        ],
        extra=[
            _header(github_parse.EVENT_HEADER, "The event name, e.g. `issues`", True),
            _header(github_parse.DELIVERY_HEADER, "Delivery GUID; a redelivery stores nothing"),
        ],
    )
    def post(self, request: Request) -> Response:
        return self.receive(request)


class SentryWebhook(WebhookView):
    provider = sentry_parse.SOURCE
    display_name = "Sentry"
    secret_setting = sentry_verify.SECRET_SETTING
    verify_delivery = staticmethod(sentry_verify.verify)
    map_delivery = staticmethod(sentry_parse.parse)

    @_webhook_schema(
        summary="Sentry error alert webhook",
        description=(
            "Receives Sentry integration-platform webhooks (issue, error, event_alert, "
            "metric_alert), verified by `Sentry-Hook-Signature` (hex HMAC-SHA256 with "
            "SENTRY_CLIENT_SECRET over the raw body, or over its compact JSON re-serialisation as "
            "upstream Loop checks). Other resources and actions answer 200 without storing "
            "anything. Bodies up to 1 MiB. See docs/integrations/sentry.md."
        ),
        credentials=[_header(sentry_verify.SIGNATURE_HEADER, "Hex HMAC-SHA256 of the body", True)],
        extra=[
            _header(sentry_parse.RESOURCE_HEADER, "issue, error, event_alert, metric_alert, ..."),
            _header(sentry_parse.DELIVERY_HEADER, "Delivery id; a redelivery stores nothing"),
        ],
    )
    def post(self, request: Request) -> Response:
        return self.receive(request)


class PostHogWebhook(WebhookView):
    provider = posthog_parse.SOURCE
    display_name = "PostHog"
    secret_setting = posthog_verify.SECRET_SETTING
    invalid_credentials_message = "Invalid webhook secret"
    verify_delivery = staticmethod(posthog_verify.verify)
    map_delivery = staticmethod(posthog_parse.parse)

    @_webhook_schema(
        summary="PostHog metric alert webhook",
        description=(
            "Receives PostHog webhook-destination deliveries, authenticated by a shared secret "
            "(POSTHOG_WEBHOOK_SECRET, compared in constant time) in `X-PostHog-Secret` or "
            "`Authorization: Bearer`. Every delivery becomes a `metric_change` signal. Bodies up "
            "to 1 MiB. See docs/integrations/posthog.md."
        ),
        credentials=[
            _header(posthog_verify.SECRET_HEADER, "The shared secret"),
            _header("Authorization", "`Bearer <secret>`, when X-PostHog-Secret is not sent"),
        ],
        extra=[],
    )
    def post(self, request: Request) -> Response:
        return self.receive(request)
