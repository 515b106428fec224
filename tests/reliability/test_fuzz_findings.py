"""One regression test per bug schemathesis found (tests/reliability/test_fuzz.py), each fixed at
its root. Each reproduces the fuzzer's failing request."""

from __future__ import annotations

import re

import pytest

from tests.factories import PromptTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("bad_type", [{}, [], ["task"], 3, None, True])
def test_template_conditions_type_of_the_wrong_json_type_is_400_not_500(api_client, bad_type):
    # Was a 500: `value in set` on a dict or list raised TypeError (unhashable).
    body = {"slug": "s", "name": "n", "conditions": {"type": bad_type}, "specificity": 10}
    response = api_client.post("/api/templates", body)
    assert response.status_code == 400
    assert response.json()["details"]["fieldErrors"]["conditions"] == [
        "conditions.type: must be one of hypothesis, monitor, plan, signal, task"
    ]
    template = PromptTemplateFactory()
    response = api_client.patch(f"/api/templates/{template.pk}", {"conditions": {"type": bad_type}})
    assert response.status_code == 400


def _operations_with_path_ids() -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method, path)
        for path, item in schema["paths"].items()
        if "{" in path
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    )


@pytest.mark.parametrize("method, path", _operations_with_path_ids())
def test_a_nul_byte_in_any_path_id_is_404_not_500(api_client, method, path):
    # Was a 500 on PostgreSQL (it cannot compare text containing NUL) for dispatch heartbeat and
    # release and every templates_app path; found by the nightly fuzz run.
    url = re.sub(r"\{[^}]+\}", "a%00b", path)
    response = getattr(api_client, method)(url, {} if method != "get" else None)
    assert response.status_code == 404, (method, url, response.status_code)
    assert response.json() == {"error": "Resource not found", "details": {"fieldErrors": {}}}


def test_a_nul_byte_in_a_console_path_is_404(admin_client):
    assert admin_client.get("/admin/issues/issue/a%00b/change/").status_code == 404
