"""Database faults on real PostgreSQL: backends killed mid-request, the server crashed and
restarted under load, connections exhausted, long transactions elsewhere, an unreachable host.

Through all of them: every answer is 2xx/204/409/429 or a 503 with Retry-After and the JSON error
body (never a 500, never a hang past the connect timeout); the service recovers by itself within
seconds; nothing acknowledged is lost; no issue is handed to two agents; every webhook answered 2xx
is stored exactly once.

The crash and exhaustion tests run gunicorn (the production config) on a throwaway cluster that
this module creates in a temporary directory and destroys afterwards; the other tests touch only
their own test database's backends (filtered by its name).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest
from django.db import connection, connections
from django.test import Client

from tests.factories import IssueFactory, make_api_key
from tests.integrations.helpers import GITHUB_SECRET, github_headers, payload
from tests.reliability.loadgen import ALLOWED_STATUSES, DB_DOWN_BODY, Load, Record
from tests.reliability.pgcluster import (
    DB_NAME,
    Cluster,
    ClusterUnavailable,
    Server,
    free_port,
    manage,
    server_env,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.usefixtures("deadline")]

CONNECT_TIMEOUT = 2  # DATABASE_CONNECT_TIMEOUT (and pool timeout) of the test servers
# The longest any request may take, database down or not: the connect timeout plus slack for a
# loaded 2-core CI machine.
LATENCY_BOUND = CONNECT_TIMEOUT + 4
RECOVERY_BOUND = 10  # seconds from the database accepting connections to the first 2xx


# --- the throwaway cluster and a Loop server on it ------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    try:
        pg = Cluster(port=free_port())
    except ClusterUnavailable as missing:
        pytest.skip(f"throwaway PostgreSQL cluster unavailable: {missing}")
    try:
        pg.init()
        pg.start()
        pg.create_database()
        manage(server_env(pg), "migrate", "--noinput")
        pg.api_key = manage(server_env(pg), "create_api_key", "agent", "--quiet").strip()
        yield pg
    except ClusterUnavailable as missing:
        pytest.skip(f"throwaway PostgreSQL cluster unavailable: {missing}")
    finally:
        pg.destroy()


@pytest.fixture(scope="module", params=["direct", "pool"])
def loop_server(request, cluster, tmp_path_factory):
    """gunicorn (2 gthread workers x 4 threads) on the cluster: one connection per request
    (``direct``), or psycopg's pool (``pool``, DATABASE_POOL=true)."""
    port = free_port(18000)
    extra = (
        {"DATABASE_POOL": "true", "DATABASE_POOL_TIMEOUT": str(CONNECT_TIMEOUT)}
        if (request.param == "pool")
        else {}
    )
    env = server_env(
        cluster,
        LOOP_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        LOOP_WORKER_CLASS="gthread",
        LOOP_THREADS="4",
        GITHUB_WEBHOOK_SECRET=GITHUB_SECRET,
        **extra,
    )
    server = Server(env=env, port=port)
    server.start(tmp_path_factory.mktemp("gunicorn") / "gunicorn.log")
    server.api_key = cluster.api_key  # type: ignore[attr-defined]
    server.mode = request.param  # type: ignore[attr-defined]
    yield server
    server.stop()


def _seed_todo(server: Server, count: int) -> None:
    auth = {"Authorization": f"Bearer {server.api_key}"}  # type: ignore[attr-defined]
    with httpx.Client(base_url=server.url, headers=auth, timeout=30) as http:
        for index in range(count):
            response = http.post(
                "/api/issues", json={"title": f"seed {index}", "type": "task", "status": "todo"}
            )
            assert response.status_code == 201, response.text


def _wait_healthy(server: Server, within: float) -> float:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.url}/health", timeout=CONNECT_TIMEOUT + 2).status_code == 200:
                return time.monotonic()
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"not healthy within {within} s")


# --- invariants ------------------------------------------------------------------------------


def assert_invariants(cluster: Cluster, record: Record) -> None:
    """What every fault test demands of the answers and of the database afterwards."""
    problems = record.problems()
    assert not problems, f"{len(problems)} bad answers, e.g. {problems[:5]}"
    slow = [a for a in record.answers if a.elapsed > LATENCY_BOUND]
    assert not slow, f"{len(slow)} answers slower than {LATENCY_BOUND} s, e.g. {slow[:3]}"

    # No issue handed to two agents.
    claimed = Counter(issue_id for issue_id, _, _ in record.claims)
    assert not [i for i, n in claimed.items() if n > 1], "an issue was claimed twice"
    ids = list(claimed)
    if ids:
        events = dict(
            cluster.query(
                "SELECT issue_id, count(*) FILTER (WHERE kind = 'claimed')"
                " - count(*) FILTER (WHERE kind IN ('released', 'lease_expired'))"
                " FROM issues_issueevent WHERE issue_id = ANY(%s) GROUP BY issue_id",
                (ids,),
            )
        )
        # Even claims whose answer was lost were never doubled: each claim was ended first.
        assert set(events.values()) <= {0, 1}, events
        rows = {
            row[0]: row[1:]
            for row in cluster.query(
                "SELECT id, status, claim_token FROM issues_issue WHERE id = ANY(%s)", (ids,)
            )
        }
        for issue_id, token, _agent in record.claims:
            status, stored_token = rows[issue_id]
            # Acknowledged claims are either still held with their token or completed.
            assert status == "done" or (status == "in_progress" and stored_token == token), (
                issue_id,
                status,
            )
    # Acknowledged completions are done.
    if record.completed:
        statuses = dict(
            cluster.query(
                "SELECT id, status FROM issues_issue WHERE id = ANY(%s)", (list(record.completed),)
            )
        )
        assert set(statuses.values()) == {"done"} and len(statuses) == len(record.completed)
    # Acknowledged creations exist.
    if record.created:
        ((found,),) = cluster.query(
            "SELECT count(*) FROM issues_issue WHERE id = ANY(%s)", (list(record.created),)
        )
        assert found == len(record.created), "an acknowledged issue was lost"
    # Every webhook answered 2xx is stored exactly once; no delivery is stored twice.
    if record.sent:
        stored = Counter(
            dict(
                cluster.query(
                    "SELECT delivery_id, count(*) FROM signals_app_signal"
                    " WHERE source = 'github' AND delivery_id = ANY(%s) GROUP BY delivery_id",
                    (list(record.sent),),
                )
            )
        )
        assert all(stored[d] == 1 for d in record.delivered), "an acknowledged webhook was lost"
        assert all(n == 1 for n in stored.values()), "a delivery was stored twice"


# --- the database crashes and restarts under load ----------------------------------------------


def test_database_crash_and_restart_under_load(cluster, loop_server):
    _seed_todo(loop_server, 60)
    load = Load(loop_server.url, loop_server.api_key)
    load.start(agents=4, writers=2, senders=2)
    try:
        time.sleep(1.0)
        cluster.crash()  # immediate stop: no checkpoint, recovery replays the WAL
        down_at = time.monotonic()
        # Longer than the pool timeout, so even requests queued for a pooled connection give up.
        time.sleep(CONNECT_TIMEOUT + 1.5)
        restart_at = time.monotonic()
        cluster.start()
        up_at = time.monotonic()
        # Recovery by itself: keep the load on until it succeeds again, then a little longer.
        deadline = up_at + RECOVERY_BOUND
        while load.record.first_success_after(up_at) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
    finally:
        load.stop()
    record = load.record

    recovered = record.first_success_after(up_at)
    assert recovered is not None and recovered - up_at < RECOVERY_BOUND, "did not recover"
    # Everything asked and answered while the database was down was a 503 (with Retry-After and
    # the JSON body: assert_invariants checks every 503).
    during = [
        a
        for a in record.answers
        if a.started > down_at + 0.2 and a.started + a.elapsed < restart_at
    ]
    assert during and {a.status for a in during} == {503}, Counter(a.status for a in during)
    assert {"claim", "create", "webhook"} <= {a.kind for a in during}
    before = [a for a in record.answers if a.started + a.elapsed < down_at]
    assert any(a.status == 200 and a.kind == "claim" for a in before), "no load before the crash"
    assert record.delivered and record.completed and record.created
    assert_invariants(cluster, record)

    # A provider redelivering what was accepted stores nothing new.
    ((stored_before,),) = cluster.query("SELECT count(*) FROM signals_app_signal")
    body = json.dumps(payload("github", "issues_opened")).encode()
    with httpx.Client(base_url=loop_server.url, timeout=30) as http:
        for delivery in sorted(record.delivered)[:10]:
            headers = {
                **github_headers(body, "issues", delivery=delivery),
                "Content-Type": "application/json",
            }
            response = http.post("/api/signals/github", content=body, headers=headers)
            assert response.status_code == 200 and response.json()["status"] == "duplicate"
    ((stored_after,),) = cluster.query("SELECT count(*) FROM signals_app_signal")
    assert stored_after == stored_before


def test_connection_exhaustion_is_never_a_500(cluster, loop_server):
    _seed_todo(loop_server, 40)
    agents = 40
    held: list[psycopg.Connection] = []
    peak = [0]
    try:
        # Drop the server's open (persistent or pooled) connections, take every free slot, then
        # give one back: the server must serve 8 request threads and 40 agents with what is left.
        with psycopg.connect(cluster.conninfo("postgres"), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s"
                " AND backend_type = 'client backend'",
                (DB_NAME,),
            )
        while len(held) < 200:
            try:
                held.append(psycopg.connect(cluster.conninfo("postgres"), autocommit=True))
            except psycopg.OperationalError as error:
                assert "too many clients" in str(error) or "connection slots" in str(error), error
                break
        held.pop().close()
        probe = held[0]  # one of ours, to watch the server's connections from
        count_server_backends = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
            " AND backend_type = 'client backend'"
        )
        ((already,),) = probe.execute(count_server_backends, (DB_NAME,)).fetchall()
        # Whatever the server reconnected before the slots were taken, plus the one given back.
        available = already + 1

        record = Record()
        load = Load(loop_server.url, loop_server.api_key, record)
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.is_set():
                ((count,),) = probe.execute(count_server_backends, (DB_NAME,)).fetchall()
                peak[0] = max(peak[0], count)
                time.sleep(0.01)

        def agent(index: int) -> None:
            with httpx.Client(base_url=loop_server.url, timeout=30) as http:
                for _ in range(2):
                    load.agent_step(http, f"crowd-{index}")
                    load.writer_step(http)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        with ThreadPoolExecutor(max_workers=agents) as pool:
            list(pool.map(agent, range(agents)))
        sampling.set()
        sampler.join(5)
    finally:
        for conn in held:
            conn.close()
    # Far more agents (40) and request threads (8) than database connections.
    assert available < 8 and peak[0] <= available, (available, peak[0])
    statuses = Counter(a.status for a in record.answers)
    assert set(statuses) <= ALLOWED_STATUSES, statuses
    assert statuses[200] + statuses[201] > 0, statuses
    if loop_server.mode == "direct" and available == 1:
        # One connection per request and one slot for two workers: some were refused.
        assert statuses[503] > 0, statuses
    # (The pool queues requests for its connections instead; a 503 comes only after
    # DATABASE_POOL_TIMEOUT, and the latency bound below holds either way.)
    assert_invariants(cluster, record)

    # With the connections back, the same crowd is served in full within seconds (a worker whose
    # circuit is open answers 503 until its fail-fast window ends and a probe succeeds).
    after = Record()
    load = Load(loop_server.url, loop_server.api_key, after)
    back = time.monotonic()

    def write(_: int) -> None:
        with httpx.Client(base_url=loop_server.url, timeout=30) as http:
            while time.monotonic() < back + RECOVERY_BOUND:
                if load.writer_step(http) == 201:
                    return

    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(write, range(10)))
    assert len(after.created) == 10, Counter(a.status for a in after.answers)
    assert {a.status for a in after.answers} <= {201, 503}


# --- backends killed mid-request (this test database only) -------------------------------------


def _own_backend_killer(stop: threading.Event, kills: list[int], own_pid: int) -> None:
    """pg_terminate_backend on every client backend of *this test's database* except the test's
    own connection (``own_pid``), every 50 ms."""
    settings_dict = connection.settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        dbname=settings_dict["NAME"],
        autocommit=True,
    ) as killer:
        while not stop.is_set():
            ((count,),) = killer.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND backend_type = 'client backend'"
                " AND pid NOT IN (pg_backend_pid(), %s)",
                (own_pid,),
            ).fetchall()
            kills.append(count)
            time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_backends_killed_mid_request_fail_fast_and_recover(live_server, settings):
    settings.GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    settings.LOOP_THROTTLE_RATE = ""
    settings.LOOP_WEBHOOK_THROTTLE_RATE = ""
    _, api_key = make_api_key(name="killed")
    for _ in range(60):
        IssueFactory()
    load = Load(live_server.url, api_key)
    stop, kills = threading.Event(), []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (own_pid,) = cursor.fetchone()
    killer = threading.Thread(target=_own_backend_killer, args=(stop, kills, own_pid), daemon=True)
    load.start(agents=3, writers=2, senders=2)
    try:
        time.sleep(0.5)
        killer.start()
        time.sleep(2.5)
        stop.set()
        killer.join(10)
        calm = time.monotonic()
        deadline = calm + RECOVERY_BOUND
        while load.record.first_success_after(calm) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        stop.set()
        load.stop()
    record = load.record
    assert sum(kills) > 0, "no backend was ever killed"
    assert 503 in record.statuses(), "no request was caught by a kill"
    assert record.first_success_after(calm) is not None
    assert record.claims and record.delivered
    assert_invariants(_TestDatabase(), record)


class _TestDatabase:
    """``assert_invariants`` against this test's own database (same ``query`` as a Cluster)."""

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


# --- a long transaction elsewhere ---------------------------------------------------------------


def _raw_connection() -> psycopg.Connection:
    settings_dict = connection.settings_dict
    return psycopg.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        dbname=settings_dict["NAME"],
    )


def _drain_over_http(threads: int, api_key: str) -> tuple[list[str], float]:
    """Claim until 204 from ``threads`` in-process clients at once; (claimed ids, slowest claim)."""
    from rest_framework.test import APIClient

    slowest = [0.0]

    def drain(_: int) -> list[str]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
        got = []
        try:
            while True:
                started = time.monotonic()
                response = client.get("/api/dispatch/next")
                slowest[0] = max(slowest[0], time.monotonic() - started)
                if response.status_code == 204:
                    return got
                assert response.status_code == 200, response.content
                got.append(response.json()["issue"]["id"])
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        batches = list(pool.map(drain, range(threads)))
    return [issue_id for batch in batches for issue_id in batch], slowest[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("holder", ["row_lock", "uncommitted_claim", "snapshot"])
def test_a_long_transaction_elsewhere_causes_no_duplicate_and_no_wait(holder, settings):
    settings.LOOP_THROTTLE_RATE = ""
    _, api_key = make_api_key(name="drainer")
    issues = [IssueFactory(priority=1 if index == 0 else 3) for index in range(40)]
    top = issues[0].pk  # the first in dispatch order
    long_tx = _raw_connection()
    try:
        if holder == "row_lock":  # e.g. an admin edit left open
            long_tx.execute("SELECT id FROM issues_issue WHERE id = %s FOR UPDATE", (top,))
        elif holder == "uncommitted_claim":  # a claim whose transaction stalls, then rolls back
            long_tx.execute(
                "UPDATE issues_issue SET status = 'in_progress', claimed_by = 'stalled',"
                " claim_token = 'stalled-token' WHERE id = %s",
                (top,),
            )
        else:  # a report reading everything under one snapshot
            long_tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            long_tx.execute("SELECT count(*) FROM issues_issue WHERE status = 'todo'").fetchall()

        claimed, slowest = _drain_over_http(8, api_key)
        assert len(claimed) == len(set(claimed)), "an issue was handed out twice"
        assert slowest < 2.0, f"a claim waited {slowest:.1f} s behind the long transaction"
        if holder == "snapshot":
            assert set(claimed) == {i.pk for i in issues}
        else:
            assert set(claimed) == {i.pk for i in issues} - {top}  # skipped, not waited for
    finally:
        long_tx.rollback()
        long_tx.close()
    if holder != "snapshot":
        again, _ = _drain_over_http(4, api_key)
        assert again == [top]  # released by the rollback: handed out exactly once


# --- an unreachable database host ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_unresponsive_database_host_fails_within_the_connect_timeout(api_client, settings):
    assert connection.settings_dict["OPTIONS"].get("connect_timeout"), "no connect timeout set"
    # A fail-fast window comfortably longer than the gap between the two requests below, even on
    # a busy CI machine.
    settings.LOOP_DB_FAILFAST_SECONDS = 3.0
    # A host that accepts TCP connections and then never answers (a hung server, a black hole).
    sink = socket.socket()
    sink.bind(("127.0.0.1", 0))
    sink.listen(64)
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT", "OPTIONS")}
    connection.close()
    connection.settings_dict.update(
        HOST="127.0.0.1",
        PORT=sink.getsockname()[1],
        OPTIONS={**saved["OPTIONS"], "connect_timeout": CONNECT_TIMEOUT},
    )
    try:
        started = time.monotonic()
        response = api_client.get("/api/issues")
        elapsed = time.monotonic() - started
        started = time.monotonic()
        health = Client().get("/health")
        health_elapsed = time.monotonic() - started
    finally:
        connection.close()
        connection.settings_dict.update(saved)
        sink.close()
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json() == DB_DOWN_BODY
    assert CONNECT_TIMEOUT - 0.5 <= elapsed <= CONNECT_TIMEOUT + 2, elapsed
    # That slow failure opened the circuit: the next request is refused at once, not after
    # another connect timeout.
    assert health.status_code == 503 and health_elapsed < 0.5, health_elapsed
    # Back once the database answers: the first request after the fail-fast window probes it.
    time.sleep(settings.LOOP_DB_FAILFAST_SECONDS)
    assert api_client.get("/api/issues").status_code == 200
    assert api_client.get("/api/labels").status_code == 200
