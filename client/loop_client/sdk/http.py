"""The one place HTTP happens: base URL, Bearer key, JSON, error mapping and retries.

Retries follow one rule: only a call that is safe to repeat is repeated. GET/HEAD/PUT/DELETE are
idempotent by default, POST and PATCH are not, and a resource may say otherwise per call
(``GET /api/dispatch/next`` claims an issue, so it is *not* idempotent; a heartbeat POST is).
A retry happens on 429 and 503 (the server did not do the work and says when to come back) and
on connection errors; the wait honours ``Retry-After`` and otherwise backs off exponentially with
jitter.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from loop_client import __version__
from loop_client.sdk.errors import (
    LoopConnectionError,
    UnexpectedResponseError,
    error_from_response,
    parse_retry_after,
)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 503})
# Errors where the request may not have reached the server or the answer was lost on the way.
RETRY_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.NetworkError,
    httpx.TimeoutException,
    httpx.RemoteProtocolError,
)

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 8.0
# A server asking for a longer pause than this is treated as "give up now", not "hang".
RETRY_AFTER_MAX_SECONDS = 60.0

Params = Mapping[str, str | int | float | bool | None]


class HttpCore:
    """A configured ``httpx.Client`` plus Loop's conventions. Shared by every resource."""

    def __init__(
        self,
        *,
        api_url: str,
        api_key: str | None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.max_retries = max(0, max_retries)
        self._sleep = sleep
        base_headers = {
            "Accept": "application/json",
            "User-Agent": f"loop-client/{__version__}",
        }
        if api_key:
            base_headers["Authorization"] = f"Bearer {api_key}"
        base_headers.update(headers or {})
        self._client = httpx.Client(
            base_url=self.api_url,
            headers=base_headers,
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one API call and return its decoded JSON body (``None`` for 204).

        Raises an :class:`~loop_client.sdk.errors.APIError` subclass for error statuses and
        :class:`~loop_client.sdk.errors.LoopConnectionError` when no answer came back."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        attempts = 1 + (self.max_retries if idempotent else 0)
        clean_params = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        for attempt in range(attempts):
            last_try = attempt == attempts - 1
            try:
                response = self._client.request(
                    method,
                    path,
                    params=clean_params or None,
                    json=json,
                )
            except RETRY_EXCEPTIONS as exc:
                if last_try:
                    raise LoopConnectionError(
                        f"Could not reach Loop at {self.api_url} ({exc.__class__.__name__}: {exc})"
                    ) from exc
                self._sleep(self._backoff(attempt))
                continue
            except httpx.HTTPError as exc:
                raise LoopConnectionError(f"Request to {self.api_url} failed: {exc}") from exc

            if response.status_code in RETRY_STATUSES and not last_try:
                delay = parse_retry_after(response.headers.get("Retry-After"))
                if delay is None or delay <= RETRY_AFTER_MAX_SECONDS:
                    response.close()
                    self._sleep(self._backoff(attempt) if delay is None else delay)
                    continue
            return self._decode(response)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _backoff(attempt: int) -> float:
        # Full jitter: spreads retries of many agents hitting the same busy server.
        ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)

    @staticmethod
    def _decode(response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise error_from_response(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            content_type = response.headers.get("Content-Type", "?")
            raise UnexpectedResponseError(
                f"{response.request.method} {response.request.url} answered {response.status_code} "
                f"with {content_type}, not JSON: is the API URL right?"
            ) from exc


def _param(value: str | int | float | bool) -> str | int | float:
    # httpx would send True as "true" anyway; be explicit so filters read the same everywhere.
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
