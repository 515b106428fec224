"""Fingerprints: what makes two signals "the same problem".

A fingerprint is ``<source>:<kind>:<identity...>`` (``sentry:issue:1170820242``,
``github:check_run:octo-org/api:tests``). Signals sharing one while their issue is open are grouped
onto it; after the issue is closed, the same fingerprint opens a new issue related to the old one.
Each provider documents its fingerprints in ``docs/integrations/<provider>.md``.
"""
from __future__ import annotations

import hashlib

MAX_LENGTH = 255  # Signal.fingerprint and Issue.fingerprint


def make_fingerprint(source: str, kind: str, *identity: object) -> str:
    """Join the parts with ``:``; an over-long identity is replaced by its SHA-256 so the result
    always fits the column and stays stable for the same input."""
    head = f"{source}:{kind}"
    tail = ":".join(str(part) for part in identity)
    joined = f"{head}:{tail}" if tail else head
    if len(joined) <= MAX_LENGTH:
        return joined
    digest = hashlib.sha256(tail.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{head[: MAX_LENGTH - len(digest) - 3]}:#:{digest}"
