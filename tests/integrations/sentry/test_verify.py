import json

import pytest

from integrations.sentry.verify import verify
from tests.integrations.helpers import SENTRY_SECRET, hmac_hex, payload_bytes

BODY = payload_bytes("sentry", "issue_created")  # compact, as Sentry sends it


def check(signature, body=BODY, secrets=(SENTRY_SECRET,)):
    headers = {} if signature is None else {"Sentry-Hook-Signature": signature}
    return verify(body=body, headers=headers, secrets=list(secrets))


def test_signature_over_the_raw_body_verifies():
    assert check(hmac_hex(SENTRY_SECRET, BODY))


def test_signature_over_the_compact_reserialisation_verifies():
    # What upstream checks: a sender signed JSON.stringify(body) but sent it pretty-printed.
    pretty = json.dumps(json.loads(BODY), indent=2).encode()
    assert check(hmac_hex(SENTRY_SECRET, BODY), body=pretty)


def test_compact_form_follows_javascript_number_formatting():
    # In JavaScript, JSON.stringify({count: 1.0, small: 1e-7, big: 1e21}) gives
    # '{"count":1,"small":1e-7,"big":1e+21}'.
    signed = b'{"count":1,"small":1e-7,"big":1e+21}'
    sent = b'{"count": 1.0, "small": 0.0000001, "big": 1000000000000000000000}'
    assert check(hmac_hex(SENTRY_SECRET, signed), body=sent)


def test_reserialising_a_signed_non_compact_body_fails():
    # Signed over its own (pretty) bytes; an intermediary compacted it: not what was signed.
    pretty = json.dumps(json.loads(BODY), indent=2).encode()
    assert not check(hmac_hex(SENTRY_SECRET, pretty), body=BODY)


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        hmac_hex(SENTRY_SECRET, BODY)[:-1],
        hmac_hex(SENTRY_SECRET, BODY)[:-1] + "x",
        "sha256=" + hmac_hex(SENTRY_SECRET, BODY),
        hmac_hex("not the secret", BODY),
    ],
)
def test_bad_signatures_fail(signature):
    assert not check(signature)


def test_flipped_byte_fails_in_both_forms():
    flipped = bytearray(BODY)
    flipped[BODY.index(b"blooopy")] ^= 0x01
    assert not check(hmac_hex(SENTRY_SECRET, BODY), body=bytes(flipped))


def test_non_json_body_only_verifies_raw():
    assert check(hmac_hex(SENTRY_SECRET, b"plain"), body=b"plain")
    assert not check(hmac_hex(SENTRY_SECRET, b"plain"), body=b"plain ")


def test_rotation():
    signature = hmac_hex(SENTRY_SECRET, BODY)
    assert check(signature, secrets=["next-secret", SENTRY_SECRET])
    assert not check(signature, secrets=["next-secret"])
