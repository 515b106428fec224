"""Blocking: which issues wait on which, and the maintained ``Issue.is_blocked`` column.

Definition: B is blocked while some issue A that is neither done nor canceled nor deleted has
``B blocked_by A`` or ``A blocks B`` (both spellings mean the same thing). ``is_blocked`` caches
that so dispatch can keep blocked issues out of its index; every write that can change it calls
``refresh_blocked`` for the affected issues inside the same transaction.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from issues.models import Issue, IssueRelation

_ISSUE, _RELATION = Issue._meta.db_table, IssueRelation._meta.db_table
_FINISHED = ", ".join(f"'{status.value}'" for status in Issue.FINISHED_STATUSES)
# The issues a blocker blocks, through either relation spelling (two %s: the blocker's id).
# Indexed both ways: relation_unique_per_type (issue, related_issue, type), relation_related_type.
_BLOCKED_BY_BLOCKER_SQL = f"""
SELECT issue_id FROM {_RELATION} WHERE related_issue_id = %s AND type = 'blocked_by'
UNION
SELECT related_issue_id FROM {_RELATION} WHERE issue_id = %s AND type = 'blocks'
"""
# The definition above, for the issues ``{targets}`` selects. Written out: it runs whenever a
# blocker finishes, i.e. on most completions of a claimed issue, where building the equivalent ORM
# expression cost more than running it. Rows whose value does not change are not rewritten.
_REFRESH_SQL = f"""
UPDATE {_ISSUE} SET is_blocked = NOT is_blocked
WHERE id IN ({{targets}}) AND is_blocked <> (
    EXISTS (SELECT 1 FROM {_RELATION} r JOIN {_ISSUE} b ON b.id = r.related_issue_id
            WHERE r.issue_id = {_ISSUE}.id AND r.type = 'blocked_by'
              AND b.status NOT IN ({_FINISHED}) AND b.deleted_at IS NULL)
    OR EXISTS (SELECT 1 FROM {_RELATION} r JOIN {_ISSUE} b ON b.id = r.issue_id
               WHERE r.related_issue_id = {_ISSUE}.id AND r.type = 'blocks'
                 AND b.status NOT IN ({_FINISHED}) AND b.deleted_at IS NULL)
)
"""
_REFRESH_BLOCKED_BY_SQL = _REFRESH_SQL.format(targets=_BLOCKED_BY_BLOCKER_SQL)


def refresh_blocked(issue_ids: Iterable[str]) -> None:
    """Recompute ``is_blocked`` from the definition for these issues (one UPDATE)."""
    ids = list(set(issue_ids))
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(_REFRESH_SQL.format(targets=", ".join(["%s"] * len(ids))), ids)


def refresh_blocked_by(blocker_id: str) -> None:
    """Refresh the issues ``blocker_id`` blocks (either spelling), in one statement: after the
    blocker was finished, reopened, deleted or restored."""
    with connection.cursor() as cursor:
        cursor.execute(*refresh_blocked_by_statement(blocker_id))


def refresh_blocked_by_statement(blocker_id: str) -> tuple[str, list[str]]:
    """``refresh_blocked_by`` as a statement to send with another (``loop_project.db.run_together``)."""
    return _REFRESH_BLOCKED_BY_SQL, [blocker_id, blocker_id]


def blocker_ids(issue_id: str) -> set[str]:
    """Issues that block ``issue_id`` (finished or not), through either spelling."""
    via_blocked_by = IssueRelation.objects.filter(
        issue_id=issue_id, type=IssueRelation.Type.BLOCKED_BY
    ).values_list("related_issue_id", flat=True)
    via_blocks = IssueRelation.objects.filter(
        related_issue_id=issue_id, type=IssueRelation.Type.BLOCKS
    ).values_list("issue_id", flat=True)
    return set(via_blocked_by) | set(via_blocks)


def blocked_and_blocker(relation_type: str, issue_id: str, related_issue_id: str) -> tuple[str, str]:
    """For a blocking relation, return (the blocked issue, its blocker)."""
    if relation_type == IssueRelation.Type.BLOCKED_BY:
        return issue_id, related_issue_id
    return related_issue_id, issue_id


def would_close_cycle(*, blocked_id: str, blocker_id: str) -> bool:
    """True when ``blocker`` already (transitively) waits on ``blocked``: adding the edge would
    make a cycle in which no issue could ever be dispatched."""
    seen: set[str] = set()
    frontier = {blocker_id}
    while frontier:
        if blocked_id in frontier:
            return True
        seen |= frontier
        next_frontier: set[str] = set()
        for current in frontier:
            next_frontier |= blocker_ids(current)
        frontier = next_frontier - seen
    return False
