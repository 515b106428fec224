"""GitHub signs each delivery: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``
keyed with the webhook's secret (GITHUB_WEBHOOK_SECRET here)."""
from __future__ import annotations

from collections.abc import Mapping

from integrations.common import normalise_hex_signature, signature_matches

SIGNATURE_HEADER = "X-Hub-Signature-256"
SECRET_SETTING = "GITHUB_WEBHOOK_SECRET"


def verify(*, body: bytes, headers: Mapping[str, str], secrets: list[str]) -> bool:
    """True only when the header carries ``sha256=`` and the HMAC of exactly these bytes under
    one of ``secrets``. Runs before the body is parsed."""
    scheme, separator, digest = (headers.get(SIGNATURE_HEADER) or "").partition("=")
    if not separator or scheme.strip().lower() != "sha256":
        return False
    presented = normalise_hex_signature(digest)
    if presented is None:
        return False
    return signature_matches(presented, [body], secrets)
