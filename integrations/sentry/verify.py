"""Sentry signs each delivery: ``Sentry-Hook-Signature: <hex HMAC-SHA256>`` keyed with the
integration's client secret (SENTRY_CLIENT_SECRET here).

Sentry signs the exact body it sends, so the raw bytes are checked first. Upstream Loop instead
checks the signature over ``JSON.stringify`` of the parsed body, and senders written against it
sign that string; a signature over that compact re-serialisation is accepted too. Both forms
authenticate the same JSON document, which is all that gets stored.
"""
from __future__ import annotations

from collections.abc import Mapping

from integrations.common import normalise_hex_signature, signature_matches
from integrations.jsjson import js_compact_dumps
from signals_app.api.parsers import loads_strict

SIGNATURE_HEADER = "Sentry-Hook-Signature"
SECRET_SETTING = "SENTRY_CLIENT_SECRET"


def compact_form(body: bytes) -> bytes | None:
    """The body as JavaScript's JSON.stringify(JSON.parse(body)) would write it, or None when the
    body is not JSON (then only the raw form can match)."""
    try:
        return js_compact_dumps(loads_strict(body)).encode("utf-8")
    except (ValueError, TypeError, RecursionError):
        return None


def verify(*, body: bytes, headers: Mapping[str, str], secrets: list[str]) -> bool:
    presented = normalise_hex_signature(headers.get(SIGNATURE_HEADER))
    if presented is None:
        return False
    if signature_matches(presented, [body], secrets):
        return True
    compact = compact_form(body)
    if compact is None or compact == body:
        return False
    return signature_matches(presented, [compact], secrets)
