"""Fixtures for the issues API tests."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

# Authentication costs at most two queries per request (find the key; record its use at most
# once a minute). Query budgets in these tests are "the endpoint's own queries + AUTH_QUERIES".
AUTH_QUERIES = 2


@pytest.fixture
def read_client(make_client) -> APIClient:
    """A key that may read but not write."""
    return make_client(scopes=["read"], name="reader")


@pytest.fixture
def dispatch_only_client(make_client) -> APIClient:
    """A key with neither read nor write scope."""
    return make_client(scopes=["dispatch"], name="dispatcher")
