"""PostHog's stock webhook destinations cannot sign a body, so the destination sends a shared
secret in a header it is configured with: ``X-PostHog-Secret: <POSTHOG_WEBHOOK_SECRET>`` (or
``Authorization: Bearer <POSTHOG_WEBHOOK_SECRET>``, which upstream's API description names)."""
from __future__ import annotations

from collections.abc import Mapping

from integrations.common import secret_matches

SECRET_HEADER = "X-PostHog-Secret"
SECRET_SETTING = "POSTHOG_WEBHOOK_SECRET"


def presented_secret(headers: Mapping[str, str]) -> str | None:
    explicit = headers.get(SECRET_HEADER)
    if explicit is not None:
        return explicit.strip()
    scheme, _, token = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def verify(*, body: bytes, headers: Mapping[str, str], secrets: list[str]) -> bool:
    """The secret is compared in constant time; the body is not covered (PostHog cannot sign)."""
    return secret_matches(presented_secret(headers), secrets)
