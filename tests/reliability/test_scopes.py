"""API key scopes on every operation of the generated schema: GET needs ``read``, writes need
``write``, claiming and lease calls need ``dispatch``, ``admin`` implies all. A key without the
scope gets 403 in the shared error format and changes nothing."""

from __future__ import annotations

import re
from functools import cache

import pytest
from django.apps import apps
from drf_spectacular.generators import SchemaGenerator

from issues.models import Issue
from tests.factories import IssueFactory

pytestmark = pytest.mark.django_db

SCOPES = ("read", "write", "dispatch", "admin")
# Lease operations: an agent's claim, heartbeat and release.
DISPATCH_OPERATIONS = {
    ("get", "/api/dispatch/next"),
    ("post", "/api/dispatch/{issue_id}/heartbeat"),
    ("post", "/api/dispatch/{issue_id}/release"),
}


def required_scope(method: str, path: str) -> str:
    """Loop's scope policy, stated independently of the views that implement it."""
    if (method, path) in DISPATCH_OPERATIONS:
        return "dispatch"
    return "read" if method == "get" else "write"


@cache
def keyed_operations() -> list[tuple[str, str]]:
    """Every operation of the schema that takes an API key."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            if operation.get("security", schema.get("security")) == []:
                continue  # public or signature-authenticated (webhooks, health)
            if not any(
                "bearerAuth" in requirement for requirement in operation.get("security", [])
            ):
                continue
            operations.append((method, path))
    return sorted(operations)


def _url(path: str) -> str:
    # Ids that exist nowhere: the scope check comes before any lookup, so a key without the
    # scope must get 403, and a key with it gets past the check (404, 400, 2xx ...).
    return re.sub(r"\{[^}]+\}", "nonexistent0000000000000000", path)


def _row_counts() -> dict[str, int]:
    counts = {}
    for model in apps.get_models():
        if model._meta.app_label in ("issues", "signals_app", "templates_app", "accounts"):
            manager = getattr(model, "all_objects", model._default_manager)
            counts[model._meta.label] = manager.count()
    return counts


def test_the_schema_has_operations_of_every_scope():
    needed = {required_scope(method, path) for method, path in keyed_operations()}
    assert needed == {"read", "write", "dispatch"}
    assert len(keyed_operations()) >= 30


@pytest.mark.parametrize("scope", SCOPES)
def test_every_operation_enforces_its_scope(make_client, scope):
    client = make_client(scopes=[scope], name=f"only-{scope}")
    IssueFactory()  # something to claim, so a permitted claim really writes
    for method, path in keyed_operations():
        allowed = scope == "admin" or scope == required_scope(method, path)
        before = _row_counts()
        response = getattr(client, method)(_url(path), {} if method != "get" else None)
        if allowed:
            assert response.status_code != 403, (scope, method, path, response.content[:200])
        else:
            assert response.status_code == 403, (scope, method, path, response.status_code)
            assert response.json() == {
                "error": "This API key lacks the scope this operation needs",
                "details": {"fieldErrors": {}},
            }
            assert _row_counts() == before, (scope, method, path)


def test_a_read_only_key_cannot_create_or_claim(make_client):
    issue = IssueFactory()
    reader = make_client(scopes=["read"], name="reader")
    assert reader.get("/api/issues").status_code == 200
    assert reader.post("/api/issues", {"title": "t", "type": "task"}).status_code == 403
    assert reader.get("/api/dispatch/next").status_code == 403
    assert reader.patch(f"/api/issues/{issue.pk}", {"status": "done"}).status_code == 403
    assert reader.delete(f"/api/issues/{issue.pk}").status_code == 403
    issue.refresh_from_db()
    assert issue.status == "todo" and issue.claim_token is None and issue.deleted_at is None
    assert Issue.objects.count() == 1


def test_a_dispatch_only_key_claims_but_cannot_edit(make_client):
    issue = IssueFactory()
    agent = make_client(scopes=["dispatch"], name="claimer")
    claim = agent.get("/api/dispatch/next")
    assert claim.status_code == 200 and claim.json()["issue"]["id"] == issue.pk
    token = claim.json()["claimToken"]
    assert (
        agent.post(f"/api/dispatch/{issue.pk}/heartbeat", {"claimToken": token}).status_code == 200
    )
    assert agent.patch(f"/api/issues/{issue.pk}", {"title": "x"}).status_code == 403
    assert agent.get("/api/issues").status_code == 403


def test_revoked_keys_are_401(make_client):
    from accounts.models import ApiKey
    from accounts.services import revoke_api_key

    client = make_client(name="to-revoke")
    assert client.get("/api/issues").status_code == 200
    revoke_api_key(api_key=ApiKey.objects.get(name="to-revoke"))
    response = client.get("/api/issues")
    assert response.status_code == 401 and response.json()["error"] == "Unauthorized"
