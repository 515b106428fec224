"""The audit trail: one IssueEvent row per change, written in the same transaction as the change.

Actors are strings so history outlives keys and users: ``agent:<key name>``, ``user:<username>``,
``system``.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from issues.models import Issue, IssueEvent
from loop_project.db import Statement, insert_statement, mark_saved, run_together

SYSTEM = "system"


def actor_for_user(user: Any) -> str:
    """The actor string for a request's principal (an API-key Agent or a Django user)."""
    if user is None:
        return SYSTEM
    actor = getattr(user, "actor", None)
    if actor:
        return actor
    username = getattr(user, "get_username", lambda: "")()
    return f"user:{username}" if username else SYSTEM


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def record_event(
    issue: Issue,
    *,
    kind: str,
    actor: str,
    changes: dict[str, tuple[Any, Any]] | None = None,
    note: str = "",
    together_with: Sequence[Statement] = (),
) -> IssueEvent:
    """Write the audit row. ``together_with``: other writes of the same change, sent with it in one
    round trip on PostgreSQL (``loop_project.db.run_together``)."""
    event = IssueEvent(
        issue=issue,
        kind=kind,
        actor=actor,
        changes={field: [_plain(old), _plain(new)] for field, (old, new) in (changes or {}).items()},
        note=note,
    )
    # Written on every change of every issue: with the INSERT compiled once (loop_project/db.py).
    [(event.pk,)] = run_together(insert_statement(event), *together_with)
    mark_saved(event)
    return event
