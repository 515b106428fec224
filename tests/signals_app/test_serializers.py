"""``plain_signal_in`` is POST /api/signals' fast path past ``SignalIn``: whenever it accepts a
body, ``SignalIn`` must accept it too and validate it to the same values."""
import pytest

from signals_app.api.serializers import SignalIn, plain_signal_in

VALID = {
    "source": "posthog",
    "sourceId": "evt_1",
    "type": "error_rate",
    "severity": "high",
    "payload": {"message": "Checkout errors at 22%", "value": 0.22, "tags": ["a", {"b": None}]},
    "projectId": "p1",
    "fingerprint": "checkout",
    "deliveryId": "run-42",
}
OPTIONAL = ("sourceId", "projectId", "fingerprint", "deliveryId")
TEXT = ("source", "type", *OPTIONAL)
ODD_VALUES = [
    None, "", " ", "  padded ", "tab\t", "\u00a0nbsp", 7, 7.5, True, False, [], ["x"], {}, {"a": 1},
    "nul\x00", "lone \ud800", "é ünïcode ✓", "x" * 100, "x" * 101, "x" * 150, "x" * 151,
    "x" * 255, "x" * 256, "x" * 5000,
]


def without(key):
    return {k: v for k, v in VALID.items() if k != key}


def with_value(key, value):
    return {**VALID, key: value}


def bodies():
    yield VALID
    yield {"source": "ci", "type": "t", "severity": "low", "payload": {}}
    yield {**VALID, "unknown": "ignored"}
    for key in VALID:
        yield without(key)
    for key in TEXT:
        for value in ODD_VALUES:
            yield with_value(key, value)
    for severity in ["critical", "medium", "low", "HIGH", "", None, 1, "urgent", " high"]:
        yield with_value("severity", severity)
    for payload in [
        None, [], "text", 1, {"a": float("inf")}, {"a": float("nan")}, {"k\x00": 1},
        {"a": "\udfff"}, {"a": {"b": {"c": "nul\x00"}}}, {"a": [1, 2, [3, [4]]]},
        {"n": 10**30, "f": -1.5e300, "b": True, "z": None},
    ]:
        yield with_value("payload", payload)
    deep = {}
    for _ in range(70):
        deep = {"d": deep}
    yield with_value("payload", deep)
    yield []
    yield "not an object"
    yield None


@pytest.mark.parametrize("data", list(bodies()))
def test_fast_path_accepts_only_what_the_serializer_accepts_unchanged(data):
    fast = plain_signal_in(data)
    serializer = SignalIn(data=data)
    valid = serializer.is_valid()
    if fast is not None:
        assert valid, serializer.errors
        assert fast == dict(serializer.validated_data)


def test_fast_path_takes_the_common_bodies():
    # The bodies real senders post are not left to the slow path.
    assert plain_signal_in(VALID) == dict(VALID)
    minimal = {"source": "ci", "type": "t", "severity": "low", "payload": {}}
    assert plain_signal_in(minimal) == minimal
    nulls = {**minimal, "sourceId": None, "fingerprint": "", "deliveryId": None, "projectId": ""}
    assert plain_signal_in(nulls) == nulls
