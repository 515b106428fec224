"""Rate limits: per API key and per source address, 429 with Retry-After in the shared error
format, configurable and switchable off, sliding-window counting."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from rest_framework.test import APIClient

from issues.models import Issue
from loop_project import throttling
from loop_project.throttling import ApiKeyRateThrottle, Rate, parse_rate
from tests.integrations.helpers import POSTHOG_SECRET

pytestmark = pytest.mark.django_db


class FakeClock:
    def __init__(self, start: float = 1_000_040.0) -> None:  # 20 s into a minute window
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(throttling.time, "time", fake)
    return fake


@pytest.fixture
def limits(settings, throttle_cache):
    settings.LOOP_THROTTLE_RATE = "3/min"
    settings.LOOP_WEBHOOK_THROTTLE_RATE = "3/min"
    return settings


def _assert_throttled(response) -> None:
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"error", "details"} and body["error"]
    assert body["details"] == {"fieldErrors": {}}
    assert int(response["Retry-After"]) >= 1


# --- per API key ----------------------------------------------------------------------------


def test_a_key_over_its_rate_gets_429_with_retry_after(limits, make_client, clock):
    client = make_client()
    assert [client.get("/api/labels").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/labels")
    _assert_throttled(response)
    # The window filled 20 s in: 40 s until it ends, then while it is weighted as the previous
    # window, one more request fits once its weight is down to 2/3: another 20 s.
    assert int(response["Retry-After"]) == 60


def test_a_throttled_write_does_not_reach_the_view(limits, make_client, clock):
    client = make_client()
    for index in range(3):
        assert client.post("/api/issues", {"title": f"t{index}", "type": "task"}).status_code == 201
    _assert_throttled(client.post("/api/issues", {"title": "over", "type": "task"}))
    assert Issue.objects.count() == 3 and not Issue.objects.filter(title="over").exists()


def test_keys_have_separate_budgets(limits, make_client, clock):
    first, second = make_client(name="a"), make_client(name="b")
    for _ in range(3):
        first.get("/api/labels")
    _assert_throttled(first.get("/api/labels"))
    assert second.get("/api/labels").status_code == 200


def test_every_endpoint_of_a_key_shares_one_budget(limits, make_client, clock):
    client = make_client()
    client.get("/api/labels")
    client.get("/api/projects")
    client.get("/api/dispatch/queue")
    _assert_throttled(client.get("/api/issues"))


def test_the_limit_lifts_once_retry_after_has_passed(limits, make_client, clock):
    client = make_client()
    for _ in range(3):
        client.get("/api/labels")
    response = client.get("/api/labels")
    _assert_throttled(response)
    clock.now += int(response["Retry-After"]) - 2
    _assert_throttled(client.get("/api/labels"))  # Retry-After is not a lie in the other way
    clock.now += 2
    assert client.get("/api/labels").status_code == 200


def test_refused_requests_are_not_counted(limits, make_client, clock):
    client = make_client()
    for _ in range(3):
        client.get("/api/labels")
    for _ in range(20):  # a client hammering while throttled
        _assert_throttled(client.get("/api/labels"))
    clock.now += 40 + 60  # two windows later nothing of the first is weighted any more
    assert [client.get("/api/labels").status_code for _ in range(3)] == [200, 200, 200]


def test_empty_rate_disables_the_key_limit(settings, throttle_cache, make_client):
    settings.LOOP_THROTTLE_RATE = ""
    client = make_client()
    assert {client.get("/api/labels").status_code for _ in range(50)} == {200}


def test_unauthenticated_requests_are_401_not_429(limits, anon_client, clock):
    # Authentication and scopes are checked before the limit, so a probe learns nothing new.
    assert {anon_client.get("/api/labels").status_code for _ in range(6)} == {401}


def test_the_environment_key_is_limited_by_its_agent_name(limits, settings, clock):
    settings.LOOP_API_KEY = "env-secret-key-for-tests"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer env-secret-key-for-tests")
    for _ in range(3):
        assert client.get("/api/labels").status_code == 200
    _assert_throttled(client.get("/api/labels"))


def test_keyed_requests_do_not_use_the_address_budget(limits, make_client, clock):
    client = make_client()
    for _ in range(3):
        client.get("/api/labels")
    assert Client().get("/health").status_code == 200  # same address, separate budget


# --- per source address (webhooks and other keyless endpoints) --------------------------------


def _posthog(client: Client, *, secret: str = POSTHOG_SECRET, **extra):
    return client.post(
        "/api/signals/posthog",
        data=b'{"event": "x"}',
        content_type="application/json",
        headers={"X-PostHog-Secret": secret},
        **extra,
    )


def test_webhooks_are_limited_per_source_address(limits, clock):
    limits.POSTHOG_WEBHOOK_SECRET = POSTHOG_SECRET
    sender = Client(REMOTE_ADDR="203.0.113.7")
    # Refused signatures count too: the limit comes before any work, including HMAC checks.
    statuses = [_posthog(sender, secret="wrong").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    _assert_throttled(_posthog(sender))
    assert _posthog(Client(REMOTE_ADDR="203.0.113.8")).status_code in (200, 201)


def test_forwarded_for_is_ignored_without_a_trusted_proxy(limits, clock):
    sender = Client(REMOTE_ADDR="203.0.113.7")
    for index in range(3):
        sender.get("/health", HTTP_X_FORWARDED_FOR=f"198.51.100.{index}")
    # Rotating the header does not buy a fresh budget.
    _assert_throttled(sender.get("/health", HTTP_X_FORWARDED_FOR="198.51.100.99"))


def test_forwarded_for_names_the_client_behind_a_trusted_proxy(limits, clock):
    limits.REST_FRAMEWORK = {**limits.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(3):
        proxy.get("/health", HTTP_X_FORWARDED_FOR="spoofed, 198.51.100.1")
    _assert_throttled(proxy.get("/health", HTTP_X_FORWARDED_FOR="198.51.100.1"))
    # Another client behind the same proxy has its own budget; the spoofable first hop is unused.
    assert (
        proxy.get("/health", HTTP_X_FORWARDED_FOR="198.51.100.1, 198.51.100.2").status_code == 200
    )


def test_empty_rate_disables_the_address_limit(settings, throttle_cache):
    settings.LOOP_WEBHOOK_THROTTLE_RATE = ""
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert {client.get("/health").status_code for _ in range(30)} == {200}


# --- counting and configuration ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, rate",
    [
        ("3000/min", Rate(3000, 60)),
        ("10/s", Rate(10, 1)),
        (" 5 / hour ", Rate(5, 3600)),
        ("100/DAY", Rate(100, 86400)),
        ("", None),
        ("off", None),
        (None, None),
    ],
)
def test_parse_rate(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["3000", "0/min", "-1/min", "3/fortnight", "abc", "3/min/2"])
def test_a_malformed_rate_is_a_configuration_error_naming_the_setting(text):
    with pytest.raises(ImproperlyConfigured, match="LOOP_THROTTLE_RATE"):
        parse_rate(text, "LOOP_THROTTLE_RATE")


class _Request:
    def __init__(self, key_id: str) -> None:
        self.user = type("A", (), {"is_authenticated": True, "api_key_id": key_id, "name": "n"})()
        self.META: dict[str, str] = {}


def _allowed(settings, key_id: str = "k") -> bool:
    return ApiKeyRateThrottle().allow_request(_Request(key_id), None)


def test_sliding_window_weights_the_previous_window(settings, throttle_cache, clock):
    settings.LOOP_THROTTLE_RATE = "10/min"
    clock.now = 6_000_000.0  # the start of a window
    assert all(_allowed(settings) for _ in range(10))
    assert not _allowed(settings)
    # Half-way through the next window, half of the previous window still counts: 5 more fit.
    clock.now += 90
    assert sum(_allowed(settings) for _ in range(10)) == 5
    # Half-way through the window after that, those 5 weigh 2.5: 7 more fit (2.5 + 7 <= 10).
    clock.now += 60
    assert sum(_allowed(settings) for _ in range(20)) == 7


def test_a_steady_client_just_under_the_rate_is_never_refused(settings, throttle_cache, clock):
    settings.LOOP_THROTTLE_RATE = "60/min"
    clock.now = 6_000_000.0
    refused = 0
    for _ in range(600):  # ten minutes at 95 % of the rate
        refused += not _allowed(settings)
        clock.now += 60 / 57
    assert refused == 0


def test_over_a_long_run_the_allowed_rate_is_the_configured_rate(settings, throttle_cache, clock):
    settings.LOOP_THROTTLE_RATE = "30/min"
    clock.now = 6_000_000.0
    allowed = 0
    for _ in range(6000):  # ten minutes at ten requests per second
        allowed += _allowed(settings)
        clock.now += 0.1
    assert 30 * 10 * 0.95 <= allowed <= 30 * 10 * 1.05


def test_a_broken_cache_lets_requests_through(settings, throttle_cache, monkeypatch):
    settings.LOOP_THROTTLE_RATE = "1/min"

    class Broken:
        def __getattr__(self, name):
            raise ConnectionError("cache down")

    monkeypatch.setattr(throttling, "_cache", lambda: Broken())
    assert all(_allowed(settings) for _ in range(5))
