"""The database failing at any layer of a request: always 503 + Retry-After with the JSON error
body and no stack trace, never a 500 or an HTML page; answered at once; fine again as soon as the
database answers. These run on any database by making every query fail in-process; the
PostgreSQL fault tests (test_db_faults.py) do it for real."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from django.db import InterfaceError, OperationalError, connections
from django.db.backends.utils import CursorWrapper
from django.test import Client

from loop_project import middleware
from tests.integrations.helpers import POSTHOG_SECRET

pytestmark = pytest.mark.django_db

DB_DOWN_BODY = {"error": "Database unavailable, retry shortly", "details": {"fieldErrors": {}}}


class Outage:
    """While ``active``, every SQL statement fails as it does when PostgreSQL is gone, with
    ``exception`` (OperationalError unless a test picks InterfaceError)."""

    def __init__(self) -> None:
        self.active = True
        self.exception: type[Exception] = OperationalError
        self.cause: BaseException | None = None  # the driver's error, as Django wraps it
        self.statements = 0


@pytest.fixture
def database_down(monkeypatch) -> Iterator[Outage]:
    outage = Outage()
    real_execute, real_executemany = CursorWrapper.execute, CursorWrapper.executemany

    def guard(real):
        def wrapper(self, *args, **kwargs):
            outage.statements += 1
            if outage.active:
                raise outage.exception(
                    "connection to server at 127.0.0.1, port 5432 failed: Connection refused"
                ) from outage.cause
            return real(self, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(CursorWrapper, "execute", guard(real_execute))
    monkeypatch.setattr(CursorWrapper, "executemany", guard(real_executemany))
    yield outage
    outage.active = False


def assert_database_unavailable(response) -> None:
    assert response.status_code == 503, response.content[:500]
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == DB_DOWN_BODY  # nothing else: no exception text, no trace


def test_key_authentication_failing_is_503(api_client, database_down):
    assert_database_unavailable(api_client.get("/api/issues"))


@pytest.mark.parametrize("exception", [OperationalError, InterfaceError])
def test_both_connection_error_kinds_are_503(api_client, database_down, exception):
    database_down.exception = exception
    assert_database_unavailable(api_client.post("/api/issues", {"title": "t", "type": "task"}))


def test_a_view_failing_after_authentication_is_503(api_client, monkeypatch):
    from issues.api import views

    def down(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(views.selectors, "issue_detail", down)
    assert_database_unavailable(api_client.get("/api/issues/anything"))


def test_dispatch_claim_is_503(api_client, database_down):
    assert_database_unavailable(api_client.get("/api/dispatch/next"))


def test_webhook_is_503_and_the_provider_will_redeliver(settings, database_down):
    settings.POSTHOG_WEBHOOK_SECRET = POSTHOG_SECRET
    response = Client().post(
        "/api/signals/posthog",
        data=b'{"event": "x"}',
        content_type="application/json",
        headers={"X-PostHog-Secret": POSTHOG_SECRET},
    )
    assert_database_unavailable(response)


def test_health_is_503_so_a_load_balancer_takes_the_instance_out(database_down):
    assert_database_unavailable(Client().get("/health"))


def test_plain_django_view_mcp_is_503(api_client, database_down):
    response = Client().post(
        "/mcp",
        data=b'{"jsonrpc": "2.0", "id": 1, "method": "ping"}',
        content_type="application/json",
        headers={
            "Authorization": f"Bearer {api_client.api_key_plaintext}",
            "Accept": "application/json",
        },
    )
    assert_database_unavailable(response)


def test_admin_with_a_session_is_503(database_down):
    client = Client()
    client.cookies["sessionid"] = "a" * 32
    assert_database_unavailable(client.get("/admin/"))


class FailingMiddleware:
    """Stands for any middleware whose own database work fails (sessions, auth)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise OperationalError("terminating connection due to administrator command")


def test_a_failure_inside_another_middleware_is_503(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.FailingMiddleware"]
    assert_database_unavailable(Client(raise_request_exception=False).get("/api/issues"))
    assert_database_unavailable(Client(raise_request_exception=False).get("/admin/"))


def test_the_answer_is_immediate(api_client, database_down):
    started = time.monotonic()
    for _ in range(20):
        assert_database_unavailable(api_client.get("/api/dispatch/queue"))
    assert time.monotonic() - started < 2.0


def test_service_resumes_when_the_database_answers_again(api_client, database_down):
    assert_database_unavailable(api_client.get("/api/labels"))
    database_down.active = False
    assert api_client.get("/api/labels").status_code == 200
    assert Client().get("/health").status_code == 200


def test_unexpected_errors_under_api_are_json_500_without_a_trace(api_client, monkeypatch):
    from issues.api import views

    def bug(**kwargs):
        raise ValueError("secret internal detail")

    monkeypatch.setattr(views.selectors, "issue_detail", bug)
    client = Client(raise_request_exception=False)
    response = client.get(
        "/api/issues/x", headers={"Authorization": f"Bearer {api_client.api_key_plaintext}"}
    )
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error", "details": {"fieldErrors": {}}}
    assert b"secret internal detail" not in response.content


# --- fail fast: the circuit opened by slow connection failures --------------------------------


@pytest.fixture
def slow_failures(monkeypatch, settings):
    """Every database failure counts as slow (a real one takes a connect timeout)."""
    monkeypatch.setattr(middleware, "SLOW_FAILURE_SECONDS", 0.0)
    settings.LOOP_DB_FAILFAST_SECONDS = 1.5  # roomy: a loaded CI machine must fit 5 requests in it
    return settings


def test_a_slow_connection_failure_makes_the_next_requests_fail_at_once(
    api_client, database_down, slow_failures
):
    database_down.cause = psycopg.errors.ConnectionTimeout("connection timeout expired")
    assert_database_unavailable(api_client.get("/api/issues"))
    assert middleware.circuit.is_open
    tried = database_down.statements
    for url in ("/api/issues", "/api/labels", "/health", "/mcp", "/admin/"):
        assert_database_unavailable(Client().get(url))
    assert database_down.statements == tried  # refused without touching the database

    # After the window one request probes; while the database is still away it reopens.
    time.sleep(1.55)
    assert_database_unavailable(api_client.get("/api/issues"))
    assert database_down.statements > tried and middleware.circuit.is_open

    # Once it answers again, the first probe closes the circuit.
    database_down.active = False
    time.sleep(1.55)
    assert api_client.get("/api/issues").status_code == 200
    assert not middleware.circuit.is_open
    assert api_client.get("/api/labels").status_code == 200


@pytest.mark.parametrize(
    "cause",
    [
        None,  # not a driver error at all
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.errors.LockNotAvailable("could not obtain lock"),
        psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
    ],
    ids=["no-driver-error", "deadlock", "lock-timeout", "statement-timeout"],
)
def test_query_level_failures_never_open_the_circuit(
    api_client, database_down, slow_failures, cause
):
    database_down.cause = cause
    assert_database_unavailable(api_client.get("/api/issues"))
    assert not middleware.circuit.is_open


def test_fast_connection_failures_do_not_open_the_circuit(api_client, database_down, settings):
    # Refused or killed connections already fail in milliseconds; requests keep trying.
    settings.LOOP_DB_FAILFAST_SECONDS = 5
    database_down.cause = psycopg.OperationalError("connection failed: Connection refused")
    assert_database_unavailable(api_client.get("/api/issues"))
    assert not middleware.circuit.is_open


def test_the_circuit_can_be_switched_off(api_client, database_down, slow_failures):
    slow_failures.LOOP_DB_FAILFAST_SECONDS = 0
    database_down.cause = psycopg.errors.ConnectionTimeout("connection timeout expired")
    assert_database_unavailable(api_client.get("/api/issues"))
    assert not middleware.circuit.is_open


def test_only_one_probe_at_a_time(settings):
    settings.LOOP_DB_FAILFAST_SECONDS = 0.05
    circuit = middleware.DatabaseCircuit()
    circuit.record(failed=True, used_database=False, probe=False)
    assert circuit.admit() == (False, False)
    time.sleep(0.06)
    assert circuit.admit() == (True, True)  # the probe
    assert circuit.admit() == (False, False)  # everyone else while it runs
    circuit.record(failed=False, used_database=False, probe=True)  # it never reached the database
    assert circuit.admit() == (True, True)  # so the next request probes
    circuit.record(failed=False, used_database=True, probe=True)
    assert circuit.admit() == (True, False) and not circuit.is_open


@pytest.mark.parametrize(
    "error, expected",
    [
        (psycopg.OperationalError("connection failed: Connection refused"), True),
        (psycopg.errors.ConnectionTimeout("connection timeout expired"), True),
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        (psycopg.errors.TooManyConnections("sorry, too many clients already"), True),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), True),
        (psycopg.errors.DeadlockDetected("deadlock"), False),
        (psycopg.errors.SerializationFailure("could not serialize"), False),
        (psycopg.errors.QueryCanceled("statement timeout"), False),
        (ValueError("not a database error"), False),
    ],
)
def test_connection_failure_classification(error, expected):
    try:
        try:
            raise error
        except Exception as cause:
            raise OperationalError(str(cause)) from cause
    except OperationalError as wrapped:
        assert middleware.is_connection_failure(wrapped) is expected


def test_pool_timeout_is_a_connection_failure():
    from psycopg_pool import PoolTimeout

    assert middleware.is_connection_failure(PoolTimeout("couldn't get a connection after 10 sec"))


def test_a_pool_timeout_replaces_the_connection_pool(api_client, database_down, slow_failures):
    """After an outage psycopg's pool retries with growing backoff; a request that waited out
    the pool timeout drops the pool so the next one connects at once (proved end to end with a
    real pool in test_db_faults.py::test_database_crash_and_restart_under_load[pool])."""
    from psycopg_pool import PoolTimeout

    closed = threading.Event()

    class FakePool:
        def close(self):
            closed.set()

    wrapper_class = type(connections["default"])
    pools = wrapper_class.__dict__.get("_connection_pools")
    if pools is None:  # SQLite has no pools: give the wrapper class one for this test
        wrapper_class._connection_pools = pools = {}
        added = True
    else:
        added = False
    pools["default"] = FakePool()
    try:
        database_down.cause = PoolTimeout("couldn't get a connection after 2.00 sec")
        assert_database_unavailable(api_client.get("/api/issues"))
        assert "default" not in pools
        assert closed.wait(5)
    finally:
        pools.pop("default", None)
        if added:
            del wrapper_class._connection_pools


def test_other_slow_failures_keep_the_pool(api_client, database_down, slow_failures):
    assert middleware.discard_connection_pool() is False  # no pool configured here
    database_down.cause = psycopg.errors.ConnectionTimeout("connection timeout expired")
    assert_database_unavailable(api_client.get("/api/issues"))
    assert middleware.circuit.is_open
