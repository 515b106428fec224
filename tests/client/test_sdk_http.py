"""The SDK's HTTP core: auth, error mapping, retries only for idempotent calls."""

from __future__ import annotations

import httpx
import pytest
from loop_client import (
    AuthenticationError,
    BadRequestError,
    ClaimLostError,
    ConflictError,
    LoopClient,
    LoopConnectionError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    UnexpectedResponseError,
    UnprocessableError,
)

from tests.client.fakes import API_KEY, FakeApi, claim, error, issue, reply


def test_client_sends_bearer_key_and_user_agent():
    api = FakeApi().on("GET", "/api/issues", reply(200, {"data": [], "total": 0}))
    api.client().issues.list()
    request = api.last()
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["User-Agent"].startswith("loop-client/")
    assert request.url.params["limit"] == "50" and request.url.params["offset"] == "0"


def test_client_reads_url_and_key_from_environment(monkeypatch):
    monkeypatch.setenv("LOOP_API_URL", "http://env.example:9000/")
    monkeypatch.setenv("LOOP_API_KEY", "loop_env_key")
    client = LoopClient()
    assert client.api_url == "http://env.example:9000"
    assert client.api_key == "loop_env_key"


def test_arguments_win_over_environment(monkeypatch):
    monkeypatch.setenv("LOOP_API_URL", "http://env.example")
    monkeypatch.setenv("LOOP_API_KEY", "loop_env_key")
    client = LoopClient(api_url="http://arg.example", api_key="loop_arg_key")
    assert (client.api_url, client.api_key) == ("http://arg.example", "loop_arg_key")


def test_client_without_key_sends_no_authorization_header(monkeypatch):
    monkeypatch.delenv("LOOP_API_KEY", raising=False)
    api = FakeApi().on("GET", "/health", reply(200, {"ok": True, "service": "loop-api"}))
    api.client(api_key=None).health()
    assert "Authorization" not in api.last().headers


@pytest.mark.parametrize(
    ("status", "exc_type"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableError),
        (500, ServerError),
    ],
)
def test_error_statuses_map_to_exception_classes(status, exc_type):
    api = FakeApi().on(
        "POST", "/api/issues", error(status, "nope", {"title": ["This field is required."]})
    )
    with pytest.raises(exc_type) as info:
        api.client().issues.create(title="x")
    assert info.value.status_code == status
    assert info.value.message == "nope"
    assert info.value.field_errors == {"title": ["This field is required."]}
    assert "title: This field is required." in str(info.value)


def test_non_json_error_body_still_gives_a_message():
    api = FakeApi().on("GET", "/api/issues/x", httpx.Response(502, text="Bad Gateway"))
    with pytest.raises(ServerError) as info:
        api.client(max_retries=0).issues.get("x")
    assert info.value.message == "Bad Gateway"


def test_html_success_page_raises_unexpected_response():
    api = FakeApi().on("GET", "/api/issues/x", httpx.Response(200, text="<html>login</html>"))
    with pytest.raises(UnexpectedResponseError, match="not JSON"):
        api.client().issues.get("x")


def test_get_is_retried_on_503_honouring_retry_after():
    api = FakeApi().on(
        "GET",
        "/api/issues/iss_1",
        error(503, "Database unavailable", Retry_After="2"),
        reply(200, {"data": issue()}),
    )
    found = api.client().issues.get("iss_1")
    assert found.id == "iss_1"
    assert len(api.requests) == 2
    assert api.sleeps == [2.0]


def test_get_is_retried_on_429_with_backoff_when_no_retry_after():
    api = FakeApi().on(
        "GET",
        "/api/labels",
        error(429, "slow down"),
        error(429, "slow down"),
        reply(200, {"data": [], "total": 0}),
    )
    api.client().labels.list()
    assert len(api.requests) == 3
    assert len(api.sleeps) == 2
    assert 0.25 <= api.sleeps[0] <= 0.5 and 0.5 <= api.sleeps[1] <= 1.0


def test_get_is_retried_on_connection_error():
    api = FakeApi().on(
        "GET", "/api/goals", httpx.ConnectError("refused"), reply(200, {"data": [], "total": 0})
    )
    assert api.client().goals.list().total == 0
    assert len(api.requests) == 2


def test_retries_give_up_after_max_retries_with_typed_error():
    api = FakeApi().on("GET", "/api/labels", error(429, "slow down", Retry_After="1"))
    with pytest.raises(RateLimitError) as info:
        api.client(max_retries=2).labels.list()
    assert len(api.requests) == 3
    assert info.value.retry_after == 1.0


def test_connection_errors_give_up_with_loop_connection_error():
    api = FakeApi().on("GET", "/api/labels", httpx.ConnectError("refused"))
    with pytest.raises(LoopConnectionError, match="Could not reach Loop at http://loop.test"):
        api.client(max_retries=1).labels.list()
    assert len(api.requests) == 2


def test_post_is_never_retried():
    api = FakeApi().on("POST", "/api/signals", error(503, "Database unavailable", Retry_After="1"))
    with pytest.raises(ServiceUnavailableError) as info:
        api.client().signals.ingest(source="agent", type="error", payload={})
    assert len(api.requests) == 1
    assert info.value.retry_after == 1.0


def test_post_connection_error_is_not_retried():
    api = FakeApi().on("POST", "/api/issues", httpx.ReadTimeout("slow"))
    with pytest.raises(LoopConnectionError):
        api.client().issues.create(title="x")
    assert len(api.requests) == 1


def test_dispatch_next_is_never_retried_because_it_claims():
    api = FakeApi().on("GET", "/api/dispatch/next", error(503, "busy"), reply(200, claim()))
    with pytest.raises(ServiceUnavailableError):
        api.client().dispatch.next()
    assert len(api.requests) == 1


def test_heartbeat_is_retried_because_repeating_it_is_harmless():
    api = FakeApi().on(
        "POST",
        "/api/dispatch/iss_1/heartbeat",
        httpx.ConnectError("reset"),
        reply(200, {"data": {"issueId": "iss_1", "leaseExpiresAt": "2026-02-20T13:00:00Z"}}),
    )
    lease = api.client().dispatch.heartbeat("iss_1", claim_token="tok")
    assert lease.issue_id == "iss_1"
    assert len(api.requests) == 2


def test_retry_after_beyond_the_cap_is_not_waited_for():
    api = FakeApi().on("GET", "/api/labels", error(429, "later", Retry_After="3600"))
    with pytest.raises(RateLimitError):
        api.client().labels.list()
    assert len(api.requests) == 1 and api.sleeps == []


def test_ids_are_quoted_into_the_path():
    api = FakeApi().on("GET", "/api/issues/a%2Fb", reply(200, {"data": issue(id="a/b")}))
    assert api.client().issues.get("a/b").id == "a/b"
    assert api.last().url.raw_path == b"/api/issues/a%2Fb"


def test_stale_claim_on_update_raises_claim_lost():
    api = FakeApi().on("PATCH", "/api/issues/iss_1", error(409, "Claim lost"))
    with pytest.raises(ClaimLostError):
        api.client().issues.update("iss_1", status="done", claim_token="old")


def test_conflict_without_claim_token_stays_a_plain_conflict():
    api = FakeApi().on("PATCH", "/api/issues/iss_1", error(409, "Conflict"))
    with pytest.raises(ConflictError) as info:
        api.client().issues.update("iss_1", title="x")
    assert not isinstance(info.value, ClaimLostError)


def test_retry_after_accepts_seconds_and_http_dates():
    from email.utils import format_datetime
    from datetime import UTC, datetime, timedelta

    from loop_client.sdk.errors import parse_retry_after

    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= parse_retry_after(later) <= 30
    assert parse_retry_after(format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)) == 0.0
