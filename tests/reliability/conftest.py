"""Reliability fixtures: fresh rate-limit counters, and a hard deadline for fault tests."""

from __future__ import annotations

import signal
import threading

import pytest
from django.core.cache import caches


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: starts servers or PostgreSQL clusters (seconds each); CI runs them, bounded by "
        "the deadline fixture",
    )


@pytest.fixture
def throttle_cache():
    """The throttles' counters, emptied before and after the test so no other test's requests
    count against this one's limits (the local-memory cache lives as long as the process)."""
    cache = caches["default"]
    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def deadline(request):
    """Fail (instead of hanging CI) when a test runs longer than its ``slow`` budget."""
    seconds = 120
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(f"{request.node.name} exceeded its {seconds} s deadline")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def _closed_database_circuit():
    """Each test starts and ends with the fail-fast circuit closed (it is per process)."""
    from loop_project.middleware import circuit

    circuit.reset()
    yield
    circuit.reset()
