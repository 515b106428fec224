"""The claim statements, named and explained. Every SQL string dispatch runs by hand lives here.

Why hand-written SQL: the claim must be ONE statement that picks, locks and updates exactly one row
(and writes its audit row, saving a round trip per claim), and the ORM cannot say
``FOR UPDATE SKIP LOCKED`` inside a CTE feeding an ``UPDATE ... RETURNING``.

How the claim stays cheap whatever the backlog (see docs/dispatch.md):
- ``issues_issue.dispatch_rank`` is the score turned into a static sort key (issues/ranking.py);
  ascending rank is descending score.
- The partial indexes ``issue_dispatch_queue`` (dispatch_rank, id) and
  ``issue_dispatch_queue_project`` (project_id, dispatch_rank, id) hold only eligible rows:
  ``status = 'todo' AND NOT is_blocked AND deleted_at IS NULL``. The WHERE clauses below repeat
  that predicate word for word so the planner can prove the index applies; a claim then reads the
  first unlocked index entry instead of scoring and sorting the backlog.

Why the blocked check cannot race the claim, although it is a maintained column and not a
subquery in this statement: ``issues.blocking.refresh_blocked`` sets ``is_blocked`` with an UPDATE
of the blocked issue's own row, in the same transaction as the relation or status change that
blocks it. An UPDATE takes that row's lock, and so does our ``FOR UPDATE``; the two serialise:
- blocker's transaction first and still open: the row is locked, SKIP LOCKED passes over it (if
  that transaction rolls back, the issue is simply claimable by the next claim);
- blocker's transaction committed before we lock: PostgreSQL re-checks our WHERE against the
  newest row version after locking it (READ COMMITTED re-evaluation), sees ``is_blocked`` true
  and skips the row;
- our lock first: the blocking UPDATE waits for our commit and then applies to an issue that is
  already in progress, i.e. the claim happened before the block, a valid serial order.
In no order is a blocked issue handed out.
"""
from __future__ import annotations

from functools import cache

from django.db import connection

from issues.models import Issue

# --- claim-next -- PostgreSQL: claim the best eligible issue and audit it, one statement -------
# Parameters: token, agent, now, lease_expires_at, and for the audit row actor, changes (JSON text)
# and lease_text; project_id for the project variant.
_CLAIM_NEXT_TEMPLATE = """
WITH picked AS MATERIALIZED (              -- evaluated once, before the UPDATE
    SELECT id
    FROM issues_issue
    WHERE status = 'todo'                  -- the partial index predicate, verbatim ...
      AND NOT is_blocked                   -- ... blocked issues are not even in the index
      AND deleted_at IS NULL               -- ... soft-deleted ones neither
      {project_filter}
    ORDER BY dispatch_rank, id             -- the index order: best score first, id breaks ties
    LIMIT 1                                -- one row: the walk stops at the first unlocked entry
    FOR UPDATE SKIP LOCKED                 -- rows other claimers hold are passed over, not waited on
),
claimed AS (
    UPDATE issues_issue
    SET status = 'in_progress',
        claim_token = %(token)s,           -- secret the agent shows to heartbeat, release, complete
        claimed_by = %(agent)s,
        claimed_at = %(now)s,
        lease_expires_at = %(lease_expires_at)s,
        dispatch_attempts = dispatch_attempts + 1,  -- claims since the last escalation to triage
        updated_at = %(now)s
    WHERE id = (SELECT id FROM picked)     -- by primary key: exactly the row locked above
    RETURNING {columns}
),
audit AS (                                 -- the claim's IssueEvent, same shape as record_event's:
    INSERT INTO issues_issueevent (issue_id, kind, actor, changes, note, created_at)
    SELECT id, 'claimed', %(actor)s, %(changes)s::jsonb,
           'attempt ' || dispatch_attempts || ', lease until ' || %(lease_text)s,
           %(now)s
    FROM claimed                           -- no claim, no row
)
SELECT {columns} FROM claimed              -- the whole claimed row: no second read needed
"""

# --- claim-candidate -- SQLite: the best eligible issue, in index order, not yet claimed -------
# SQLite has no row locks or SKIP LOCKED; the claim is a compare-and-set in two steps. This read
# picks the candidate ...
_CLAIM_CANDIDATE_TEMPLATE = """
SELECT id
FROM issues_issue
WHERE status = 'todo'
  AND NOT is_blocked
  AND deleted_at IS NULL
  {project_filter}
ORDER BY dispatch_rank, id
LIMIT 1
"""

# --- claim-if-still-eligible -- SQLite: compare-and-set on the candidate -----------------------
# ... and this write claims it only if it is still eligible. Zero rows back means another claimer
# (or a blocking write) got there between the two statements: pick again. The WHERE re-checks the
# whole eligibility predicate at write time, under SQLite's single writer lock, so the outcome is
# as safe as the PostgreSQL statement even without Loop's IMMEDIATE transactions.
_CLAIM_IF_STILL_ELIGIBLE_TEMPLATE = """
UPDATE issues_issue
SET status = 'in_progress',
    claim_token = %(token)s,
    claimed_by = %(agent)s,
    claimed_at = %(now)s,
    lease_expires_at = %(lease_expires_at)s,
    dispatch_attempts = dispatch_attempts + 1,
    updated_at = %(now)s
WHERE id = %(candidate_id)s
  AND status = 'todo'
  AND NOT is_blocked
  AND deleted_at IS NULL
RETURNING {columns}
"""

# With a project, the extra equality lets PostgreSQL walk ``issue_dispatch_queue_project``
# (project_id, dispatch_rank, id) instead: the same order within one project.
_PROJECT_FILTER = "AND project_id = %(project_id)s"


@cache
def _columns() -> str:
    """Every concrete column of ``issues_issue``, quoted, in model order (for RETURNING)."""
    quote = connection.ops.quote_name
    return ", ".join(quote(field.column) for field in Issue._meta.concrete_fields)


def claim_next(*, with_project: bool) -> str:
    return _CLAIM_NEXT_TEMPLATE.format(
        project_filter=_PROJECT_FILTER if with_project else "", columns=_columns()
    )


def claim_candidate(*, with_project: bool) -> str:
    return _CLAIM_CANDIDATE_TEMPLATE.format(
        project_filter=_PROJECT_FILTER if with_project else ""
    )


def claim_if_still_eligible() -> str:
    return _CLAIM_IF_STILL_ELIGIBLE_TEMPLATE.format(columns=_columns())
