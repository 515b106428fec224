import pytest

from integrations.github.verify import verify
from tests.integrations.helpers import GITHUB_SECRET, hmac_hex, payload_bytes

BODY = payload_bytes("github", "issues_opened")
GOOD = f"sha256={hmac_hex(GITHUB_SECRET, BODY)}"


def check(header, body=BODY, secrets=(GITHUB_SECRET,)):
    headers = {} if header is None else {"X-Hub-Signature-256": header}
    return verify(body=body, headers=headers, secrets=list(secrets))


def test_valid_signature_verifies():
    assert check(GOOD)


def test_github_example_vector():
    # GitHub's documented test vector for validating an implementation.
    digest = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert verify(
        body=b"Hello, World!",
        headers={"X-Hub-Signature-256": f"sha256={digest}"},
        secrets=["It's a Secret to Everybody"],
    )


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        GOOD[:-1],  # truncated
        GOOD[:-2] + "zz",  # not hex
        GOOD.replace("sha256=", "sha1="),
        GOOD.replace("sha256=", ""),
        "sha256=" + hmac_hex("wrong secret", BODY),
        GOOD + "00",
    ],
)
def test_bad_signatures_fail(header):
    assert not check(header)


def test_flipped_body_byte_fails():
    flipped = bytearray(BODY)
    flipped[len(flipped) // 2] ^= 0x01
    assert not check(GOOD, body=bytes(flipped))


def test_reserialised_body_fails():
    import json

    assert not check(GOOD, body=json.dumps(json.loads(BODY), separators=(",", ":")).encode())


def test_uppercase_hex_is_the_same_signature():
    assert check(GOOD.upper().replace("SHA256=", "sha256="))


def test_any_configured_secret_verifies_for_rotation():
    assert check(GOOD, secrets=["new-secret", GITHUB_SECRET])
    assert not check(GOOD, secrets=["new-secret", "other"])
