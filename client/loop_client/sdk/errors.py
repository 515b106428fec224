"""One exception hierarchy for everything the SDK can fail with.

Loop answers errors as ``{"error": "message", "details": {"fieldErrors": {"field": ["msg"]}}}``;
:func:`error_from_response` turns such a response into the subclass for its status code, so
callers catch ``NotFoundError`` or ``ConflictError`` instead of comparing numbers.

    LoopError
    ├── LoopConnectionError            the server could not be reached (after retries)
    ├── UnexpectedResponseError        the server answered something that is not Loop's API
    └── APIError                       the server answered with an error status
        ├── BadRequestError       400  the request does not fit the schema
        ├── AuthenticationError   401  missing or wrong API key
        ├── PermissionDeniedError 403  the key lacks the scope
        ├── NotFoundError         404
        ├── ConflictError         409  name taken, duplicate relation, stale claim
        │   └── ClaimLostError         the claim token is no longer valid
        ├── UnprocessableError    422  well-formed but breaks a rule
        ├── RateLimitError        429  carries ``retry_after``
        └── ServerError           5xx
            └── ServiceUnavailableError 503  carries ``retry_after``
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx


class LoopError(Exception):
    """Base class of every error the SDK raises."""


class LoopConnectionError(LoopError):
    """The request never got an HTTP answer (refused, reset, DNS, timeout)."""


class UnexpectedResponseError(LoopError):
    """A successful status whose body is not what Loop's API answers (e.g. a proxy's HTML page)."""


class APIError(LoopError):
    status_code: int = 0

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        field_errors: dict[str, list[str]] | None = None,
        body: Any = None,
        method: str = "",
        url: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.field_errors: dict[str, list[str]] = field_errors or {}
        self.body = body
        self.method = method
        self.url = url
        self.retry_after = retry_after

    def __str__(self) -> str:
        text = f"{self.status_code} {self.message}"
        fields = "; ".join(
            f"{name}: {', '.join(messages)}" for name, messages in self.field_errors.items()
        )
        # The top-level message usually repeats the first field error; add the rest only.
        if fields and fields not in self.message:
            text += f" ({fields})"
        return text


class BadRequestError(APIError):
    status_code = 400


class AuthenticationError(APIError):
    status_code = 401


class PermissionDeniedError(APIError):
    status_code = 403


class NotFoundError(APIError):
    status_code = 404


class ConflictError(APIError):
    status_code = 409


class ClaimLostError(ConflictError):
    """The claim token no longer holds the issue (expired, released or completed elsewhere).

    Stop working on the issue: another agent may own it now."""


class UnprocessableError(APIError):
    status_code = 422


class RateLimitError(APIError):
    status_code = 429


class ServerError(APIError):
    status_code = 500


class ServiceUnavailableError(ServerError):
    status_code = 503


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


def error_class_for(status_code: int) -> type[APIError]:
    if status_code in _BY_STATUS:
        return _BY_STATUS[status_code]
    return ServerError if status_code >= 500 else APIError


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_from_response(response: httpx.Response) -> APIError:
    """Build the right :class:`APIError` subclass from an error response."""
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = response.text
    message = ""
    field_errors: dict[str, list[str]] = {}
    if isinstance(body, dict):
        message = str(body.get("error") or body.get("message") or body.get("detail") or "")
        details = body.get("details")
        if isinstance(details, dict) and isinstance(details.get("fieldErrors"), dict):
            field_errors = {
                str(name): [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
                for name, msgs in details["fieldErrors"].items()
            }
    elif isinstance(body, str) and body.strip() and len(body) < 300:
        message = body.strip()
    if not message:
        message = response.reason_phrase or f"HTTP {response.status_code}"
    cls = error_class_for(response.status_code)
    return cls(
        message,
        status_code=response.status_code,
        field_errors=field_errors,
        body=body,
        method=response.request.method,
        url=str(response.request.url),
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def claim_lost(exc: ConflictError) -> ClaimLostError:
    """Re-type a 409 from a call made under a claim token: the claim is what was lost."""
    return ClaimLostError(
        exc.message,
        status_code=exc.status_code,
        field_errors=exc.field_errors,
        body=exc.body,
        method=exc.method,
        url=exc.url,
    )
