"""Domain errors raised by services, DRF-style: each carries an HTTP status and a stable code.

Services raise these; the one exception handler in ``loop_project.api`` turns them into the wire
format. ``field`` names the request field at fault, so clients can point at it.
"""
from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import APIException


class LoopError(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Bad request"
    default_code = "bad_request"

    def __init__(self, detail: str | None = None, *, field: str | None = None, code: str | None = None):
        super().__init__(detail=detail, code=code)
        self.field = field


class NotFound(LoopError):
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "Not found"
    default_code = "not_found"


class RuleViolation(LoopError):
    """The request is well-formed but breaks a business rule (hierarchy, self-relation, ...)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "Request breaks a rule"
    default_code = "rule_violation"


class Conflict(LoopError):
    """The request collides with existing state (name taken, duplicate relation, stale claim)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict"
    default_code = "conflict"


class ServiceUnavailable(LoopError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Service unavailable"
    default_code = "unavailable"
