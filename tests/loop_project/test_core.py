import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_health_is_public():
    response = APIClient().get("/health")
    assert response.status_code == 200
    assert response.json()["ok"] is True and response.json()["service"] == "loop-api"


def test_service_info():
    assert APIClient().get("/").json() == {"name": "Loop API", "version": "0.1.0"}


def test_openapi_schema_and_docs_are_served_without_a_cdn():
    client = APIClient()
    assert client.get("/api/schema/", HTTP_ACCEPT="application/json").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower() and b"drf_spectacular_sidecar" in docs.content


def test_secret_key_is_generated_into_var_when_unset(tmp_path, monkeypatch):
    import importlib

    from loop_project import settings as loop_settings

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(loop_settings, "VAR_DIR", tmp_path)
    key = loop_settings._secret_key()
    assert len(key) > 40 and (tmp_path / "secret_key").read_text().strip() == key
    assert loop_settings._secret_key() == key  # stable across starts
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert loop_settings._secret_key() == "from-env"
    importlib.reload  # settings are read once; nothing else to reload
