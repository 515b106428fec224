"""GET/POST /api/labels and DELETE /api/labels/{id}."""
from __future__ import annotations

import pytest

from issues import services
from issues.models import IssueLabel, Label
from tests.factories import IssueFactory, LabelFactory
from tests.issues.conftest import AUTH_QUERIES

pytestmark = pytest.mark.django_db

LABEL_KEYS = {"id", "name", "color", "createdAt", "deletedAt"}


def test_create_label(api_client):
    response = api_client.post("/api/labels", {"name": "frontend", "color": "#ff6b6b"})
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == LABEL_KEYS
    assert (data["name"], data["color"], data["deletedAt"]) == ("frontend", "#ff6b6b", None)
    assert Label.objects.filter(pk=data["id"], name="frontend").exists()


def test_color_may_be_50_characters_as_upstream(api_client):
    response = api_client.post("/api/labels", {"name": "long", "color": "c" * 50})
    assert response.status_code == 201
    assert Label.objects.get(name="long").color == "c" * 50


def test_duplicate_name_is_409(api_client):
    LabelFactory(name="bug")
    response = api_client.post("/api/labels", {"name": "bug", "color": "#000"})
    assert response.status_code == 409
    assert "name" in response.json()["details"]["fieldErrors"]
    assert Label.objects.count() == 1


def test_name_of_a_deleted_label_can_be_reused(api_client):
    label = LabelFactory(name="bug")
    services.delete_label(label_id=label.pk)
    assert api_client.post("/api/labels", {"name": "bug", "color": "#000"}).status_code == 201


@pytest.mark.parametrize(
    "body, field",
    [
        ({"color": "#000"}, "name"),
        ({"name": "x"}, "color"),
        ({"name": "", "color": "#000"}, "name"),
        ({"name": "x" * 101, "color": "#000"}, "name"),
        ({"name": "x", "color": ""}, "color"),
        ({"name": "x", "color": "c" * 51}, "color"),
        ({"name": 5, "color": "#000"}, "name"),
        ({"name": "a\x00", "color": "#000"}, "name"),
    ],
)
def test_create_schema_misfits_are_400(api_client, body, field):
    response = api_client.post("/api/labels", body)
    assert response.status_code == 400
    assert field in response.json()["details"]["fieldErrors"]
    assert not Label.objects.exists()


def test_list_labels_paged_and_live_only(api_client):
    b, a, gone = LabelFactory(name="b"), LabelFactory(name="a"), LabelFactory(name="c")
    services.delete_label(label_id=gone.pk)
    body = api_client.get("/api/labels").json()
    assert body["total"] == 2
    assert [row["id"] for row in body["data"]] == [a.pk, b.pk]
    assert set(body["data"][0]) == LABEL_KEYS
    page = api_client.get("/api/labels?limit=1&offset=1").json()
    assert [row["id"] for row in page["data"]] == [b.pk] and page["total"] == 2
    assert api_client.get("/api/labels?limit=500").status_code == 400


def test_list_query_count_is_fixed(api_client, django_assert_max_num_queries):
    for _ in range(10):
        LabelFactory()
    api_client.get("/api/labels")
    with django_assert_max_num_queries(2 + AUTH_QUERIES):
        assert len(api_client.get("/api/labels").json()["data"]) == 10


def test_delete_label_soft_deletes_and_detaches(api_client):
    label = LabelFactory()
    issue = IssueFactory(labels=[label])
    response = api_client.delete(f"/api/labels/{label.pk}")
    assert response.status_code == 204
    assert Label.all_objects.get(pk=label.pk).deleted_at is not None
    assert not IssueLabel.objects.filter(issue=issue).exists()
    assert api_client.delete(f"/api/labels/{label.pk}").status_code == 404
    assert api_client.delete("/api/labels/missing").status_code == 404


def test_labels_require_auth(anon_client, read_client):
    label = LabelFactory()
    assert anon_client.get("/api/labels").status_code == 401
    assert anon_client.post("/api/labels", {"name": "x", "color": "#000"}).status_code == 401
    assert anon_client.delete(f"/api/labels/{label.pk}").status_code == 401
    assert read_client.get("/api/labels").status_code == 200
    assert read_client.post("/api/labels", {"name": "x", "color": "#000"}).status_code == 403
    assert read_client.delete(f"/api/labels/{label.pk}").status_code == 403
    assert Label.objects.count() == 1
