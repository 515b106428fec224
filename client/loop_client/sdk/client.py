"""``LoopClient``: the SDK's entry point, one attribute per API area.

from loop_client import LoopClient

with LoopClient() as loop:            # LOOP_API_URL / LOOP_API_KEY from the environment
    claim = loop.dispatch.next()
    if claim:
        ...
        loop.dispatch.complete(claim.issue.id, claim_token=claim.claim_token, summary="Fixed")
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from types import TracebackType

import httpx

from loop_client.sdk.http import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, HttpCore
from loop_client.sdk.models import Health, ServiceInfo
from loop_client.sdk.resources import (
    CommentsResource,
    DashboardResource,
    DispatchResource,
    GoalsResource,
    IssuesResource,
    LabelsResource,
    ProjectsResource,
    RelationsResource,
    ReviewsResource,
    SignalsResource,
    TemplatesResource,
)

DEFAULT_API_URL = "http://127.0.0.1:8000"
API_URL_ENV = "LOOP_API_URL"
API_KEY_ENV = "LOOP_API_KEY"


class LoopClient:
    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Arguments win over ``LOOP_API_URL`` / ``LOOP_API_KEY``; the URL defaults to a local
        server. ``transport`` swaps the network for anything httpx accepts (a mock in tests, a
        WSGI app in-process)."""
        self.api_url = (api_url or os.environ.get(API_URL_ENV) or DEFAULT_API_URL).rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
        self._http = HttpCore(
            api_url=self.api_url,
            api_key=self.api_key,
            timeout=timeout,
            max_retries=max_retries,
            transport=transport,
            headers=headers,
            sleep=sleep,
        )
        self.issues = IssuesResource(self._http)
        self.dispatch = DispatchResource(self._http, self.issues)
        self.projects = ProjectsResource(self._http)
        self.goals = GoalsResource(self._http)
        self.labels = LabelsResource(self._http)
        self.signals = SignalsResource(self._http)
        self.comments = CommentsResource(self._http)
        self.relations = RelationsResource(self._http)
        self.templates = TemplatesResource(self._http)
        self.reviews = ReviewsResource(self._http)
        self.dashboard = DashboardResource(self._http)

    def health(self) -> Health:
        """``GET /health`` (public): is the server up and its database reachable."""
        return Health.model_validate(self._http.request("GET", "/health"))

    def info(self) -> ServiceInfo:
        """``GET /`` (public): service name and version."""
        return ServiceInfo.model_validate(self._http.request("GET", "/"))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> LoopClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LoopClient(api_url={self.api_url!r}, api_key={'set' if self.api_key else 'unset'})"
