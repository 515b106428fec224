"""Bearer API-key authentication for the REST API (and the MCP endpoint).

A key ``loop_<prefix>_<secret>`` is found by its prefix and checked by comparing SHA-256 hashes in
constant time. The single upstream-style ``LOOP_API_KEY`` from the environment is accepted too.
Every failure raises the same error, so the 401 body never says why.
"""
from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import ApiKey
from accounts.services import hash_key, parse_key, touch_api_key
from loop_project.db import PreparedQuery


@dataclass(frozen=True)
class Agent:
    """Who is calling: the principal put on ``request.user`` for API-key requests."""

    name: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    api_key_id: str | None = None
    is_authenticated: bool = True
    is_staff: bool = False

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes or ApiKey.Scope.ADMIN in self.scopes

    @property
    def actor(self) -> str:
        return f"agent:{self.name}"


ENV_KEY_AGENT_NAME = "env-key"
# Every authenticated request runs this; compiled once (loop_project/db.py).
_KEY_BY_PREFIX = PreparedQuery(lambda prefix: ApiKey.objects.filter(prefix=prefix)[:1], "prefix")


@lru_cache(maxsize=8)
def _env_key_hash(plaintext: str) -> str:
    return hash_key(plaintext)


class KnownKeys:
    """Keys that authenticated recently in this process, for ``LOOP_API_KEY_CACHE_SECONDS``, so an
    agent's steady stream of requests is not one key lookup each. Keyed by the presented key's
    hash; only successes are kept, so a new key works at once. A revocation or scope change made
    in this process applies at once (``changed``, from a model signal); made on another server, it
    applies within that time. Nothing read inside a transaction is kept."""

    MAX_ENTRIES = 4096  # a bound, not a tuning knob: past it the cache starts over

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, ApiKey]] = {}  # hash -> (read at, key)
        self.generation = 0  # bumped by every change, so a lookup that raced one is not kept

    def get(self, presented_hash: str) -> ApiKey | None:
        entry = self._entries.get(presented_hash)
        if entry is None or time.monotonic() - entry[0] >= settings.LOOP_API_KEY_CACHE_SECONDS:
            return None
        return entry[1]

    def keep(self, presented_hash: str, api_key: ApiKey, *, generation: int) -> None:
        """Keep a key read while ``generation`` was current, unless a change came since."""
        if settings.LOOP_API_KEY_CACHE_SECONDS <= 0 or connection.in_atomic_block:
            return
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[presented_hash] = (time.monotonic(), api_key)

    def changed(self, **kwargs: Any) -> None:  # a signal receiver
        """A key was written: forget every kept key now, and again when the write commits (a
        request in between may have read the old row)."""
        self.clear()
        transaction.on_commit(self.clear)

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()


known_keys = KnownKeys()


def authenticate_key(plaintext: str) -> Agent | None:
    """Return the Agent for a presented key, or None. Used by DRF and the MCP endpoint alike."""
    presented = hash_key(plaintext)
    env_key = settings.LOOP_API_KEY
    if env_key and hmac.compare_digest(presented, _env_key_hash(env_key)):
        return Agent(name=ENV_KEY_AGENT_NAME, scopes=frozenset(ApiKey.ALL_SCOPES))
    api_key = known_keys.get(presented)
    if api_key is None:
        generation = known_keys.generation
        parsed = parse_key(plaintext)
        if parsed is None:
            return None
        api_key = _KEY_BY_PREFIX.first(prefix=parsed[0])
        if api_key is None or not hmac.compare_digest(presented, api_key.hashed_key):
            return None
        if not api_key.is_active:
            return None
        known_keys.keep(presented, api_key, generation=generation)
    touch_api_key(api_key=api_key)
    return Agent(name=api_key.name, scopes=frozenset(api_key.scopes), api_key_id=api_key.id)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Agent, str] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or "\x00" in token or len(token) > 512:
            raise exceptions.AuthenticationFailed()
        agent = authenticate_key(token)
        if agent is None:
            raise exceptions.AuthenticationFailed()
        return agent, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="loop"'
