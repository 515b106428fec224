"""Rate limits: per API key for agents, per source address for keyless requests (webhooks).

Both throttles are DRF throttles (``DEFAULT_THROTTLE_CLASSES``), so an over-limit request is a 429
in the shared error format with a ``Retry-After`` header, raised before the view touches the
database.

Counting is a sliding-window counter: one integer per (who, window) in the cache, and the previous
window's count weighted by how much of it still overlaps the last ``period`` seconds. That costs
two cache reads and one atomic increment per request whatever the rate (DRF's own throttle pickles
a list of every request timestamp, 3000 floats per request at 3000/min), and it has no burst at
window boundaries. Requests refused with 429 are not counted, so a client that honours
``Retry-After`` gets back in on time.

Counters live in the ``default`` cache (``CACHE_URL``). The default local-memory cache is per
process: with N worker processes a key may make up to N times the rate. Point ``CACHE_URL`` at a
shared cache (Redis, or the database) to make the limits global. A cache that fails lets the
request through (logged): rate limiting must never take the API down.

This module is imported by ``settings.py`` (for ``parse_rate``), so it imports nothing that reads
settings at import time.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

PERIOD_SECONDS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$", re.IGNORECASE)
# Values that switch a limit off, besides the empty string.
_OFF = {"", "off", "none", "unlimited"}


@dataclass(frozen=True)
class Rate:
    """At most ``requests`` per ``seconds``."""

    requests: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.requests} requests per {self.seconds} s"


@lru_cache(maxsize=32)
def parse_rate(value: str | None, setting: str = "rate") -> Rate | None:
    """``"3000/min"`` → Rate(3000, 60); empty or ``off`` → None (no limit).

    Periods: s/sec/second, m/min/minute, h/hour, d/day. Raises ImproperlyConfigured naming the
    setting for anything else, so a typo fails at start-up instead of silently disabling a limit.
    """
    text = (value or "").strip()
    if text.lower() in _OFF:
        return None
    match = _RATE.match(text)
    period = PERIOD_SECONDS.get(match.group(2).lower()) if match else None
    if match is None or period is None or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"{setting}={value!r} is not a rate: use <requests>/<period> with period one of "
            "s, min, hour, day (e.g. 3000/min), or leave it empty to disable the limit"
        )
    return Rate(requests=int(match.group(1)), seconds=period)


def _cache() -> Any:
    from django.core.cache import caches

    return caches[getattr(settings, "LOOP_THROTTLE_CACHE", "default")]


class SlidingWindowThrottle:
    """A DRF throttle (``allow_request`` / ``wait``) limited by the rate in ``rate_setting``.

    Subclasses say which requests they count and under which identity (``identify``); a request
    they do not identify is not limited by them.
    """

    scope: ClassVar[str]
    rate_setting: ClassVar[str]

    def __init__(self) -> None:
        self._wait: float | None = None

    def identify(self, request: Any) -> str | None:
        raise NotImplementedError

    def rate(self) -> Rate | None:
        return parse_rate(getattr(settings, self.rate_setting, ""), self.rate_setting)

    def allow_request(self, request: Any, view: Any) -> bool:
        rate = self.rate()
        if rate is None:
            return True
        ident = self.identify(request)
        if ident is None:
            return True
        try:
            return self._count(rate, ident, time.time())
        except Exception:  # noqa: BLE001 - a broken cache must not take the API down
            logger.warning("rate limit cache unavailable; request allowed", exc_info=True)
            return True

    def _count(self, rate: Rate, ident: str, now: float) -> bool:
        window = int(now // rate.seconds)
        elapsed = now - window * rate.seconds
        current_key = f"loop:throttle:{self.scope}:{ident}:{window}"
        previous_key = f"loop:throttle:{self.scope}:{ident}:{window - 1}"
        cache = _cache()
        # Two windows' worth, so the previous window is still there for the weighting.
        cache.add(current_key, 0, timeout=2 * rate.seconds + 1)
        try:
            current = cache.incr(current_key)
        except ValueError:  # expired between add and incr (a cache eviction)
            cache.set(current_key, 1, timeout=2 * rate.seconds + 1)
            current = 1
        previous = cache.get(previous_key, 0)
        overlap = (rate.seconds - elapsed) / rate.seconds
        if previous * overlap + current <= rate.requests:
            return True
        cache.decr(current_key)  # refused requests are not counted
        self._wait = self._seconds_until_room(rate, previous, current - 1, elapsed)
        return False

    @staticmethod
    def _seconds_until_room(rate: Rate, previous: int, current: int, elapsed: float) -> float:
        """When one more request would fit, assuming no other request arrives meanwhile."""
        room = rate.requests - 1 - current  # what the weighted previous window may still use
        if room >= 0 and previous > 0:
            # previous * (seconds - e) / seconds <= room  ⇔  e >= seconds * (1 - room / previous)
            return max(rate.seconds * (1 - room / previous) - elapsed, 0.0)
        # This window alone is full: wait for the next one, where it becomes the weighted one.
        until_next = rate.seconds - elapsed
        return until_next + rate.seconds * max(1 - (rate.requests - 1) / max(current, 1), 0.0)

    def wait(self) -> int | None:
        """Whole seconds for ``Retry-After`` (at least 1: DRF omits the header for 0)."""
        if self._wait is None:
            return None
        return max(1, math.ceil(self._wait))


class ApiKeyRateThrottle(SlidingWindowThrottle):
    """``LOOP_THROTTLE_RATE`` per API key (all of a key's requests, whatever the endpoint)."""

    scope = "key"
    rate_setting = "LOOP_THROTTLE_RATE"

    def identify(self, request: Any) -> str | None:
        agent = getattr(request, "user", None)
        if agent is None or not getattr(agent, "is_authenticated", False):
            return None
        key_id = getattr(agent, "api_key_id", None)
        # The environment's LOOP_API_KEY has no row, so no id: it is counted by its agent name.
        return str(key_id) if key_id else f"name:{getattr(agent, 'name', 'unknown')}"


class SourceAddressRateThrottle(SlidingWindowThrottle):
    """``LOOP_WEBHOOK_THROTTLE_RATE`` per client address, for requests made without an API key:
    provider webhooks (authenticated by signature) and the public endpoints (health, schema).

    The address is REMOTE_ADDR, or the one ``NUM_PROXIES`` hops back in X-Forwarded-For when Loop
    runs behind that many trusted proxies (``LOOP_NUM_PROXIES``); with no trusted proxy the header
    is ignored, so a client cannot pick its own bucket.
    """

    scope = "addr"
    rate_setting = "LOOP_WEBHOOK_THROTTLE_RATE"

    def identify(self, request: Any) -> str | None:
        agent = getattr(request, "user", None)
        if agent is not None and getattr(agent, "is_authenticated", False):
            return None  # counted per key instead
        return client_address(request)


def client_address(request: Any) -> str:
    from rest_framework.settings import api_settings

    meta = request.META
    remote = meta.get("REMOTE_ADDR") or "unknown"
    proxies = api_settings.NUM_PROXIES or 0
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-min(proxies, len(hops))] if hops else remote
