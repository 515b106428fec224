"""Load for the fault tests: agents claiming and completing work, writers creating issues,
webhook senders delivering signed GitHub events (redelivering on 503, as a provider would).
Every answer is recorded, so a test can check afterwards what was acknowledged against what the
database holds."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.integrations.helpers import GITHUB_SECRET, github_headers, payload

# Statuses a request may get while the database is failing: success, "nothing to claim", a claim
# lost to a concurrent completion, rate limiting, database unavailable.
ALLOWED_STATUSES = {200, 201, 204, 409, 429, 503}
DB_DOWN_BODY = {"error": "Database unavailable, retry shortly", "details": {"fieldErrors": {}}}


@dataclass
class Answer:
    kind: str
    status: int | None  # None: no HTTP answer at all (connection refused / reset / timeout)
    started: float
    elapsed: float
    problem: str | None = None


@dataclass
class Record:
    answers: list[Answer] = field(default_factory=list)
    claims: list[tuple[str, str, str]] = field(default_factory=list)  # (issue id, token, agent)
    completed: set[str] = field(default_factory=set)  # issue ids whose PATCH to done got 200
    created: set[str] = field(default_factory=set)  # issue ids whose POST got 201
    delivered: set[str] = field(default_factory=set)  # GitHub delivery ids answered 2xx
    sent: set[str] = field(default_factory=set)  # every delivery id sent at least once
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)

    def problems(self) -> list[Answer]:
        return [a for a in self.answers if a.problem]

    def statuses(self) -> set[int | None]:
        return {a.status for a in self.answers}

    def first_success_after(self, moment: float) -> float | None:
        times = [
            a.started + a.elapsed
            for a in self.answers
            if a.started >= moment and a.status is not None and 200 <= a.status < 300
        ]
        return min(times) if times else None


def _check(response: httpx.Response) -> str | None:
    """What is wrong with an answer, if anything."""
    if response.status_code not in ALLOWED_STATUSES:
        return f"status {response.status_code}: {response.text[:300]}"
    if response.status_code == 503:
        if response.headers.get("Retry-After") != "5":
            return "503 without Retry-After"
        try:
            body = response.json()
        except ValueError:
            return f"503 not JSON: {response.text[:200]}"
        if body != DB_DOWN_BODY:
            return f"503 body {body}"
    return None


class Load:
    """Threads hitting ``base_url`` until ``stop()``."""

    def __init__(self, base_url: str, api_key: str, record: Record | None = None) -> None:
        self.base_url = base_url
        self.auth = {"Authorization": f"Bearer {api_key}"}
        self.record = record or Record()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._github_event = payload("github", "issues_opened")

    # --- plumbing ---

    def _call(self, http: httpx.Client, kind: str, method: str, url: str, **kwargs: Any):
        started = time.monotonic()
        try:
            response = http.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            self.record.add(
                Answer(kind, None, started, time.monotonic() - started, f"no answer: {error!r}")
            )
            return None
        self.record.add(
            Answer(
                kind, response.status_code, started, time.monotonic() - started, _check(response)
            )
        )
        return response

    def _spawn(self, name: str, target: Callable[[httpx.Client], None]) -> None:
        def run() -> None:
            with httpx.Client(base_url=self.base_url, timeout=30) as http:
                while not self._stop.is_set():
                    target(http)

        thread = threading.Thread(target=run, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def start(self, *, agents: int = 4, writers: int = 2, senders: int = 2) -> None:
        for index in range(agents):
            self._spawn(f"agent-{index}", lambda http, i=index: self.agent_step(http, f"agent-{i}"))
        for index in range(writers):
            self._spawn(f"writer-{index}", self.writer_step)
        for index in range(senders):
            self._spawn(f"sender-{index}", self.sender_step)

    def stop(self, timeout: float = 40) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        assert not alive, f"load threads still running (a request hangs): {alive}"

    # --- the actors ---

    def agent_step(self, http: httpx.Client, name: str) -> None:
        response = self._call(
            http, "claim", "GET", "/api/dispatch/next", headers={**self.auth, "User-Agent": name}
        )
        if response is None or response.status_code != 200:
            time.sleep(0.05)
            return
        claim = response.json()
        issue_id, token = claim["issue"]["id"], claim["claimToken"]
        with self.record.lock:
            self.record.claims.append((issue_id, token, name))
        # Complete it; retry while the database is away, as a real agent would.
        for _ in range(100):
            done = self._call(
                http,
                "complete",
                "PATCH",
                f"/api/issues/{issue_id}",
                headers=self.auth,
                json={"status": "done", "claimToken": token},
            )
            if done is not None and done.status_code == 200:
                with self.record.lock:
                    self.record.completed.add(issue_id)
                return
            if done is not None and done.status_code == 409:
                return  # the claim is gone; possible only if a completion answered 503 after commit
            if self._stop.is_set():
                return
            time.sleep(0.1)

    def writer_step(self, http: httpx.Client) -> int | None:
        response = self._call(
            http,
            "create",
            "POST",
            "/api/issues",
            headers=self.auth,
            json={
                "title": f"load {uuid.uuid4().hex[:8]}",
                "type": "task",
                "status": "todo",
                "priority": 2,
            },
        )
        if response is not None and response.status_code == 201:
            with self.record.lock:
                self.record.created.add(response.json()["data"]["id"])
            return 201
        time.sleep(0.05)
        return None if response is None else response.status_code

    def sender_step(self, http: httpx.Client) -> None:
        event = json.loads(json.dumps(self._github_event))
        number = uuid.uuid4().int % 10**9
        event["issue"]["number"], event["issue"]["id"] = number, number
        body = json.dumps(event).encode()
        delivery = str(uuid.uuid4())
        with self.record.lock:
            self.record.sent.add(delivery)
        headers = github_headers(body, "issues", secret=GITHUB_SECRET, delivery=delivery)
        # A provider redelivers a failed delivery; keep trying this one until it is accepted.
        for _ in range(100):
            response = self._call(
                http,
                "webhook",
                "POST",
                "/api/signals/github",
                content=body,
                headers={**headers, "Content-Type": "application/json"},
            )
            if response is not None and response.status_code in (200, 201):
                with self.record.lock:
                    self.record.delivered.add(delivery)
                return
            if self._stop.is_set():
                return
            time.sleep(0.1)
