"""Our generated OpenAPI document against upstream's (../shared/spec/upstream-openapi.json).

For every upstream path + method: ours serves it, declares the same success status codes, accepts
the same query parameters, and the field names of the JSON request body and of each 2xx response
body (followed through ``$ref``/``allOf``, into ``data`` envelopes and list items) are a subset of
ours. We may add fields; we never rename or drop one.
"""
from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

# Upstream operations another area has not served yet, as (path, method). The contract test skips
# them and test_not_yet_served_entries_are_really_missing fails as soon as one is served, so this
# set can only shrink. Empty: every upstream operation is served.
NOT_YET_SERVED: set[tuple[str, str]] = set()

HTTP_METHODS = ("get", "put", "post", "patch", "delete")
# How deep to follow nested objects; upstream's deepest field is data[].children[].issue.id.
MAX_DEPTH = 6


def _upstream_path() -> Path:
    return Path(settings.BASE_DIR).parent / "shared" / "spec" / "upstream-openapi.json"


@cache
def _upstream() -> dict[str, Any]:
    return json.loads(_upstream_path().read_text())


@cache
def _ours() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _normalise(path: str) -> str:
    """Path parameters match by position, not by name: ``{id}`` == ``{issue_id}``."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def _upstream_operations() -> list[tuple[str, str]]:
    if not _upstream_path().exists():
        return []
    return [
        (path, method)
        for path, item in _upstream()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    ]


def _our_operation(path: str, method: str) -> dict[str, Any] | None:
    for our_path, item in _ours()["paths"].items():
        if _normalise(our_path) == _normalise(path):
            return item.get(method)
    return None


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def field_names(schema: dict[str, Any] | None, document: dict[str, Any], prefix: str = "", depth: int = 0) -> set[str]:
    """Every field name reachable in ``schema`` as dotted paths (``data.parent.id``; list items
    as ``[]``: ``data[].replies[].id``), through ``$ref`` and ``allOf``/``oneOf``/``anyOf``."""
    if not schema or depth > MAX_DEPTH:
        return set()
    schema = _resolve(schema, document)
    names: set[str] = set()
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            names |= field_names(part, document, prefix, depth)
    if "items" in schema:
        names |= field_names(schema["items"], document, f"{prefix}[]", depth + 1)
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        names.add(path)
        names |= field_names(sub, document, path, depth + 1)
    return names


def _json_schema(container: dict[str, Any] | None) -> dict[str, Any] | None:
    if not container:
        return None
    return container.get("content", {}).get("application/json", {}).get("schema")


def _success_codes(operation: dict[str, Any]) -> set[str]:
    return {code for code in operation.get("responses", {}) if str(code).startswith("2")}


def _query_parameters(operation: dict[str, Any]) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}


OPERATIONS = _upstream_operations()
needs_upstream = pytest.mark.skipif(
    not _upstream_path().exists(), reason=f"upstream OpenAPI document not found at {_upstream_path()}"
)


@needs_upstream
def test_upstream_document_is_readable():
    assert len(OPERATIONS) > 30  # a truncated or replaced document would make the contract vacuous


@needs_upstream
@pytest.mark.parametrize("path, method", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_upstream_operation_is_served_with_the_same_fields(path, method):
    if (path, method) in NOT_YET_SERVED:
        pytest.skip("listed in NOT_YET_SERVED (owned by another area)")
    upstream = _upstream()["paths"][path][method]
    ours = _our_operation(path, method)
    assert ours is not None, f"{method.upper()} {path} is not in our schema"

    missing_codes = _success_codes(upstream) - _success_codes(ours)
    assert not missing_codes, f"success status codes missing: {missing_codes}"

    missing_params = _query_parameters(upstream) - _query_parameters(ours)
    assert not missing_params, f"query parameters missing: {missing_params}"

    upstream_request = field_names(_json_schema(upstream.get("requestBody")), _upstream())
    our_request = field_names(_json_schema(ours.get("requestBody")), _ours())
    assert upstream_request <= our_request, f"request fields missing: {sorted(upstream_request - our_request)}"

    for code in sorted(_success_codes(upstream)):
        upstream_fields = field_names(_json_schema(upstream["responses"][code]), _upstream())
        our_fields = field_names(_json_schema(ours["responses"].get(code)), _ours())
        missing = sorted(upstream_fields - our_fields)
        assert not missing, f"{code} response fields missing: {missing}"


@needs_upstream
def test_not_yet_served_entries_are_really_missing():
    stale = sorted(op for op in NOT_YET_SERVED if _our_operation(*op) is not None)
    assert not stale, f"served now, remove from NOT_YET_SERVED: {stale}"
    unknown = sorted(op for op in NOT_YET_SERVED if op not in OPERATIONS)
    assert not unknown, f"not upstream operations: {unknown}"


@needs_upstream
def test_every_operation_declares_bearer_auth_unless_public():
    public = {"/", "/health", "/api/schema/"}
    for path, item in _ours()["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS or path in public:
                continue
            if path.startswith("/api/signals/") and path != "/api/signals/":
                continue  # webhooks authenticate by provider signature, not by key
            assert {"bearerAuth": []} in operation.get("security", []), f"{method.upper()} {path}"


def test_field_names_follow_refs_all_of_envelopes_and_items():
    document = {
        "components": {
            "schemas": {
                "Thing": {"type": "object", "properties": {"id": {"type": "string"}}},
            }
        }
    }
    schema = {
        "type": "object",
        "properties": {
            "data": {
                "type": "array",
                "items": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Thing"},
                        {"type": "object", "properties": {"replies": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}},
                    ]
                },
            },
            "total": {"type": "integer"},
        },
    }
    assert field_names(schema, document) == {
        "data", "data[].id", "data[].replies", "data[].replies[].id", "total",
    }
