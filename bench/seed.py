"""Bulk seeding of a backlog with COPY (never through the API).

The rows are what Loop's write path would have produced, computed the same way:
- ``dispatch_rank`` from ``issues.ranking.dispatch_rank`` (the one place the formula lives);
- 20% of the issues are ``blocked_by`` an unfinished issue, with ``is_blocked`` set on exactly
  those rows, which is what ``issues.blocking.refresh_blocked`` would maintain;
- numbers 1..N, then ``issue_number_seq`` set past them (what ``reserve_issue_numbers`` does);
- mixed types and priorities; a tenth of the issues belong to the project with an active goal.

Deterministic for a given size (seeded RNG), so two runs measure the same backlog.
"""
from __future__ import annotations

import random
import string
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from issues.ranking import dispatch_rank

TYPES = ["signal", "hypothesis", "plan", "task", "monitor"]
TYPE_WEIGHTS = [15, 10, 10, 55, 10]
PRIORITIES = [0, 1, 2, 3, 4]
PRIORITY_WEIGHTS = [10, 5, 20, 45, 20]
BLOCKED_SHARE = 0.20
GOAL_PROJECT_SHARE = 0.10
AGE_SPREAD_DAYS = 60
_ALPHABET = string.ascii_lowercase + string.digits
_COPY_BATCH = 20_000


@dataclass(frozen=True)
class SeedResult:
    size: int
    blocked: int
    seconds: float
    blocker_of: dict[str, str]  # blocked issue id -> its blocker's id


def _ids(rng: random.Random, count: int) -> list[str]:
    """Ids in the shape of loop_project.ids.new_id (a letter, then 23 base-36 characters)."""
    firsts = rng.choices(string.ascii_lowercase, k=count)
    rest = "".join(rng.choices(_ALPHABET, k=23 * count))
    return [firsts[i] + rest[23 * i : 23 * (i + 1)] for i in range(count)]


def seed_backlog(dsn: str, *, size: int, project_id: str, progress=None) -> SeedResult:
    """COPY ``size`` todo issues and their blocking relations into an empty, migrated database."""
    started = time.monotonic()
    rng = random.Random(size)
    now = datetime.now(UTC)
    ids = _ids(rng, size)
    types = rng.choices(TYPES, weights=TYPE_WEIGHTS, k=size)
    priorities = rng.choices(PRIORITIES, weights=PRIORITY_WEIGHTS, k=size)
    order = list(range(size))
    rng.shuffle(order)
    n_blocked = int(size * BLOCKED_SHARE)
    blocked_idx = order[:n_blocked]
    free_idx = order[n_blocked:]
    blocked = set(blocked_idx)
    blocker_of = {ids[b]: ids[rng.choice(free_idx)] for b in blocked_idx}

    with psycopg.connect(dsn, autocommit=False) as conn, conn.cursor() as cur:
        columns = (
            "id, number, title, description, type, status, priority, created_at, updated_at, "
            "dispatch_rank, is_blocked, dispatch_attempts, occurrence_count, project_id"
        )
        with cur.copy(f"COPY issues_issue ({columns}) FROM STDIN") as copy:
            lines: list[str] = []
            for i in range(size):
                created = now - timedelta(seconds=rng.random() * AGE_SPREAD_DAYS * 86400)
                in_goal_project = rng.random() < GOAL_PROJECT_SHARE
                rank = dispatch_rank(
                    created_at=created,
                    priority=priorities[i],
                    issue_type=types[i],
                    has_active_goal=in_goal_project,
                )
                stamp = created.isoformat()
                lines.append(
                    f"{ids[i]}\t{i + 1}\tBench issue {i + 1}: {types[i]} p{priorities[i]}\t"
                    f"Seeded by bench/seed.py for a {size}-issue backlog.\t{types[i]}\ttodo\t"
                    f"{priorities[i]}\t{stamp}\t{stamp}\t{rank!r}\t{'t' if i in blocked else 'f'}"
                    f"\t0\t1\t{project_id if in_goal_project else chr(92) + 'N'}\n"
                )
                if len(lines) >= _COPY_BATCH:
                    copy.write("".join(lines))
                    lines.clear()
                    if progress:
                        progress(f"seeding {size:,}: {i + 1:,} issues")
            if lines:
                copy.write("".join(lines))
        rel_ids = _ids(rng, n_blocked)
        stamp = now.isoformat()
        with cur.copy(
            "COPY issues_issuerelation (id, type, created_at, issue_id, related_issue_id) FROM STDIN"
        ) as copy:
            copy.write(
                "".join(
                    f"{rel_ids[k]}\tblocked_by\t{stamp}\t{issue}\t{blocker}\n"
                    for k, (issue, blocker) in enumerate(blocker_of.items())
                )
            )
        cur.execute("SELECT setval('issue_number_seq', %s)", [size])
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) issues_issue")
        conn.execute("VACUUM (ANALYZE) issues_issuerelation")
    return SeedResult(
        size=size, blocked=n_blocked, seconds=time.monotonic() - started, blocker_of=blocker_of
    )


def check_seed(dsn: str, *, size: int) -> None:
    """Assert the seeded state matches Loop's definitions (is_blocked, counts)."""
    with psycopg.connect(dsn) as conn:
        total, blocked = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE is_blocked) FROM issues_issue"
        ).fetchone()
        wrong = conn.execute(
            """
            SELECT count(*) FROM issues_issue i
            WHERE i.is_blocked <> EXISTS (
                SELECT 1 FROM issues_issuerelation r JOIN issues_issue b ON b.id = r.related_issue_id
                WHERE r.issue_id = i.id AND r.type = 'blocked_by'
                  AND b.status NOT IN ('done', 'canceled') AND b.deleted_at IS NULL)
            """
        ).fetchone()[0]
    if total != size or wrong:
        raise RuntimeError(f"seed check failed: {total} issues (want {size}), {wrong} wrong is_blocked")
    if blocked != int(size * BLOCKED_SHARE):
        raise RuntimeError(f"seed check failed: {blocked} blocked issues")
