"""The schema documents the answers the layers around every view give: 429 and 503 with
Retry-After everywhere, 401/403 with an API key, 400/413/415 with a JSON body; and those answers
really have the documented shape."""

from __future__ import annotations

from functools import cache

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

METHODS = ("get", "put", "post", "patch", "delete")


@cache
def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations():
    for path, item in _schema()["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_operation_documents_429_and_503_with_retry_after():
    for path, method, operation in _operations():
        for code in ("429", "503"):
            response = operation["responses"].get(code)
            assert response, (method, path, code)
            assert "Retry-After" in response.get("headers", {}), (method, path, code)


def test_keyed_operations_document_401_and_403_and_body_errors():
    keyed = 0
    for path, method, operation in _operations():
        if not any("bearerAuth" in r for r in operation.get("security", [])):
            continue
        keyed += 1
        assert {"401", "403"} <= set(operation["responses"]), (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(operation["responses"]), (method, path)
    assert keyed >= 30


def _error_schema_ok(body: dict) -> bool:
    return (
        set(body) == {"error", "details"}
        and isinstance(body["error"], str)
        and isinstance(body["details"].get("fieldErrors"), dict)
    )


def test_the_documented_answers_have_the_documented_shape(
    api_client, settings, throttle_cache, monkeypatch
):
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper

    settings.LOOP_THROTTLE_RATE = "1/min"
    api_client.get("/api/labels")
    throttled = api_client.get("/api/labels")
    assert throttled.status_code == 429 and _error_schema_ok(throttled.json())

    settings.LOOP_THROTTLE_RATE = ""
    unsupported = api_client.post("/api/labels", data="name=x", content_type="text/plain")
    assert unsupported.status_code == 415 and _error_schema_ok(unsupported.json())

    def down(self, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", down)
    unavailable = Client().get("/health")
    assert unavailable.status_code == 503 and _error_schema_ok(unavailable.json())
