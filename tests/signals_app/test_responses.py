"""The ingest answer is built as plain dicts (signals_app.api.responses); it must stay exactly
what the documented DRF serializers render, for every outcome."""
import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from issues.models import Issue
from signals_app.api.responses import ingest_body, signal_representation
from signals_app.api.serializers import SignalIngestOut, SignalOut
from signals_app.models import Signal
from signals_app.services import IngestResult
from tests.signals_app.test_services import ingest as ingest_defaults

pytestmark = pytest.mark.django_db


# A payload with every JSON kind in it, so the answers are compared on more than a string.
RICH_PAYLOAD = {"message": "main is red", "n": [1, 2.5, None, True], "deep": {"a": "é"}}


def ingest(**overrides):
    return ingest_defaults(**{"payload": RICH_PAYLOAD, **overrides})


def serializer_body(result: IngestResult) -> dict:
    instance = {"data": {"signal": result.signal, "issue": result.issue}, "status": result.outcome}
    if result.regression_of is not None:
        instance["regressionOf"] = result.regression_of.pk
    return SignalIngestOut(instance).data


def render(data) -> bytes:
    return JSONRenderer().render(data)


def assert_same_answer(result: IngestResult) -> None:
    assert render(ingest_body(result)) == render(serializer_body(result))


def test_created_matches_the_serializer():
    assert_same_answer(ingest(source_id="evt-1", delivery_id="d-1", fingerprint="ci:fp"))


def test_created_without_optional_fields_matches_the_serializer():
    result = ingest(payload={})
    assert result.signal.source_id is None
    assert_same_answer(result)


def test_grouped_matches_the_serializer():
    ingest(fingerprint="ci:fp")
    result = ingest(fingerprint="ci:fp", severity="critical")  # grouped and escalated
    assert result.grouped
    assert_same_answer(result)


def test_duplicate_matches_the_serializer():
    ingest(delivery_id="d-1")
    result = ingest(delivery_id="d-1")
    assert result.duplicate  # the signal and issue are read back from the database
    assert_same_answer(result)


def test_regression_matches_the_serializer():
    first = ingest(fingerprint="ci:fp")
    Issue.objects.filter(pk=first.issue.pk).update(status="done")
    result = ingest(fingerprint="ci:fp")
    assert result.regression_of is not None
    assert_same_answer(result)


def test_signal_matches_the_serializer_in_another_time_zone():
    signal = ingest().signal
    stored = Signal.objects.get(pk=signal.pk)
    with timezone.override("America/Sao_Paulo"):
        for row in (signal, stored):
            assert signal_representation(row) == SignalOut(row).data
            assert not signal_representation(row)["createdAt"].endswith("Z")


def test_signal_matches_the_serializer_for_a_naive_timestamp():
    signal = Signal(
        id="s1", source="ci", type="t", severity=Signal.Severity.LOW, payload={"a": 1},
        issue_id="i1", created_at=timezone.make_naive(timezone.now()),
    )
    assert signal_representation(signal) == SignalOut(signal).data
