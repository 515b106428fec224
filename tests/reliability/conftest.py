"""Reliability fixtures: fresh rate-limit counters per test."""
from __future__ import annotations

import pytest
from django.core.cache import caches


@pytest.fixture
def throttle_cache():
    """The throttles' counters, emptied before and after the test so no other test's requests
    count against this one's limits (the local-memory cache lives as long as the process)."""
    cache = caches["default"]
    cache.clear()
    yield cache
    cache.clear()
