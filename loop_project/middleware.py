"""Failure answers for every request, not only for DRF views.

``loop_project.api.exception_handler`` answers errors raised inside DRF views. This middleware,
first in ``MIDDLEWARE``, covers everything else:

* The database is unreachable (connection refused or timed out, connection killed mid-request,
  too many clients) anywhere — a plain Django view (``/mcp``, the admin), another middleware
  (sessions), or a DRF view's own error path: a 503 with ``Retry-After`` and the JSON error body,
  at once, with no stack trace. Django closes the broken connection at the end of the request, so
  the next request connects afresh and the service recovers by itself when the database returns.
* Under ``/api/`` and ``/mcp``, Django's own HTML error pages (unknown URL, oversized form body,
  too many query parameters, an unexpected 500) become the same JSON error body, so an API client
  never has to parse HTML.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

from loop_project.api import DB_RETRY_AFTER_SECONDS, error_body

logger = logging.getLogger(__name__)

DB_UNAVAILABLE_MESSAGE = "Database unavailable, retry shortly"
# Paths whose clients are programs: their errors are always JSON.
JSON_PATH_PREFIXES = ("/api/", "/mcp")
_FLAG = "_loop_database_unavailable"


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Connection-level database failures (refused, timed out, killed, too many clients, a
    transient lock or serialization failure): worth retrying shortly, never a 500."""
    while exc is not None:
        if isinstance(exc, (OperationalError, InterfaceError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def database_unavailable_response() -> JsonResponse:
    response = JsonResponse(error_body(DB_UNAVAILABLE_MESSAGE), status=503)
    response["Retry-After"] = str(DB_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _json_error(message: str, code: int) -> JsonResponse:
    return JsonResponse(error_body(message), status=code)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PATH_PREFIXES)


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def _mark_database_failure(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """``got_request_exception`` fires inside Django's ``except`` block for any exception that
    became a 500, wherever it was raised; remember whether it was the database."""
    if request is not None and is_database_unavailable(sys.exc_info()[1]):
        setattr(request, _FLAG, True)


got_request_exception.connect(_mark_database_failure, dispatch_uid="loop-database-unavailable")


class FailureResponseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500 and getattr(request, _FLAG, False):
            logger.warning("database unavailable during %s %s", request.method, request.path)
            return database_unavailable_response()
        if response.status_code >= 400 and _wants_json(request) and not _is_json(response):
            if response.status_code >= 500 and settings.DEBUG:
                return response  # the debug page, for the developer at the keyboard
            return self._as_json(response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Exceptions a view let escape (DRF re-raises what its handler does not know)."""
        if is_database_unavailable(exception):
            logger.warning(
                "database unavailable during %s %s: %s",
                request.method, request.path, exception.__class__.__name__,
            )
            return database_unavailable_response()
        if not _wants_json(request):
            return None
        if isinstance(exception, RequestDataTooBig):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return _json_error(f"Request body too large: at most {limit} bytes", 413)
        if isinstance(exception, TooManyFieldsSent):
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            return _json_error(f"Too many parameters: at most {limit}", 400)
        if isinstance(exception, TooManyFilesSent):
            return _json_error("Too many files", 400)
        return None

    @staticmethod
    def _as_json(response: HttpResponse) -> JsonResponse:
        message = {404: "Not found", 405: "Method not allowed"}.get(
            response.status_code, response.reason_phrase or "Error"
        )
        if response.status_code >= 500:
            message = "Internal server error"
        converted = _json_error(message, response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                converted[header] = response[header]
        return converted
