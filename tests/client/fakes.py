"""A scripted stand-in for the Loop API over ``httpx.MockTransport``: routes answer canned
responses (or call a handler) and every request is recorded for assertions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from loop_client import LoopClient

API_URL = "http://loop.test"
API_KEY = "loop_testpref_testsecret"

Handler = Callable[[httpx.Request], httpx.Response]


def reply(
    status: int = 200, body: Any = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def error(
    status: int, message: str, fields: dict[str, list[str]] | None = None, **headers: str
) -> httpx.Response:
    body = {"error": message, "details": {"fieldErrors": fields or {}}}
    return httpx.Response(
        status, json=body, headers={k.replace("_", "-"): v for k, v in headers.items()}
    )


class FakeApi:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[httpx.Response | Handler | Exception]] = {}
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def on(self, method: str, path: str, *answers: httpx.Response | Handler | Exception) -> FakeApi:
        """Answer ``method path`` with each answer in turn; the last one repeats."""
        self.routes[(method.upper(), path)] = list(answers)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        # Match on the raw (still percent-encoded) path, as a server's router sees it.
        raw_path = request.url.raw_path.split(b"?")[0].decode()
        key = (request.method, raw_path)
        if key not in self.routes:
            return error(404, f"no fake route for {request.method} {raw_path}")
        answers = self.routes[key]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        # A Response can be served once only; copy it so a repeated answer stays valid.
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def client(self, **kwargs: Any) -> LoopClient:
        kwargs.setdefault("api_url", API_URL)
        kwargs.setdefault("api_key", API_KEY)
        kwargs.setdefault("sleep", self.sleeps.append)
        return LoopClient(transport=httpx.MockTransport(self), **kwargs)

    def last(self) -> httpx.Request:
        return self.requests[-1]

    def last_json(self) -> Any:
        return json.loads(self.requests[-1].content)


def issue(**overrides: Any) -> dict[str, Any]:
    """An issue as the API renders it."""
    data = {
        "id": "iss_1",
        "number": 1,
        "title": "Login failures spiked",
        "description": None,
        "type": "task",
        "status": "todo",
        "priority": 2,
        "parentId": None,
        "projectId": None,
        "signalSource": None,
        "signalPayload": None,
        "hypothesis": None,
        "agentSessionId": None,
        "agentSummary": None,
        "commits": None,
        "pullRequests": None,
        "completedAt": None,
        "createdAt": "2026-02-20T12:00:00Z",
        "updatedAt": "2026-02-20T12:00:00Z",
        "deletedAt": None,
    }
    data.update(overrides)
    return data


def claim(**overrides: Any) -> dict[str, Any]:
    """A dispatch claim, at the top level and under `data` as the server answers it."""
    inner = {
        "issue": {
            "id": "iss_1",
            "number": 1,
            "title": "Login failures spiked",
            "type": "signal",
            "priority": 2,
            "status": "in_progress",
        },
        "prompt": "Triage signal #1",
        "meta": {
            "templateSlug": "signal-triage",
            "templateId": "tpl_1",
            "versionId": "ver_1",
            "versionNumber": 1,
            "reviewUrl": "POST /api/prompt-reviews",
            "error": None,
        },
        "claimToken": "tok_1",
        "leaseExpiresAt": "2026-02-20T12:30:00Z",
    }
    inner.update(overrides)
    return {**inner, "data": dict(inner)}
