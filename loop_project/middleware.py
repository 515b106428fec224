"""Failure answers for every request, not only for DRF views.

``loop_project.api.exception_handler`` answers errors raised inside DRF views. This middleware,
first in ``MIDDLEWARE``, covers everything else:

* The database is unreachable (connection refused or timed out, connection killed mid-request,
  too many clients) anywhere — a plain Django view (``/mcp``, the admin), another middleware
  (sessions), or a DRF view's own error path: a 503 with ``Retry-After`` and the JSON error body,
  at once, with no stack trace. Django closes the broken connection at the end of the request, so
  the next request connects afresh and the service recovers by itself when the database returns.
* Slow database failures (a connect timeout, a wait for a pooled connection) open a per-process
  circuit for ``LOOP_DB_FAILFAST_SECONDS``: meanwhile requests get the same 503 at once instead of
  each tying up a worker for the whole timeout (with every worker stuck, agents would queue for
  many timeouts). After that one request at a time probes the database; the first success closes
  the circuit. A request that waited out the pool timeout also replaces the process's psycopg
  pool, whose reconnection backoff would otherwise delay recovery long after the database is
  back. Fast failures (connection refused, too many clients, a killed connection) are already
  fast and never open the circuit; neither do deadlocks, lock or statement timeouts.
* A path with a NUL byte names nothing (and PostgreSQL cannot compare text containing one):
  404, before any view looks it up.
* Under ``/api/`` and ``/mcp``, Django's own HTML error pages (unknown URL, oversized form body,
  too many query parameters, an unexpected 500) become the same JSON error body, so an API client
  never has to parse HTML.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connections
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


# A failure at least this slow (a connect or pool timeout, not a refusal) opens the circuit.
SLOW_FAILURE_SECONDS = 1.0
# SQLSTATEs of a lost or refused connection; errors without one failed on the client side
# (refused, timed out, closed). Anything else (deadlock 40P01, lock 55P03, statement timeout
# 57014, ...) is about one query, not about reaching the database.
_CONNECTION_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def is_connection_failure(exc: BaseException | None) -> bool:
    """The database could not be reached (as opposed to one statement failing)."""
    seen = exc
    while seen is not None:
        if type(seen).__name__ == "PoolTimeout":
            return True
        sqlstate = getattr(seen, "sqlstate", "not-a-driver-error")
        if sqlstate != "not-a-driver-error":
            return sqlstate is None or sqlstate.startswith(_CONNECTION_SQLSTATES)
        seen = seen.__cause__ or seen.__context__
    return False


def _has_pool_timeout(exc: BaseException | None) -> bool:
    while exc is not None:
        if type(exc).__name__ == "PoolTimeout":
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def discard_connection_pool(alias: str = "default") -> bool:
    """Drop this process's psycopg pool so the next request builds a fresh one.

    After an outage the pool retries its lost connections with exponential backoff (1, 2, 4,
    8 ... s), so a pooled worker could stay unavailable for many seconds after the database is
    back; a fresh pool connects at once. The old pool is closed in the background (closing waits
    for its workers). Returns whether there was a pool to drop."""
    wrapper = connections[alias]
    pools = getattr(type(wrapper), "_connection_pools", None)
    pool = pools.pop(alias, None) if isinstance(pools, dict) else None
    if pool is None:
        return False
    threading.Thread(target=pool.close, name="loop-pool-close", daemon=True).start()
    return True


class DatabaseCircuit:
    """Per-process circuit breaker for slow database failures (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open_until = 0.0  # 0: closed
        self._probing = False

    def admit(self) -> tuple[bool, bool]:
        """(admitted, is_probe) for a request arriving now."""
        if self._open_until == 0.0 or getattr(settings, "LOOP_DB_FAILFAST_SECONDS", 0) <= 0:
            return True, False
        with self._lock:
            if self._open_until == 0.0:
                return True, False
            if time.monotonic() < self._open_until or self._probing:
                return False, False
            self._probing = True
            return True, True

    def record(
        self, *, failed: bool, used_database: bool, probe: bool, pool_timeout: bool = False
    ) -> None:
        seconds = getattr(settings, "LOOP_DB_FAILFAST_SECONDS", 0)
        with self._lock:
            if probe:
                self._probing = False
            if failed and pool_timeout and discard_connection_pool():
                logger.warning("no pooled connection in time: the next request starts a new pool")
            if failed and seconds > 0:
                if self._open_until == 0.0:
                    logger.warning(
                        "database unreachable: failing fast for %.1f s at a time", seconds
                    )
                self._open_until = time.monotonic() + seconds
            elif used_database and self._open_until != 0.0:
                logger.warning("database reachable again")
                self._open_until = 0.0

    def reset(self) -> None:
        with self._lock:
            self._open_until, self._probing = 0.0, False

    @property
    def is_open(self) -> bool:
        return self._open_until != 0.0


circuit = DatabaseCircuit()


def note_database_failure(request: Any, exc: BaseException) -> None:
    """Remember on the request that the database failed, and how; the middleware decides at the
    end of the request whether the circuit opens. Called by the API's exception handler too."""
    request = getattr(request, "_request", request)  # a DRF Request wraps the HttpRequest
    if request is not None:
        setattr(request, _FLAG, exc)


def _mark_database_failure(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """``got_request_exception`` fires inside Django's ``except`` block for any exception that
    became a 500, wherever it was raised; remember whether it was the database."""
    exc = sys.exc_info()[1]
    if request is not None and is_database_unavailable(exc):
        note_database_failure(request, exc)  # type: ignore[arg-type]


got_request_exception.connect(_mark_database_failure, dispatch_uid="loop-database-unavailable")


class FailureResponseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:
            # No URL of Loop's contains a NUL byte, and PostgreSQL cannot even compare text with
            # one (a 500 from every lookup by such an id): nothing is found there.
            return _json_error("Resource not found", 404)
        if request.path.startswith(f"/{settings.STATIC_URL.lstrip('/')}"):
            return self.get_response(request)  # static files never touch the database
        admitted, probe = circuit.admit()
        if not admitted:
            return database_unavailable_response()
        started = time.monotonic()
        try:
            response = self.get_response(request)
        finally:
            failure = getattr(request, _FLAG, None)
            circuit.record(
                failed=failure is not None
                and time.monotonic() - started >= SLOW_FAILURE_SECONDS
                and is_connection_failure(failure),
                used_database=failure is None and connections["default"].connection is not None,
                probe=probe,
                pool_timeout=_has_pool_timeout(failure),
            )
        if response.status_code >= 500 and failure is not None and response.status_code != 503:
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
            note_database_failure(request, exception)
            logger.warning(
                "database unavailable during %s %s: %s",
                request.method,
                request.path,
                exception.__class__.__name__,
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
