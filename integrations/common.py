"""What every provider shares: configured secrets, HMAC comparison, strict JSON decoding of a
verified body, and the two outcomes of mapping a payload (a signal, or a reason to ignore it)."""
from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from signals_app.api.parsers import loads_strict
from signals_app.payloads import PayloadTooDeep, make_storable

ID_MAX_LENGTH = 255  # Signal.delivery_id, Signal.source_id
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class SignalIn:
    """A provider payload mapped to a signal, ready for ``ingest_signal``."""

    source: str
    type: str
    severity: str
    title: str
    payload: dict[str, Any]
    source_id: str | None = None
    fingerprint: str | None = None
    delivery_id: str | None = None


@dataclass(frozen=True)
class Ignored:
    """A genuine delivery that is not a signal (a ping, an event type Loop does not map)."""

    reason: str
    status: str = "ignored"


class BadPayload(ValueError):
    """A correctly signed body that is not JSON or not the shape the provider documents (400)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- secrets and signatures --------------------------------------------------------------------


def configured_secrets(raw: str | None) -> list[str]:
    """A setting may hold several comma-separated secrets, so a secret can be rotated without
    dropping deliveries signed with the old one."""
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def normalise_hex_signature(value: str | None) -> str | None:
    """A presented SHA-256 hex digest in lowercase, or None when it is not exactly 64 hex digits."""
    if not value:
        return None
    candidate = value.strip().lower()
    return candidate if _HEX_SHA256.fullmatch(candidate) else None


def signature_matches(presented_hex: str, messages: Iterable[bytes], secrets: list[str]) -> bool:
    """Whether ``presented_hex`` is the HMAC-SHA256 of any message under any secret.

    ``hmac.compare_digest`` takes the same time wherever the strings differ, so a prober cannot
    recover a valid signature byte by byte from response times; every candidate is compared, so
    timing does not reveal which secret matched either.
    """
    presented = presented_hex.encode("ascii")
    matched = False
    for message in messages:
        for secret in secrets:
            expected = hmac_sha256_hex(secret, message).encode("ascii")
            matched |= hmac.compare_digest(expected, presented)
    return matched


def secret_matches(presented: str | None, secrets: list[str]) -> bool:
    """Constant-time comparison of a shared secret; digests first, so neither the length nor the
    content of the configured secret leaks through timing."""
    if not presented:
        return False
    presented_digest = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
    matched = False
    for secret in secrets:
        expected = hashlib.sha256(secret.encode("utf-8")).digest()
        matched |= hmac.compare_digest(expected, presented_digest)
    return matched


# --- payloads ----------------------------------------------------------------------------------


def parse_json_object(body: bytes) -> dict[str, Any]:
    """Decode a verified body into a JSON object that can be stored as is.

    NUL characters and lone surrogates (which PostgreSQL cannot store) are replaced by U+FFFD and
    out-of-range numbers become null, rather than losing a genuine event over them.
    """
    try:
        document = loads_strict(body)
    except ValueError:
        raise BadPayload("Malformed JSON in request body") from None
    if not isinstance(document, dict):
        raise BadPayload("Expected a JSON object")
    try:
        return make_storable(document)
    except PayloadTooDeep as exc:
        raise BadPayload(str(exc)) from None


def header_id(value: str | None) -> str | None:
    """A delivery id from a header: stripped; None when absent; hashed when longer than the
    column (still unique per value, so deduplication keeps working)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > ID_MAX_LENGTH:
        return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return value


def clip(value: str, length: int = ID_MAX_LENGTH) -> str:
    return value if len(value) <= length else value[:length]


def object_at(payload: dict[str, Any], key: str, *, field: str | None = None) -> dict[str, Any]:
    """``payload[key]`` when it is an object; ``{}`` when absent or null; BadPayload otherwise."""
    value = payload.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadPayload(f"'{field or key}' must be a JSON object", field=field or key)
    return value


def text_at(payload: dict[str, Any], key: str) -> str | None:
    """``payload[key]`` as display text: strings as they are, numbers in decimal, else None."""
    value = payload.get(key)
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None
