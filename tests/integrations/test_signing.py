"""Properties of signature checking, for any secret and any body."""
import hashlib
import hmac
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.common import configured_secrets, secret_matches, signature_matches
from integrations.github.verify import verify as github_verify
from integrations.sentry.verify import verify as sentry_verify

secrets_ = st.text(min_size=1, max_size=64).filter(lambda s: "\x00" not in s)
bodies = st.binary(max_size=2048)


def sign(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def flip(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


@settings(max_examples=200, deadline=None)
@given(secret=secrets_, body=bodies, data=st.data())
def test_github_signature_holds_exactly_for_the_signed_bytes(secret, body, data):
    digest = sign(secret, body)
    header = {"X-Hub-Signature-256": "sha256=" + digest.hex()}
    assert github_verify(body=body, headers=header, secrets=[secret])
    if body:
        bit = data.draw(st.integers(0, len(body) * 8 - 1))
        assert not github_verify(body=flip(body, bit), headers=header, secrets=[secret])
    bit = data.draw(st.integers(0, len(digest) * 8 - 1))
    forged = {"X-Hub-Signature-256": "sha256=" + flip(digest, bit).hex()}
    assert not github_verify(body=body, headers=forged, secrets=[secret])


@settings(max_examples=200, deadline=None)
@given(secret=secrets_, body=bodies, data=st.data())
def test_sentry_signature_holds_only_for_the_signed_document(secret, body, data):
    digest = sign(secret, body)
    header = {"Sentry-Hook-Signature": digest.hex()}
    assert sentry_verify(body=body, headers=header, secrets=[secret])
    if body:
        changed = flip(body, data.draw(st.integers(0, len(body) * 8 - 1)))
        if sentry_verify(body=changed, headers=header, secrets=[secret]):
            # Only possible through the compact re-serialisation: the same JSON document.
            assert json.loads(changed) == json.loads(body)
    forged = {"Sentry-Hook-Signature": flip(digest, data.draw(st.integers(0, 255))).hex()}
    assert not sentry_verify(body=body, headers=forged, secrets=[secret])


@settings(max_examples=100, deadline=None)
@given(secret=secrets_, other=secrets_, body=bodies)
def test_a_signature_under_another_secret_never_verifies(secret, other, body):
    if secret == other:
        return
    presented = sign(other, body).hex()
    assert not signature_matches(presented, [body], [secret])
    assert signature_matches(presented, [body], [secret, other])  # rotation: any configured


@settings(max_examples=100, deadline=None)
@given(secret=secrets_, presented=st.text(max_size=80))
def test_shared_secret_matches_only_itself(secret, presented):
    assert secret_matches(secret, [secret])
    assert secret_matches(presented, [secret]) == (presented == secret)


def test_configured_secrets_split_strip_and_drop_empties():
    assert configured_secrets(" new , ,old,") == ["new", "old"]
    assert configured_secrets("") == [] and configured_secrets(None) == []
