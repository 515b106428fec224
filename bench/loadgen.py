"""The load driver: asyncio agents and senders over bench/httpclient.py, one process, bounded by
count and by time. Each run returns its throughput, latency percentiles per operation, errors,
duplicate claims, blocked claims, and the driver's own CPU share of the machine.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.httpclient import HttpConnection, HttpError

CPU_COUNT = os.cpu_count() or 1
# A run stops early after this many errors: the figures would mean nothing anyway.
MAX_ERRORS = 200
# /next answering 204 while blockers are being completed can be momentary: an agent retries a
# few times before it concludes the queue is drained.
EMPTY_RETRIES = 3
EMPTY_RETRY_SECONDS = 0.05


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class OpStats:
    latencies: list[float] = field(default_factory=list)  # seconds

    def summary(self) -> dict[str, float]:
        return {
            "count": len(self.latencies),
            "p50_ms": percentile(self.latencies, 50) * 1000,
            "p95_ms": percentile(self.latencies, 95) * 1000,
            "p99_ms": percentile(self.latencies, 99) * 1000,
        }


@dataclass
class RunResult:
    name: str
    units: int = 0  # completed units (claims completed, signals ingested, pages read)
    seconds: float = 0.0
    errors: int = 0
    duplicates: int = 0
    blocked_claimed: int = 0
    driver_cpu: float = 0.0  # share of the whole machine (all cores), 0..1
    drained: bool = False
    ops: dict[str, OpStats] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return self.units / self.seconds if self.seconds else 0.0

    def op(self, name: str) -> OpStats:
        return self.ops.setdefault(name, OpStats())

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(message)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "units": self.units,
            "seconds": round(self.seconds, 3),
            "throughput": round(self.throughput, 1),
            "errors": self.errors,
            "duplicates": self.duplicates,
            "blocked_claimed": self.blocked_claimed,
            "driver_cpu": round(self.driver_cpu, 3),
            "drained": self.drained,
            "ops": {name: stats.summary() for name, stats in self.ops.items()},
            "error_samples": self.error_samples,
            **self.extra,
        }


class _Clock:
    """Wall time and this process's CPU time over a run."""

    def __enter__(self) -> _Clock:
        self.wall0 = time.monotonic()
        times = os.times()
        self.cpu0 = times.user + times.system
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.monotonic() - self.wall0
        times = os.times()
        self.cpu = times.user + times.system - self.cpu0
        self.share = self.cpu / self.seconds / CPU_COUNT if self.seconds else 0.0


async def _progress(label: str, result: RunResult, report: Callable[[str], None], started: float):
    while True:
        await asyncio.sleep(2.0)
        elapsed = time.monotonic() - started
        rate = result.units / elapsed if elapsed else 0
        report(f"{label}: {result.units:,} in {elapsed:.0f}s ({rate:,.0f}/s), errors {result.errors}")


async def _run(label: str, result: RunResult, workers: list, report, seconds_bound: float) -> None:
    started = time.monotonic()
    ticker = asyncio.create_task(_progress(label, result, report, started))
    try:
        await asyncio.wait_for(asyncio.gather(*workers), seconds_bound + 60)
    finally:
        ticker.cancel()


def auth_header(key: str) -> str:
    return f"Authorization: Bearer {key}\r\n"


# --- dispatch: agents claim and complete ---------------------------------------------------------


@dataclass
class DispatchState:
    """What the driver has seen on one seeded backlog, across runs: every issue handed out, every
    completion sent, and who blocks whom (from the seed)."""

    blocker_of: dict[str, str]
    claimed: set[str] = field(default_factory=set)
    done_sent: set[str] = field(default_factory=set)


def dispatch_run(
    *,
    name: str,
    targets: list[tuple[str, int]],
    keys: list[str],
    agents: int,
    max_claims: int,
    max_seconds: float,
    state: DispatchState,
    report: Callable[[str], None],
) -> RunResult:
    """``agents`` agents (agent i on target i mod len(targets)) each loop: GET /api/dispatch/next,
    then PATCH the issue done with its claimToken. A unit is one claim completed."""
    result = RunResult(name=name)
    deadline = time.monotonic() + max_seconds
    claimed_count = 0
    json_header = "Content-Type: application/json\r\n"

    async def agent(index: int) -> None:
        nonlocal claimed_count
        host, port = targets[index % len(targets)]
        conn = HttpConnection(host, port)
        headers = auth_header(keys[index % len(keys)])
        empty = 0
        claim_op, done_op = result.op("claim"), result.op("complete")
        try:
            while (
                claimed_count < max_claims
                and time.monotonic() < deadline
                and result.errors < MAX_ERRORS
            ):
                claimed_count += 1  # reserved before the request, so the bound is exact
                t0 = time.perf_counter()
                try:
                    status, body = await conn.request("GET", "/api/dispatch/next", headers=headers)
                except HttpError as exc:
                    claimed_count -= 1
                    result.error(str(exc))
                    continue
                claim_op.latencies.append(time.perf_counter() - t0)
                if status == 204:
                    claimed_count -= 1
                    empty += 1
                    if empty > EMPTY_RETRIES:
                        result.drained = True
                        return
                    await asyncio.sleep(EMPTY_RETRY_SECONDS)
                    continue
                empty = 0
                if status != 200:
                    claimed_count -= 1
                    result.error(f"GET /api/dispatch/next -> {status}: {body[:200]!r}")
                    continue
                payload = json.loads(body)
                issue_id = payload["issue"]["id"]
                token = payload["claimToken"]
                if issue_id in state.claimed:
                    result.duplicates += 1
                    result.error(f"duplicate claim of {issue_id}")
                state.claimed.add(issue_id)
                blocker = state.blocker_of.get(issue_id)
                if blocker is not None and blocker not in state.done_sent:
                    # The claim answered before its blocker's completion was even sent.
                    result.blocked_claimed += 1
                    result.error(f"blocked issue {issue_id} claimed before {blocker} was done")
                state.done_sent.add(issue_id)
                done_body = json.dumps({"status": "done", "claimToken": token}).encode()
                t1 = time.perf_counter()
                try:
                    status, body = await conn.request(
                        "PATCH", f"/api/issues/{issue_id}", headers=headers + json_header, body=done_body
                    )
                except HttpError as exc:
                    result.error(str(exc))
                    continue
                done_op.latencies.append(time.perf_counter() - t1)
                if status != 200:
                    result.error(f"PATCH /api/issues/{issue_id} -> {status}: {body[:200]!r}")
                    continue
                result.units += 1
        finally:
            conn.close()

    with _Clock() as clock:
        asyncio.run(_run(name, result, [agent(i) for i in range(agents)], report, max_seconds))
    result.seconds, result.driver_cpu = clock.seconds, clock.share
    return result


# --- floor: the claim statement alone behind the same stack --------------------------------------


def claim_only_run(
    *,
    name: str,
    target: tuple[str, int],
    path: str,
    agents: int,
    max_claims: int,
    max_seconds: float,
    report: Callable[[str], None],
) -> RunResult:
    """``agents`` clients GET ``path`` (the floor view) until the bound; a unit is one claim."""
    result = RunResult(name=name)
    deadline = time.monotonic() + max_seconds
    count = 0
    seen: set[str] = set()

    async def agent() -> None:
        nonlocal count
        conn = HttpConnection(*target)
        op = result.op("claim")
        try:
            while count < max_claims and time.monotonic() < deadline and result.errors < MAX_ERRORS:
                count += 1
                t0 = time.perf_counter()
                try:
                    status, body = await conn.request("GET", path)
                except HttpError as exc:
                    result.error(str(exc))
                    continue
                op.latencies.append(time.perf_counter() - t0)
                if status == 204:
                    result.drained = True
                    return
                if status != 200:
                    result.error(f"GET {path} -> {status}: {body[:200]!r}")
                    continue
                issue_id = json.loads(body)["id"]
                if issue_id in seen:
                    result.duplicates += 1
                    result.error(f"duplicate floor claim of {issue_id}")
                seen.add(issue_id)
                result.units += 1
        finally:
            conn.close()

    with _Clock() as clock:
        asyncio.run(_run(name, result, [agent() for _ in range(agents)], report, max_seconds))
    result.seconds, result.driver_cpu = clock.seconds, clock.share
    return result


# --- queue preview ------------------------------------------------------------------------------


def queue_run(
    *,
    name: str,
    target: tuple[str, int],
    key: str,
    offset: int,
    requests: int,
    max_seconds: float,
    report: Callable[[str], None],
) -> RunResult:
    """One client reads the same queue page ``requests`` times (after 5 warm-up reads)."""
    result = RunResult(name=name, extra={"offset": offset})
    path = f"/api/dispatch/queue?limit=50&offset={offset}"
    headers = auth_header(key)

    async def reader() -> None:
        conn = HttpConnection(*target)
        op = result.op("page")
        deadline = time.monotonic() + max_seconds
        try:
            for i in range(requests + 5):
                if time.monotonic() > deadline or result.errors >= MAX_ERRORS:
                    return
                t0 = time.perf_counter()
                try:
                    status, body = await conn.request("GET", path, headers=headers)
                except HttpError as exc:
                    result.error(str(exc))
                    continue
                elapsed = time.perf_counter() - t0
                if status != 200:
                    result.error(f"GET {path} -> {status}: {body[:200]!r}")
                    continue
                if i >= 5:
                    op.latencies.append(elapsed)
                    result.units += 1
                    if i == 5:
                        result.extra["total"] = json.loads(body).get("total")
        finally:
            conn.close()

    with _Clock() as clock:
        asyncio.run(_run(name, result, [reader()], report, max_seconds))
    result.seconds, result.driver_cpu = clock.seconds, clock.share
    return result


# --- ingest: POST /api/signals and signed GitHub webhooks ---------------------------------------

SEVERITIES = ["low", "medium", "high", "critical"]
# A fifth of the signals repeat one of a few fingerprints, so grouping is exercised too.
REPEAT_EVERY = 5
REPEATED_FINGERPRINTS = 50


def signals_run(
    *,
    name: str,
    targets: list[tuple[str, int]],
    key: str,
    senders: int,
    max_signals: int,
    max_seconds: float,
    report: Callable[[str], None],
) -> RunResult:
    result = RunResult(name=name)
    deadline = time.monotonic() + max_seconds
    sent = 0
    run_id = uuid.uuid4().hex[:8]
    headers = auth_header(key) + "Content-Type: application/json\r\n"

    async def sender(index: int) -> None:
        nonlocal sent
        conn = HttpConnection(*targets[index % len(targets)])
        op = result.op("ingest")
        try:
            while sent < max_signals and time.monotonic() < deadline and result.errors < MAX_ERRORS:
                n = sent
                sent += 1
                fingerprint = (
                    f"bench-{run_id}-repeat-{n % REPEATED_FINGERPRINTS}"
                    if n % REPEAT_EVERY == 0
                    else f"bench-{run_id}-{n}"
                )
                body = json.dumps(
                    {
                        "source": "bench",
                        "type": "error_rate",
                        "severity": SEVERITIES[n % 4],
                        "fingerprint": fingerprint,
                        "payload": {"message": f"Error rate spike #{n}", "value": n % 100 / 100,
                                    "service": "checkout", "region": "eu-west-1"},
                    }
                ).encode()
                t0 = time.perf_counter()
                try:
                    status, response = await conn.request(
                        "POST", "/api/signals", headers=headers, body=body
                    )
                except HttpError as exc:
                    result.error(str(exc))
                    continue
                op.latencies.append(time.perf_counter() - t0)
                if status not in (200, 201):
                    result.error(f"POST /api/signals -> {status}: {response[:200]!r}")
                    continue
                result.units += 1
        finally:
            conn.close()

    with _Clock() as clock:
        asyncio.run(_run(name, result, [sender(i) for i in range(senders)], report, max_seconds))
    result.seconds, result.driver_cpu = clock.seconds, clock.share
    return result


def github_run(
    *,
    name: str,
    targets: list[tuple[str, int]],
    secret: str,
    template: dict,
    senders: int,
    max_deliveries: int,
    max_seconds: float,
    report: Callable[[str], None],
) -> RunResult:
    """Signed ``issues`` deliveries (X-Hub-Signature-256 over the exact body), each a new issue
    number, so each opens a signal issue; every delivery id is unique."""
    result = RunResult(name=name)
    deadline = time.monotonic() + max_seconds
    sent = 0
    key = secret.encode()
    base_number = int(time.time()) % 1_000_000 * 1000

    async def sender(index: int) -> None:
        nonlocal sent
        conn = HttpConnection(*targets[index % len(targets)])
        op = result.op("webhook")
        try:
            while sent < max_deliveries and time.monotonic() < deadline and result.errors < MAX_ERRORS:
                n = sent
                sent += 1
                payload = dict(template)
                payload["issue"] = {**template["issue"], "number": base_number + n,
                                    "title": f"Bench webhook issue {n}"}
                body = json.dumps(payload, separators=(",", ":")).encode()
                signature = hmac.new(key, body, hashlib.sha256).hexdigest()
                headers = (
                    "Content-Type: application/json\r\nX-GitHub-Event: issues\r\n"
                    f"X-GitHub-Delivery: {uuid.uuid4()}\r\nX-Hub-Signature-256: sha256={signature}\r\n"
                )
                t0 = time.perf_counter()
                try:
                    status, response = await conn.request(
                        "POST", "/api/signals/github", headers=headers, body=body
                    )
                except HttpError as exc:
                    result.error(str(exc))
                    continue
                op.latencies.append(time.perf_counter() - t0)
                if status not in (200, 201):
                    result.error(f"POST /api/signals/github -> {status}: {response[:200]!r}")
                    continue
                result.units += 1
        finally:
            conn.close()

    with _Clock() as clock:
        asyncio.run(_run(name, result, [sender(i) for i in range(senders)], report, max_seconds))
    result.seconds, result.driver_cpu = clock.seconds, clock.share
    return result
