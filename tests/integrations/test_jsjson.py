"""Expected strings are what JavaScript (V8) prints for the same values."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.jsjson import js_compact_dumps, js_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"), (-0.0, "0"), (1.0, "1"), (100, "100"), (1.5, "1.5"), (-2.5, "-2.5"),
        (0.1, "0.1"), (123.456, "123.456"), (1e20, "100000000000000000000"),
        (1e21, "1e+21"), (1.5e21, "1.5e+21"), (123456789012345680000, "123456789012345680000"),
        (1e-6, "0.000001"), (1e-7, "1e-7"), (1.5e-7, "1.5e-7"), (-2.5e-10, "-2.5e-10"),
        (2**53 + 1, "9007199254740992"), (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (10**400, "null"),
    ],
)
def test_numbers_print_as_javascript_does(value, expected):
    assert js_number(value) == expected


def test_integer_like_keys_come_first_in_numeric_order():
    document = json.loads(
        '{"b":1,"2":2,"1":3,"01":4,"4294967295":5,"4294967294":6,"a":[true,null]}'
    )
    assert js_compact_dumps(document) == (
        '{"1":3,"2":2,"4294967294":6,"b":1,"01":4,"4294967295":5,"a":[true,null]}'
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", '"plain"'), ('q"b\\', '"q\\"b\\\\"'), ("\n\t\r\b\f", '"\\n\\t\\r\\b\\f"'),
        ("\x1f", '"\\u001f"'), ("\x7f", '"\x7f"'), ("é\u2028", '"é\u2028"'),
        ("\ud800", '"\\ud800"'), ("\U0001f600", '"\U0001f600"'), ("</script>", '"</script>"'),
    ],
)
def test_strings_escape_as_javascript_does(text, expected):
    assert js_compact_dumps(text) == expected


def test_nested_document():
    document = {"action": "created", "data": {"issue": {"count": "1", "n": 2.0, "ok": False}}}
    assert js_compact_dumps(document) == (
        '{"action":"created","data":{"issue":{"count":"1","n":2,"ok":false}}}'
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


def as_javascript(value):
    """The value as JavaScript holds it: every number a double."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [as_javascript(item) for item in value]
    return {key: as_javascript(item) for key, item in value.items()}


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_compact_form_is_the_same_document(value):
    text = js_compact_dumps(value)
    assert as_javascript(json.loads(text)) == as_javascript(value)
    assert js_compact_dumps(json.loads(text)) == text  # stable: re-serialising changes nothing
