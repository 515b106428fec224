"""Shared fixtures: API clients authenticated with real hashed keys, and DB-vendor markers."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import make_api_key


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need real row locks and concurrent connections."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Each test starts without the previous test's templates or API keys cached (a flushed or
    rolled-back database sends no signals)."""
    from accounts.authentication import known_keys
    from templates_app.selection import catalog

    catalog.clear()
    known_keys.clear()
    yield
    catalog.clear()
    known_keys.clear()


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """The manifest storage needs `collectstatic`; tests serve static files unhashed."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def make_client(db) -> Callable[..., APIClient]:
    def _make(*, scopes: list[str] | None = None, name: str = "agent-1") -> APIClient:
        _, plaintext = make_api_key(name=name, scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        client.api_key_plaintext = plaintext  # type: ignore[attr-defined]
        return client

    return _make


@pytest.fixture
def api_client(make_client) -> APIClient:
    """A client whose key has every scope."""
    return make_client()


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()
