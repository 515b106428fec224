"""One regression test per bug schemathesis found (tests/reliability/test_fuzz.py), each fixed at
its root. Each reproduces the fuzzer's failing request."""

from __future__ import annotations

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
