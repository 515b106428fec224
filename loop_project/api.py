"""The API's shared conventions: one error format, one pagination envelope.

Errors always look like ``{"error": "message", "details": {"fieldErrors": {"field": ["msg"]}}}``
(upstream's ``{"error": ...}`` plus the field at fault). Lists look like
``{"data": [...], "total": N}`` with ``limit`` (default 50, at most 200) and ``offset``.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from loop_project.errors import LoopError
# The API's parser and its 413 live in loop_project.parsers; re-exported for existing imports.
from loop_project.parsers import LoopJSONParser, PayloadTooLarge  # noqa: F401

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
DB_RETRY_AFTER_SECONDS = 5


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [msg for value in detail.values() for msg in _flatten(value)]
    if isinstance(detail, list):
        return [msg for item in detail for msg in _flatten(item)]
    return [str(detail)]


def _field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into ``{"field.sub": ["msg", ...]}``."""
    errors: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                # A whole-object error (e.g. "expected a dictionary") belongs to the object itself.
                name = prefix or "_"
            if isinstance(value, dict) or (
                isinstance(value, list) and value and isinstance(value[0], (dict, list))
            ):
                if isinstance(value, list):
                    for index, item in enumerate(value):
                        errors.update(_field_errors(item, f"{name}.{index}") if item else {})
                else:
                    errors.update(_field_errors(value, name))
            else:
                errors[name] = _flatten(value)
    elif isinstance(detail, list):
        errors[prefix or "_"] = _flatten(detail)
    else:
        errors[prefix or "_"] = [str(detail)]
    return errors


def error_body(message: str, field_errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": message, "details": {"fieldErrors": field_errors or {}}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DatabaseError) and "connection" in str(exc).lower()
    ):
        # The database is unreachable: fail fast and tell the client when to come back.
        logger.warning("database unavailable: %s", exc.__class__.__name__)
        from loop_project.middleware import note_database_failure  # imports this module

        note_database_failure(context.get("request"), exc)
        response = Response(
            error_body("Database unavailable, retry shortly"),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = str(DB_RETRY_AFTER_SECONDS)
        return response

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, LoopError):
        fields = {exc.field: [str(exc.detail)]} if exc.field else {}
        response = Response(error_body(str(exc.detail), fields), status=exc.status_code)
        return response

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        fields = _field_errors(exc.detail)
        first_field, first_messages = next(iter(fields.items()), ("_", ["Invalid request"]))
        message = first_messages[0] if first_field == "_" else f"{first_field}: {first_messages[0]}"
        response.data = error_body(message, fields)
    elif isinstance(exc, exceptions.ParseError):
        response.data = error_body("Malformed JSON in request body")
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        # One body whatever the reason, so a probe learns nothing about which keys exist.
        response.status_code = status.HTTP_401_UNAUTHORIZED
        response.data = error_body("Unauthorized")
        response["WWW-Authenticate"] = 'Bearer realm="loop"'
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        response.data = error_body(str(detail or exc))
    return response


class LoopPagination(BasePagination):
    """limit/offset pagination with upstream's ``{"data": [...], "total": N}`` envelope."""

    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT

    def paginate_queryset(self, queryset, request: Request, view=None):  # type: ignore[override]
        params = PageParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        self.limit = params.validated_data["limit"]
        self.offset = params.validated_data["offset"]
        self.total = queryset.count()
        if self.total == 0 or self.offset >= self.total:
            return []
        return list(queryset[self.offset : self.offset + self.limit])

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"data": data, "total": self.total})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["data", "total"],
            "properties": {"data": schema, "total": {"type": "integer", "minimum": 0}},
        }

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        return [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            },
            {
                "name": "offset",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 0, "default": 0},
            },
        ]


class PageParams(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    offset = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)


def wire_text(value: Any) -> str | None:
    """What DRF's CharField renders: ``str(value)``, None kept."""
    return None if value is None else str(value)


def wire_datetime(value: datetime | None) -> str | None:
    """What DRF's DateTimeField renders: ISO 8601 in the current time zone, UTC as ``Z``. For the
    hot answers built as plain dicts (issues, claims, ingests), which tests compare with the
    serializers that document them."""
    if value is None:
        return None
    zone = timezone.get_current_timezone()
    value = value.astimezone(zone) if timezone.is_aware(value) else timezone.make_aware(value, zone)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def data_response(payload: Any, status_code: int = status.HTTP_200_OK) -> Response:
    """A single object in upstream's ``{"data": ...}`` envelope."""
    return Response({"data": payload}, status=status_code)


class ErrorDetailsOut(serializers.Serializer):
    fieldErrors = serializers.DictField(  # noqa: N815 - wire name
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per request field (camelCase; nested fields as `a.b`, `_` for the body).",
    )


class ErrorOut(serializers.Serializer):
    """The one error body every endpoint answers with."""

    error = serializers.CharField(help_text="What went wrong, for humans.")
    details = ErrorDetailsOut()


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents ``ApiKeyAuthentication`` as upstream's ``bearerAuth`` scheme in the schema."""

    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "API key passed as Bearer token in the Authorization header",
        }
