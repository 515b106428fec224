"""Webhook test helpers: recorded payloads, and signing exactly as each provider does."""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from pathlib import Path
from typing import Any

from django.test import Client

HERE = Path(__file__).parent
GITHUB_SECRET = "It's a Secret to Everybody"
SENTRY_SECRET = "sentry-client-secret-3f1c"
POSTHOG_SECRET = "posthog-shared-secret-9a7e"


def payload_bytes(provider: str, name: str) -> bytes:
    """A recorded payload exactly as stored (minus the file's trailing newline)."""
    return (HERE / provider / "payloads" / f"{name}.json").read_bytes().rstrip(b"\n")


def payload(provider: str, name: str) -> dict[str, Any]:
    return json.loads(payload_bytes(provider, name))


def hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def github_headers(
    body: bytes, event: str, *, secret: str = GITHUB_SECRET, delivery: str | None = None
) -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "123456789",
        "X-Hub-Signature-256": f"sha256={hmac_hex(secret, body)}",
        "User-Agent": "GitHub-Hookshot/044aadd",
    }


def sentry_headers(
    body: bytes, resource: str, *, secret: str = SENTRY_SECRET, request_id: str | None = None
) -> dict[str, str]:
    return {
        "Sentry-Hook-Resource": resource,
        "Sentry-Hook-Timestamp": "1763978317",
        "Sentry-Hook-Signature": hmac_hex(secret, body),
        "Request-ID": request_id or str(uuid.uuid4()),
    }


def posthog_headers(*, secret: str = POSTHOG_SECRET) -> dict[str, str]:
    return {"X-PostHog-Secret": secret}


def deliver(provider: str, body: bytes, headers: dict[str, str], client: Client | None = None):
    return (client or Client()).post(
        f"/api/signals/{provider}", data=body, content_type="application/json", headers=headers
    )
