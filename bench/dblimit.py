"""The database limit: Loop's own claim statement (dispatch/sql.py, audit row included), alone, over
psycopg with N connections in autocommit, no HTTP and no Django request cycle. What the database
can do on this machine; every HTTP figure is also reported as a share of it.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg

from bench.loadgen import MAX_ERRORS, RunResult, _Clock, _run


def claim_statement() -> str:
    """The statement Loop runs on PostgreSQL, rendered by dispatch.sql (needs Django set up)."""
    from dispatch import sql

    # Django's placeholders are psycopg's: %(name)s.
    return sql.claim_next(with_project=False)


def id_index() -> int:
    """Position of the id in the statement's RETURNING list (every column, in model order)."""
    from issues.models import Issue

    return [field.column for field in Issue._meta.concrete_fields].index("id")


def db_limit_run(
    *,
    name: str,
    dsn: str,
    statement: str,
    id_position: int,
    connections: int,
    max_claims: int,
    max_seconds: float,
    report: Callable[[str], None],
) -> RunResult:
    result = RunResult(name=name)
    deadline = time.monotonic() + max_seconds
    count = 0
    seen: set[str] = set()
    changes = json.dumps({"status": ["todo", "in_progress"]})

    async def claimer(index: int) -> None:
        nonlocal count
        op = result.op("claim")
        agent = f"bench-db-{index:02d}"
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            while count < max_claims and time.monotonic() < deadline and result.errors < MAX_ERRORS:
                count += 1
                now = datetime.now(UTC)
                lease = now + timedelta(minutes=30)
                params = {
                    "token": secrets.token_urlsafe(24),
                    "agent": agent,
                    "now": now,
                    "lease_expires_at": lease,
                    "actor": f"agent:{agent}",
                    "changes": changes,
                    "lease_text": lease.isoformat(),
                }
                t0 = time.perf_counter()
                try:
                    cursor = await conn.execute(statement, params, prepare=True)
                    row = await cursor.fetchone()
                except psycopg.Error as exc:
                    result.error(f"claim statement: {exc}")
                    continue
                op.latencies.append(time.perf_counter() - t0)
                if row is None:
                    result.drained = True
                    return
                issue_id = row[id_position]
                if issue_id in seen:
                    result.duplicates += 1
                    result.error(f"duplicate claim of {issue_id}")
                seen.add(issue_id)
                result.units += 1

    with _Clock() as clock:
        asyncio.run(_run(name, result, [claimer(i) for i in range(connections)], report, max_seconds))
    result.seconds, result.driver_cpu = clock.seconds, clock.share
    return result
