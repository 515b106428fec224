import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from issues.models import Issue
from signals_app.api.parsers import MAX_SIGNAL_BODY_BYTES
from signals_app.models import Signal
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

URL = "/api/signals"


def body(**overrides):
    data = {
        "source": "posthog",
        "sourceId": "evt_12345",
        "type": "error_rate",
        "severity": "high",
        "payload": {"event": "error_rate", "value": 0.22, "message": "Checkout errors at 22%"},
    }
    data.update(overrides)
    return data


def post(client, data, **extra):
    return client.post(URL, data=json.dumps(data), content_type="application/json", **extra)


def test_ingest_returns_signal_and_issue(api_client):
    response = post(api_client, body())
    assert response.status_code == 201
    data = response.json()["data"]
    assert response.json()["status"] == "created"
    signal, issue = data["signal"], data["issue"]
    assert set(signal) == {
        "id", "source", "sourceId", "type", "severity", "payload", "issueId", "createdAt"
    }
    assert signal["source"] == "posthog" and signal["sourceId"] == "evt_12345"
    assert signal["type"] == "error_rate" and signal["severity"] == "high"
    assert signal["payload"]["value"] == 0.22 and signal["issueId"] == issue["id"]
    assert issue["type"] == "signal" and issue["priority"] == 2 and issue["status"] == "todo"
    assert issue["title"] == "[posthog] error_rate: Checkout errors at 22%"
    assert issue["signalSource"] == "posthog" and issue["signalPayload"]["value"] == 0.22
    stored = Signal.objects.get()
    assert stored.pk == signal["id"] and stored.issue_id == issue["id"]


def test_source_id_and_project_are_optional(api_client):
    data = body()
    del data["sourceId"]
    response = post(api_client, data)
    assert response.status_code == 201
    assert response.json()["data"]["signal"]["sourceId"] is None
    assert response.json()["data"]["issue"]["projectId"] is None


def test_project_id_links_the_issue(api_client):
    project = ProjectFactory()
    response = post(api_client, body(projectId=project.pk))
    assert response.status_code == 201
    assert response.json()["data"]["issue"]["projectId"] == project.pk


def test_unknown_project_is_422_and_stores_nothing(api_client):
    response = post(api_client, body(projectId="nope"))
    assert response.status_code == 422
    assert response.json()["details"]["fieldErrors"] == {"projectId": ["Project not found"]}
    assert not Signal.objects.exists() and not Issue.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"severity": "urgent"}, "severity"),
        ({"severity": None}, "severity"),
        ({"payload": [1, 2]}, "payload"),
        ({"payload": "text"}, "payload"),
        ({"source": ""}, "source"),
        ({"type": "x" * 101}, "type"),
        ({"source": "a\u0000b"}, "source"),
        ({"type": "bad\ud800"}, "type"),
        ({"sourceId": 5 * "x" * 60}, "sourceId"),
        ({"payload": {"message": "a\u0000b"}}, "payload.message"),
        ({"payload": {"deep": {"list": ["ok", "nul\u0000"]}}}, "payload.deep.list.1"),
        ({"payload": {"bad\u0000key": 1}}, "payload"),
    ],
)
def test_schema_misfit_is_400_naming_the_field(api_client, change, field):
    response = post(api_client, body(**change))
    assert response.status_code == 400, response.content
    assert field in response.json()["details"]["fieldErrors"]
    assert response.json()["error"]
    assert not Signal.objects.exists()


@pytest.mark.parametrize("missing", ["source", "type", "severity", "payload"])
def test_required_fields(api_client, missing):
    data = body()
    del data[missing]
    response = post(api_client, data)
    assert response.status_code == 400
    assert missing in response.json()["details"]["fieldErrors"]


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b'{"source": NaN}', b"[" * 100_000, '{"a": "\u00e9"}'.encode("latin-1")],
)
def test_malformed_json_is_400(api_client, raw):
    response = api_client.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "Malformed JSON in request body"


def test_json_array_body_is_400(api_client):
    response = post(api_client, [body()])
    assert response.status_code == 400


def test_out_of_range_number_in_payload_is_400(api_client):
    raw = json.dumps(body()).replace('"value": 0.22', '"value": 1e999').encode()
    response = api_client.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert any(name.startswith("payload") for name in response.json()["details"]["fieldErrors"])
    assert not Signal.objects.exists()


def test_too_deep_payload_is_400(api_client):
    deep = {}
    for _ in range(80):
        deep = {"x": deep}
    response = post(api_client, body(payload=deep))
    assert response.status_code == 400 and not Signal.objects.exists()


def test_oversize_body_is_413(api_client):
    data = body(payload={"blob": "x" * MAX_SIGNAL_BODY_BYTES})
    response = post(api_client, data)
    assert response.status_code == 413
    assert "Payload too large" in response.json()["error"]
    assert not Signal.objects.exists()


def test_needs_an_api_key(anon_client):
    assert post(anon_client, body()).status_code == 401
    assert not Signal.objects.exists()


def test_needs_write_scope(make_client):
    reader = make_client(scopes=["read"], name="reader")
    assert post(reader, body()).status_code == 403
    assert not Signal.objects.exists()


def test_actor_is_the_api_key(make_client):
    client = make_client(name="monitor-bot")
    issue_id = post(client, body()).json()["data"]["issue"]["id"]
    assert Issue.objects.get(pk=issue_id).events.get(kind="created").actor == "agent:monitor-bot"


def test_delivery_id_makes_retries_idempotent(api_client):
    first = post(api_client, body(deliveryId="run-42"))
    again = post(api_client, body(deliveryId="run-42"))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["data"]["signal"]["id"] == first.json()["data"]["signal"]["id"]
    assert Signal.objects.count() == 1 and Issue.objects.count() == 1


def test_fingerprint_groups_and_is_scoped_to_the_source(api_client):
    first = post(api_client, body(fingerprint="checkout-errors"))
    grouped = post(api_client, body(fingerprint="checkout-errors"))
    other_source = post(api_client, body(source="sentry", fingerprint="checkout-errors"))
    assert first.status_code == 201 and grouped.status_code == 200
    assert grouped.json()["status"] == "grouped"
    assert grouped.json()["data"]["issue"]["id"] == first.json()["data"]["issue"]["id"]
    assert other_source.status_code == 201
    assert Issue.objects.get(pk=first.json()["data"]["issue"]["id"]).occurrence_count == 2
    assert Issue.objects.get(pk=first.json()["data"]["issue"]["id"]).fingerprint == (
        "posthog:checkout-errors"
    )


def test_regression_reports_the_closed_issue(api_client):
    first = post(api_client, body(fingerprint="fp")).json()["data"]["issue"]
    Issue.objects.filter(pk=first["id"]).update(status="done")
    again = post(api_client, body(fingerprint="fp"))
    assert again.status_code == 201 and again.json()["regressionOf"] == first["id"]


# Query budgets, counted in production conditions: transaction=True makes the request's
# transaction a real BEGIN/COMMIT rather than a savepoint in the test's transaction. The budget
# counts statements that read or write data; the two transaction-control statements every write
# request has (BEGIN, COMMIT — both logged by Django's backends) come on top.
def _budget(statements):
    return statements + 2


def _data_statements(queries):
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(control)]


@pytest.mark.django_db(transaction=True)
def test_ingest_stays_within_six_statements(api_client, django_assert_max_num_queries):
    post(api_client, body())  # warm: the key's last_used_at is written at most once a minute
    with django_assert_max_num_queries(_budget(6)):
        assert post(api_client, body()).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        post(api_client, body())
    # Issue number, issue, audit event, signal; on PostgreSQL the number, the issue and the
    # signal are one statement. (The API key was looked up by the first request and is
    # remembered for LOOP_API_KEY_CACHE_SECONDS.)
    expected = 2 if connection.vendor == "postgresql" else 4
    assert len(_data_statements(queries)) == expected, _data_statements(queries)


@pytest.mark.django_db(transaction=True)
def test_ingest_into_a_project_stays_within_six_statements(
    api_client, django_assert_max_num_queries
):
    project = ProjectFactory()
    post(api_client, body())
    with django_assert_max_num_queries(_budget(6)):
        assert post(api_client, body(projectId=project.pk)).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_fingerprinted_ingest_stays_within_six_statements(
    api_client, django_assert_max_num_queries
):
    post(api_client, body())
    with django_assert_max_num_queries(_budget(6)):
        assert post(api_client, body(fingerprint="new")).status_code == 201
    with django_assert_max_num_queries(_budget(5)):
        assert post(api_client, body(fingerprint="new")).status_code == 200  # grouped
