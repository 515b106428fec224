"""Hostile sizes and shapes: body size (413), JSON depth (400), huge numbers, pagination caps,
query-parameter floods, and JSON (never HTML) errors under /api/."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from issues.models import Issue
from loop_project.parsers import MAX_JSON_DEPTH, TooDeep, check_depth
from tests.factories import IssueFactory
from tests.integrations.helpers import GITHUB_SECRET, github_headers, payload

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


def _post_raw(client, url: str, raw: bytes, method: str = "post"):
    return getattr(client, method)(url, data=raw, content_type="application/json")


def _nested(depth: int) -> str:
    """A JSON value that is ``depth`` containers deep."""
    return "[" * depth + "]" * depth


# --- body size -----------------------------------------------------------------------------


def _write_endpoints(issue_id: str) -> list[tuple[str, str]]:
    return [
        ("post", "/api/issues"),
        ("patch", f"/api/issues/{issue_id}"),
        ("post", f"/api/issues/{issue_id}/comments"),
        ("post", "/api/labels"),
        ("post", "/api/projects"),
        ("post", "/api/goals"),
        ("post", "/api/templates"),
        ("post", "/api/prompt-reviews"),
        ("post", f"/api/dispatch/{issue_id}/heartbeat"),
        ("post", f"/api/dispatch/{issue_id}/release"),
    ]


def test_default_body_cap_is_one_mebibyte(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == MIB


def test_every_json_endpoint_refuses_a_body_over_the_cap_with_413(api_client, settings):
    issue = IssueFactory()
    body = json.dumps({"title": "t", "type": "task", "padding": "x" * MIB}).encode()
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    for method, url in _write_endpoints(issue.pk):
        response = _post_raw(api_client, url, body, method)
        assert response.status_code == 413, (url, response.status_code)
        assert response.json()["error"].startswith("Request body too large"), url
    assert Issue.objects.count() == 1


def test_a_body_just_under_the_cap_is_parsed(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"title": "t", "type": "task", "description": "d" * 9_000}).encode()
    assert len(body) <= 10_000
    assert _post_raw(api_client, "/api/issues", body).status_code == 201


def test_a_declared_length_over_the_cap_is_refused_before_reading(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    class Exploding:
        def read(self, *args):
            raise AssertionError("the body must not be read")

    from loop_project.parsers import LoopJSONParser, PayloadTooLarge

    request = type("R", (), {"META": {"CONTENT_LENGTH": "5000000000"}})()
    with pytest.raises(PayloadTooLarge):
        LoopJSONParser().parse(Exploding(), "application/json", {"request": request})


def test_a_body_longer_than_its_declared_length_is_capped_while_reading(settings):
    from io import BytesIO

    from loop_project.parsers import LoopJSONParser, PayloadTooLarge

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    class Counting(BytesIO):
        total = 0

        def read(self, size=-1):
            chunk = super().read(size)
            Counting.total += len(chunk)
            return chunk

    request = type("R", (), {"META": {"CONTENT_LENGTH": "10"}})()  # a lie
    with pytest.raises(PayloadTooLarge):
        LoopJSONParser().parse(Counting(b"[" + b"1," * 100_000 + b"1]"), None, {"request": request})
    assert Counting.total == 1001


def test_github_deliveries_keep_their_own_25_mb_cap(settings):
    settings.GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    settings.LOOP_WEBHOOK_THROTTLE_RATE = ""
    event = payload("github", "issues_opened")
    event["issue"]["body"] = "b" * (3 * MIB)
    body = json.dumps(event).encode()
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = Client().post(
        "/api/signals/github",
        data=body,
        content_type="application/json",
        headers=github_headers(body, "issues", delivery=str(uuid.uuid4())),
    )
    assert response.status_code in (200, 201), response.content[:300]


# --- depth and numbers -----------------------------------------------------------------------


def test_json_depth_at_the_bound_is_accepted_and_one_more_is_400(api_client):
    # The body object is level 1, so an ignored field may nest MAX_JSON_DEPTH - 1 containers.
    ok = '{"title": "t", "type": "task", "extra": %s}' % _nested(MAX_JSON_DEPTH - 1)
    assert _post_raw(api_client, "/api/issues", ok.encode()).status_code == 201
    deep = '{"title": "t", "type": "task", "extra": %s}' % _nested(MAX_JSON_DEPTH)
    response = _post_raw(api_client, "/api/issues", deep.encode())
    assert response.status_code == 400
    assert response.json()["error"] == "Malformed JSON in request body"
    assert Issue.objects.count() == 1


@pytest.mark.parametrize("depth", [100, 5_000, 200_000])
def test_very_deep_documents_are_400_not_a_crash(api_client, depth):
    response = _post_raw(api_client, "/api/labels", _nested(depth).encode())
    assert response.status_code == 400


def test_depth_check_counts_objects_and_arrays():
    check_depth(json.loads('{"a": [{"b": []}]}'), limit=4)
    with pytest.raises(TooDeep):
        check_depth(json.loads('{"a": [{"b": []}]}'), limit=3)
    check_depth("scalar", limit=1)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"title": "t", "type": "task", "priority": ' + b"9" * 5000 + b"}",
        b'{"title": "t", "type": "task", "priority": 1e999}',
        b'{"title": "t", "type": "task", "priority": Infinity}',
        b'{"title": "t", "type": "task", "priority": -NaN}',
    ],
    ids=["5000-digit-int", "float-overflow", "infinity", "nan"],
)
def test_numbers_json_cannot_represent_are_400(api_client, raw):
    response = _post_raw(api_client, "/api/issues", raw)
    assert response.status_code == 400
    assert not Issue.objects.exists()


@pytest.mark.parametrize("value", [str(2**63), str(2**64 + 1), "9" * 400, "-" + "9" * 40])
def test_out_of_range_integers_in_fields_are_400_naming_the_field(api_client, value):
    raw = b'{"title": "t", "type": "task", "priority": ' + value.encode() + b"}"
    response = _post_raw(api_client, "/api/issues", raw)
    assert response.status_code == 400
    assert "priority" in response.json()["details"]["fieldErrors"]


# --- pagination and query strings -------------------------------------------------------------


def _paged_list_urls(parameter: str = "limit") -> list[str]:
    """Every list without path parameters whose schema documents ``parameter``."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    urls = []
    for path, item in schema["paths"].items():
        get = item.get("get")
        if (
            get
            and "{" not in path
            and any(p["name"] == parameter for p in get.get("parameters", []))
        ):
            urls.append(path)
    return sorted(urls)


def test_there_are_paged_lists_to_check():
    urls = _paged_list_urls()
    assert {"/api/issues", "/api/labels", "/api/dispatch/queue", "/api/templates"} <= set(urls)


@pytest.mark.parametrize("url", _paged_list_urls())
def test_every_paged_list_caps_limit(api_client, url):
    for limit in ("201", "1000000", str(2**70), "0", "-1", "ten"):
        response = api_client.get(url, {"limit": limit})
        assert response.status_code == 400, (url, limit, response.status_code)
        assert "limit" in response.json()["details"]["fieldErrors"], (url, limit)
    assert api_client.get(url, {"limit": "200"}).status_code == 200


@pytest.mark.parametrize("url", _paged_list_urls("offset"))
def test_every_paged_list_refuses_absurd_offsets(api_client, url):
    for offset in (str(2**70), "-1"):
        response = api_client.get(url, {"offset": offset})
        assert response.status_code == 400, (url, offset, response.status_code)


def test_a_query_parameter_flood_is_a_json_400(api_client):
    query = "&".join(f"p{index}=1" for index in range(1500))
    response = api_client.get(f"/api/issues?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"].startswith("Too many parameters")


def test_an_oversized_bearer_token_is_a_plain_401(anon_client):
    anon_client.credentials(HTTP_AUTHORIZATION="Bearer " + "k" * 100_000)
    response = anon_client.get("/api/issues")
    assert response.status_code == 401 and response.json()["error"] == "Unauthorized"


# --- JSON errors, never HTML, under /api/ -------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/nope", "/api/issues/x/y/z", "/api/"])
def test_unknown_api_urls_are_json_404(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "details": {"fieldErrors": {}}}


def test_wrong_methods_are_json_405(api_client):
    response = api_client.put("/api/dispatch/next", {})
    assert response.status_code == 405
    assert response.json()["error"]


def test_mcp_oversized_body_is_json_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = Client().post(
        "/mcp",
        data=b"{" + b" " * 5000 + b"}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_client.api_key_plaintext}"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "Request body too large: at most 1000 bytes"


@pytest.mark.parametrize("depth, status", [(30, 201), (500, 400), (100_000, 400)])
def test_signal_payloads_are_depth_bounded_too(api_client, depth, status):
    # POST /api/signals has its own parser (1 MiB); its payload depth is bounded by the serializer.
    raw = '{"source": "s", "type": "t", "severity": "low", "payload": {"deep": %s}}' % _nested(depth)
    assert _post_raw(api_client, "/api/signals", raw.encode()).status_code == status
