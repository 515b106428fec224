"""The database failing at any layer of a request: always 503 + Retry-After with the JSON error
body and no stack trace, never a 500 or an HTML page; answered at once; fine again as soon as the
database answers. These run on any database by making every query fail in-process; the
PostgreSQL fault tests (test_db_faults.py) do it for real."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client

from tests.integrations.helpers import POSTHOG_SECRET

pytestmark = pytest.mark.django_db

DB_DOWN_BODY = {"error": "Database unavailable, retry shortly", "details": {"fieldErrors": {}}}


class Outage:
    """While ``active``, every SQL statement fails as it does when PostgreSQL is gone, with
    ``exception`` (OperationalError unless a test picks InterfaceError)."""

    def __init__(self) -> None:
        self.active = True
        self.exception: type[Exception] = OperationalError


@pytest.fixture
def database_down(monkeypatch) -> Iterator[Outage]:
    outage = Outage()
    real_execute, real_executemany = CursorWrapper.execute, CursorWrapper.executemany

    def guard(real):
        def wrapper(self, *args, **kwargs):
            if outage.active:
                raise outage.exception(
                    "connection to server at 127.0.0.1, port 5432 failed: Connection refused"
                )
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
        "/api/signals/posthog", data=b'{"event": "x"}', content_type="application/json",
        headers={"X-PostHog-Secret": POSTHOG_SECRET},
    )
    assert_database_unavailable(response)


def test_health_is_503_so_a_load_balancer_takes_the_instance_out(database_down):
    assert_database_unavailable(Client().get("/health"))


def test_plain_django_view_mcp_is_503(api_client, database_down):
    response = Client().post(
        "/mcp", data=b'{"jsonrpc": "2.0", "id": 1, "method": "ping"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_client.api_key_plaintext}", "Accept": "application/json"},
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
