"""Blocking: which issues wait on which, and the maintained ``Issue.is_blocked`` column.

Definition: B is blocked while some issue A that is neither done nor canceled nor deleted has
``B blocked_by A`` or ``A blocks B`` (both spellings mean the same thing). ``is_blocked`` caches
that so dispatch can keep blocked issues out of its index; every write that can change it calls
``refresh_blocked`` for the affected issues inside the same transaction.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q

from issues.models import Issue, IssueRelation

_UNFINISHED = ~Q(status__in=Issue.FINISHED_STATUSES) & Q(deleted_at__isnull=True)


def open_blockers_exist() -> ExpressionWrapper:
    """A boolean expression, per outer Issue row, that is true when an open blocker exists."""
    via_blocked_by = IssueRelation.objects.filter(
        issue=OuterRef("pk"),
        type=IssueRelation.Type.BLOCKED_BY,
        related_issue__in=Issue.all_objects.filter(_UNFINISHED),
    )
    via_blocks = IssueRelation.objects.filter(
        related_issue=OuterRef("pk"),
        type=IssueRelation.Type.BLOCKS,
        issue__in=Issue.all_objects.filter(_UNFINISHED),
    )
    return ExpressionWrapper(Q(Exists(via_blocked_by)) | Q(Exists(via_blocks)), output_field=BooleanField())


def refresh_blocked(issue_ids: Iterable[str]) -> None:
    """Recompute ``is_blocked`` from the definition for these issues (one UPDATE)."""
    ids = list(set(issue_ids))
    if ids:
        Issue.all_objects.filter(pk__in=ids).update(is_blocked=open_blockers_exist())


# Both spellings in one statement, written out: it runs on every completion of a claimed issue.
# Indexed both ways: relation_unique_per_type (issue, related_issue, type), relation_related_type.
_BLOCKED_BY_BLOCKER_SQL = """
SELECT issue_id FROM {table} WHERE related_issue_id = %s AND type = %s
UNION
SELECT related_issue_id FROM {table} WHERE issue_id = %s AND type = %s
"""


def blocked_issue_ids(blocker_id: str) -> set[str]:
    """Issues that ``blocker_id`` blocks, through either relation spelling."""
    statement = _BLOCKED_BY_BLOCKER_SQL.format(
        table=connection.ops.quote_name(IssueRelation._meta.db_table)
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [blocker_id, IssueRelation.Type.BLOCKED_BY.value,
                                   blocker_id, IssueRelation.Type.BLOCKS.value])
        return {row[0] for row in cursor.fetchall()}


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
