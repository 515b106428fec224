"""Wire shapes for signals. ``SignalOut`` renders a row exactly as upstream's Signal component;
``SignalIn`` validates POST /api/signals; the ``*Out`` envelopes document ingest answers (the same
ones the provider webhooks give)."""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from issues.api.serializers import IssueOut
from signals_app.models import Signal
from signals_app.payloads import find_unstorable, text_problem


@extend_schema_field({"type": "object", "additionalProperties": {}})
class JSONObjectField(serializers.JSONField):
    """A JSON object (documented as one in the schema)."""


# Plain values, so the schema's severity enum is the one other Signal shapes use.
SEVERITIES = list(Signal.Severity.values)


class SignalOut(serializers.ModelSerializer):
    sourceId = serializers.CharField(source="source_id", allow_null=True)
    severity = serializers.ChoiceField(choices=SEVERITIES)
    payload = JSONObjectField()
    issueId = serializers.CharField(source="issue_id")
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Signal
        fields = ["id", "source", "sourceId", "type", "severity", "payload", "issueId", "createdAt"]
        read_only_fields = fields


class SignalWithIssueOut(serializers.Serializer):
    signal = SignalOut()
    issue = IssueOut()


INGEST_STATUSES = ("created", "grouped", "duplicate")


class SignalIngestOut(serializers.Serializer):
    data = SignalWithIssueOut()
    status = serializers.ChoiceField(
        choices=INGEST_STATUSES,
        help_text=(
            "created: a new issue was opened (201). grouped: an open issue with the same "
            "fingerprint got one more occurrence (200). duplicate: this delivery id was ingested "
            "before; nothing new was stored and the stored signal is returned (200)."
        ),
    )
    regressionOf = serializers.CharField(
        required=False,
        help_text="Present when the new issue reopens a problem whose issue was closed: that "
        "issue's id (the two are linked by a `related` relation).",
    )


def _storable_text(value: str) -> None:
    problem = text_problem(value)
    if problem:
        raise serializers.ValidationError(problem)


def _text(**kwargs: Any) -> serializers.CharField:
    field = serializers.CharField(**kwargs)
    field.validators.append(_storable_text)
    return field


class SignalIn(serializers.Serializer):
    source = _text(max_length=100, help_text="Where the signal comes from: posthog, ci, ...")
    sourceId = _text(
        max_length=255, required=False, allow_null=True, allow_blank=True,
        help_text="The event's id in the source system.",
    )
    type = _text(max_length=100, help_text="What happened: error_rate, deploy_failed, ...")
    severity = serializers.ChoiceField(choices=SEVERITIES)
    payload = JSONObjectField(help_text="The event itself (a JSON object).")
    projectId = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    fingerprint = _text(
        max_length=150, required=False, allow_null=True, allow_blank=True,
        help_text=(
            "Loop extension. What makes two signals the same problem (scoped to `source`): while "
            "an issue with this fingerprint is open, further signals are added to it as "
            "occurrences instead of opening new issues; after it is closed, the next one opens a "
            "new issue related to it."
        ),
    )
    deliveryId = _text(
        max_length=255, required=False, allow_null=True, allow_blank=True,
        help_text=(
            "Loop extension. An idempotency key (scoped to `source`): posting the same one again "
            "stores nothing and answers 200 with the signal stored the first time."
        ),
    )

    def validate_payload(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError("Expected a JSON object.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        found = find_unstorable(attrs["payload"])
        if found is not None:
            path, problem = found
            name = "payload" if path == "_" else f"payload.{path}"
            raise serializers.ValidationError({name: [problem]})
        return attrs


# (key, max length, may be null/blank/absent) of SignalIn's text fields, in its field order.
_PLAIN_TEXT_FIELDS: tuple[tuple[str, int | None, bool], ...] = (
    ("source", 100, False),
    ("sourceId", 255, True),
    ("type", 100, False),
    ("projectId", None, True),
    ("fingerprint", 150, True),
    ("deliveryId", 255, True),
)
_SEVERITY_SET = frozenset(SEVERITIES)


def plain_signal_in(data: Any) -> dict[str, Any] | None:
    """``SignalIn(data=data).validated_data`` for the common, plainly valid body, without DRF's
    per-request field copies (a sixth of an ingest's CPU); None for anything else, which then goes
    through ``SignalIn`` for its checks and exact error messages.

    Accepts only what ``SignalIn`` accepts unchanged: strings with nothing to trim, within their
    length, storable; a known severity; a storable JSON-object payload. (A number where text is
    expected, or text with surrounding spaces, is coerced by ``SignalIn`` and so left to it.)
    tests/signals_app/test_serializers.py holds the two to the same answers."""
    if not isinstance(data, dict):
        return None
    validated: dict[str, Any] = {}
    for key, max_length, optional in _PLAIN_TEXT_FIELDS:
        if key not in data:
            if optional:
                continue
            return None
        value = data[key]
        if value is None or value == "":
            if not optional:
                return None
            validated[key] = value
            continue
        if (
            type(value) is not str
            or (max_length is not None and len(value) > max_length)
            or value.strip() != value
            or text_problem(value) is not None
        ):
            return None
        validated[key] = value
    severity = data.get("severity")
    if type(severity) is not str or severity not in _SEVERITY_SET:
        return None
    payload = data.get("payload")
    if type(payload) is not dict or find_unstorable(payload) is not None:
        return None
    validated["severity"] = severity
    validated["payload"] = payload
    return validated
