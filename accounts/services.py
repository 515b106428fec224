"""Writes for API keys: create (the plaintext is returned once, never stored), revoke, touch."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiKey
from loop_project.errors import RuleViolation

KEY_PREFIX = "loop"
# last_used_at is written at most this often per key, so authentication stays a read.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    plaintext: str


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def parse_key(plaintext: str) -> tuple[str, str] | None:
    """Split ``loop_<prefix>_<secret>`` into (prefix, secret); None when it is not that shape."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


@transaction.atomic
def create_api_key(
    *, name: str, scopes: list[str] | None = None, created_by: AbstractBaseUser | None = None
) -> IssuedKey:
    name = name.strip()
    if not name:
        raise RuleViolation("API key name must not be empty", field="name")
    chosen = list(dict.fromkeys(scopes or ApiKey.ALL_SCOPES))
    unknown = [s for s in chosen if s not in ApiKey.Scope.values]
    if unknown:
        raise RuleViolation(f"Unknown scope(s): {', '.join(unknown)}", field="scopes")
    prefix = secrets.token_hex(4)
    while ApiKey.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    plaintext = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        hashed_key=hash_key(plaintext),
        scopes=chosen,
        created_by=created_by if created_by and created_by.pk else None,
    )
    return IssuedKey(api_key=api_key, plaintext=plaintext)


def revoke_api_key(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def touch_api_key(*, api_key: ApiKey) -> None:
    """Record use, at most once per LAST_USED_RESOLUTION per key (one conditional UPDATE)."""
    now = timezone.now()
    if api_key.last_used_at and now - api_key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=api_key.pk).exclude(
        last_used_at__gte=now - LAST_USED_RESOLUTION
    ).update(last_used_at=now)
    api_key.last_used_at = now
