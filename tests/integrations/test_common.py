import json

import pytest

from integrations.common import BadPayload, header_id, parse_json_object
from signals_app.fingerprint import make_fingerprint


def test_verified_body_is_decoded_strictly():
    assert parse_json_object(b'{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"[]", b"1", b'{"a": NaN}', b'{"a": Infinity}', b"\xff", b"[" * 50_000],
)
def test_anything_but_a_json_object_is_a_bad_payload(body):
    with pytest.raises(BadPayload):
        parse_json_object(body)


def test_unstorable_text_is_replaced():
    body = json.dumps({"k\u0000": "a\u0000b", "s": "\ud83d", "ok": "\U0001f600"}).encode()
    assert parse_json_object(body) == {"k\ufffd": "a\ufffdb", "s": "\ufffd", "ok": "\U0001f600"}


def test_out_of_range_numbers_become_null_as_in_javascript():
    assert parse_json_object(b'{"big": 1e999, "neg": -1e999}') == {"big": None, "neg": None}


def test_too_deep_documents_are_refused():
    deep = b'{"a":' * 70 + b"1" + b"}" * 70
    with pytest.raises(BadPayload, match="nested deeper"):
        parse_json_object(deep)


def test_header_ids():
    assert header_id(None) is None and header_id("  ") is None
    assert header_id(" abc ") == "abc"
    long = header_id("x" * 300)
    assert long.startswith("sha256:") and long == header_id("x" * 300) != header_id("y" * 300)


def test_fingerprints_fit_the_column_and_stay_stable():
    assert make_fingerprint("github", "check_run", "o/r", "tests") == "github:check_run:o/r:tests"
    long = make_fingerprint("github", "check_run", "o/r", "t" * 400)
    assert len(long) <= 255 and long == make_fingerprint("github", "check_run", "o/r", "t" * 400)
    assert long != make_fingerprint("github", "check_run", "o/r", "u" * 400)
    assert long.startswith("github:check_run:")
