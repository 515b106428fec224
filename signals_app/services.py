"""Ingest: the one way a signal enters Loop (POST /api/signals and every provider webhook).

``ingest_signal`` stores the Signal row and, in the same transaction, either opens a ``signal``
issue for it or — when an open issue already carries the signal's fingerprint — adds an
occurrence to that issue. Two database rules make it safe under retries and bursts:

* ``signal_one_per_delivery`` (unique source + delivery id): a provider's redelivery, however
  many copies race, stores one Signal; the losers get the stored one back as a duplicate.
* ``issue_one_open_per_fingerprint`` (partial unique on Issue): concurrent first occurrences of
  one problem open one issue; the losers roll back and are grouped onto the winner's issue.

A fingerprint seen again after its issue was closed is a regression: a new issue, related to the
closed one.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from issues import services as issue_services
from issues.audit import record_event
from issues.models import Comment, Goal, Issue, IssueEvent, IssueRelation, Project
from issues.numbering import NEXT_NUMBER_SQL, next_issue_number
from issues.ranking import dispatch_rank
from loop_project.db import (
    PreparedQuery,
    insert_params,
    insert_sql,
    insert_statement,
    mark_saved,
    run_together,
)
from loop_project.errors import RuleViolation, ServiceUnavailable
from signals_app.models import Signal

logger = logging.getLogger(__name__)

SEVERITY_PRIORITY: dict[str, int] = {
    Signal.Severity.CRITICAL: Issue.Priority.URGENT,
    Signal.Severity.HIGH: Issue.Priority.HIGH,
    Signal.Severity.MEDIUM: Issue.Priority.MEDIUM,
    Signal.Severity.LOW: Issue.Priority.LOW,
}
# Statuses a signal's issue may be born with (settings.LOOP_SIGNAL_INITIAL_STATUS).
INITIAL_STATUSES = (Issue.Status.TRIAGE, Issue.Status.BACKLOG, Issue.Status.TODO)
MAX_TITLE_LENGTH = 500  # Issue.title
OCCURRENCE_AUTHOR = "loop"
# A lost race is retried this often; each retry sees the winner's committed rows, so the second
# attempt normally settles it.
RACE_ATTEMPTS = 3


@dataclass(frozen=True)
class IngestResult:
    signal: Signal
    issue: Issue
    created: bool  # a new issue was opened for this signal
    grouped: bool  # the signal was added as an occurrence to an open issue
    duplicate: bool  # this delivery was stored before; ``signal`` is the stored one
    regression_of: Issue | None = None  # the closed issue this new one reopens the problem of

    @property
    def outcome(self) -> str:
        """``duplicate``, ``grouped`` or ``created``: the answer's ``status``."""
        if self.duplicate:
            return "duplicate"
        return "grouped" if self.grouped else "created"


def initial_status() -> str:
    status = settings.LOOP_SIGNAL_INITIAL_STATUS
    if status not in INITIAL_STATUSES:
        # Also a system check (signals_app.checks); refuse rather than store a bad status.
        raise ServiceUnavailable(
            f"LOOP_SIGNAL_INITIAL_STATUS is {status!r}; set it to one of "
            f"{', '.join(INITIAL_STATUSES)}"
        )
    return status


def fit_title(title: str) -> str:
    title = " ".join(title.split())
    if len(title) <= MAX_TITLE_LENGTH:
        return title
    return title[: MAX_TITLE_LENGTH - 1] + "…"


def signal_title(*, source: str, type: str, payload: dict[str, Any]) -> str:
    """``[source] type: summary`` — summary is payload.message, else payload.title, else type."""
    summary = type
    for key in ("message", "title"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            summary = value
            break
    return fit_title(f"[{source}] {type}: {summary}")


def is_occurrence_milestone(count: int) -> bool:
    """10, 100, 1000, ...: the counts worth a comment on the issue (not every repeat is news)."""
    return count >= 10 and str(count).rstrip("0") == "1"


def ingest_signal(
    *,
    source: str,
    type: str,
    severity: str,
    payload: dict[str, Any],
    source_id: str | None = None,
    project_id: str | None = None,
    delivery_id: str | None = None,
    fingerprint: str | None = None,
    title: str | None = None,
    actor: str,
) -> IngestResult:
    """Store one signal and open (or group it onto) its issue, in one transaction.

    ``delivery_id`` makes the call idempotent per ``source``: a second call with the same pair
    stores nothing and returns the first signal with ``duplicate=True``. ``fingerprint`` groups
    repeats onto the open issue that has it. Raises ``RuleViolation`` (422) for an unknown
    ``project_id``.
    """
    if severity not in SEVERITY_PRIORITY:
        raise ValueError(f"unknown severity {severity!r}")
    status = initial_status()
    title = fit_title(title) if title else signal_title(source=source, type=type, payload=payload)
    for attempt in range(1, RACE_ATTEMPTS + 1):
        if delivery_id is not None:
            stored = _stored_delivery(source, delivery_id)
            if stored is not None:
                return IngestResult(
                    signal=stored, issue=stored.issue, created=False, grouped=False, duplicate=True
                )
        try:
            with transaction.atomic():
                return _ingest_once(
                    source=source,
                    type=type,
                    severity=severity,
                    payload=payload,
                    source_id=source_id,
                    project_id=project_id,
                    delivery_id=delivery_id,
                    fingerprint=fingerprint,
                    title=title,
                    status=status,
                    actor=actor,
                )
        except IntegrityError:
            # Another request committed this delivery, or opened this fingerprint's issue, while
            # we were writing; everything we wrote is rolled back. Look again: the winner's rows
            # are visible now.
            if (delivery_id is None and fingerprint is None) or attempt == RACE_ATTEMPTS:
                raise
            logger.info("signal ingest lost a race (attempt %s); retrying", attempt)
    raise AssertionError("unreachable")  # the loop returns or raises


def _stored_delivery_query(source: str, delivery_id: str) -> QuerySet[Signal]:
    return Signal.objects.select_related("issue").filter(source=source, delivery_id=delivery_id)[
        :1
    ]


_STORED_DELIVERY = PreparedQuery(_stored_delivery_query, "source", "delivery_id")


def _stored_delivery(source: str, delivery_id: str) -> Signal | None:
    return _STORED_DELIVERY.first(source=source, delivery_id=delivery_id)


def _latest_issue_query(fingerprint: str) -> QuerySet[Issue]:
    is_open = Q(fingerprint=fingerprint, deleted_at__isnull=True) & ~Q(
        status__in=Issue.FINISHED_STATUSES
    )
    newest = (
        Signal.objects.filter(fingerprint=fingerprint).order_by("-created_at").values("issue_id")[:1]
    )
    return (
        Issue.all_objects.select_for_update()
        .filter(is_open | Q(pk=Subquery(newest)))
        .annotate(
            open_first=Case(
                When(is_open, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("open_first", "-created_at")[:1]
    )


# Building and compiling this query is most of its cost (~2 ms of CPU against ~0.5 ms to run it,
# measured in docs/benchmarks.md), and it is the same statement on every ingest. Compiled on
# first use, which is inside the ingest transaction, as ``select_for_update`` requires.
_LATEST_ISSUE = PreparedQuery(_latest_issue_query, "fingerprint")


def _latest_issue_for(fingerprint: str) -> Issue | None:
    """The issue a fingerprint belongs to now, locked: its open issue if there is one, else the
    issue its newest signal went to (closed or deleted), else None. One statement."""
    return _LATEST_ISSUE.first(fingerprint=fingerprint)


def _ingest_once(
    *,
    source: str,
    type: str,
    severity: str,
    payload: dict[str, Any],
    source_id: str | None,
    project_id: str | None,
    delivery_id: str | None,
    fingerprint: str | None,
    title: str,
    status: str,
    actor: str,
) -> IngestResult:
    signal = Signal(
        source=source,
        source_id=source_id,
        type=type,
        severity=severity,
        payload=payload,
        delivery_id=delivery_id,
        fingerprint=fingerprint,
    )
    previous = _latest_issue_for(fingerprint) if fingerprint else None
    if previous is not None and previous.is_deleted:
        previous = None  # a deleted issue is gone: neither grouped onto nor linked

    if previous is not None and not previous.is_finished:
        if project_id is not None:
            _project_has_active_goal(project_id)  # 422 for an unknown project, as when creating
        issue = _add_occurrence(previous, signal=signal, severity=severity, actor=actor)
        return IngestResult(
            signal=signal, issue=issue, created=False, grouped=True, duplicate=False
        )

    regression_of = previous  # closed: this is the same problem coming back
    description = None
    if regression_of is not None:
        description = (
            f"Regression: this problem (fingerprint `{fingerprint}`) came back after "
            f"#{regression_of.number} was closed ({regression_of.status})."
        )
    issue = _open_issue(
        title=title,
        status=status,
        priority=SEVERITY_PRIORITY[severity],
        description=description,
        project_id=project_id,
        source=source,
        payload=payload,
        fingerprint=fingerprint,
        signal=signal,
        actor=actor,
    )
    if regression_of is not None:
        issue_services.add_relation(
            issue_id=issue.pk,
            related_issue_id=regression_of.pk,
            type=IssueRelation.Type.RELATED,
            actor=actor,
        )
    return IngestResult(
        signal=signal,
        issue=issue,
        created=True,
        grouped=False,
        duplicate=False,
        regression_of=regression_of,
    )


def _project_has_active_goal(project_id: str) -> bool:
    """One query: does the project exist (else 422), and has it an active goal (the rank's goal
    bonus)? Same rules as ``issues.services``: soft-deleted projects and goals do not count."""
    active_goal = Goal.objects.filter(project_id=OuterRef("pk"), status=Goal.Status.ACTIVE)
    found = (
        Project.objects.filter(pk=project_id)
        .annotate(has_active_goal=Exists(active_goal))
        .values_list("has_active_goal", flat=True)
        .first()
    )
    if found is None:
        raise RuleViolation("Project not found", field="projectId")
    return bool(found)


def _open_issue(
    *,
    title: str,
    status: str,
    priority: int,
    description: str | None,
    project_id: str | None,
    source: str,
    payload: dict[str, Any],
    fingerprint: str | None,
    signal: Signal,
    actor: str,
) -> Issue:
    """Insert a signal issue, and ``signal`` onto it, with the same invariants
    ``issues.services.create_issue`` keeps (number from the ``issues.numbering`` sequence,
    dispatch rank from ``issues.ranking``, a ``created`` audit row), specialised for ingest: no
    parent or labels to validate, the project checked in the same query that reads its goal
    bonus, no nested savepoint, and on PostgreSQL the number, the issue and the signal written in
    one statement — ingest is the hot write path."""
    has_active_goal = _project_has_active_goal(project_id) if project_id is not None else False
    now = timezone.now()
    issue = Issue(
        title=title,
        description=description,
        type=Issue.Type.SIGNAL,
        status=status,
        priority=priority,
        project_id=project_id,
        signal_source=source,
        signal_payload=payload,
        fingerprint=fingerprint,
        last_seen_at=now if fingerprint else None,
        created_at=now,
    )
    issue.dispatch_rank = dispatch_rank(
        created_at=now, priority=priority, issue_type=issue.type, has_active_goal=has_active_goal
    )
    signal.issue = issue
    if connection.vendor == "postgresql":
        # The number is drawn from issues.numbering's sequence inside the INSERT, as
        # next_issue_number() would draw it, saving the round trip for it.
        sql, fields = insert_sql(Issue, inline=_NUMBER_FROM_SEQUENCE)
        [(issue.number,)] = run_together(
            (sql, insert_params(issue, fields)), insert_statement(signal)
        )
    else:
        issue.number = next_issue_number()
        run_together(insert_statement(issue), insert_statement(signal))
    mark_saved(issue)
    mark_saved(signal)
    record_event(
        issue, kind=IssueEvent.Kind.CREATED, actor=actor, changes={"status": (None, status)}
    )
    return issue


_NUMBER_FROM_SEQUENCE = (("number", NEXT_NUMBER_SQL),)


# One more occurrence on a locked issue, as
# ``Issue.all_objects.filter(pk=...).update(occurrence_count=F("occurrence_count") + 1, ...)``
# would write it, without building that query on every repeat of a signal.
_COUNT_OCCURRENCE_SQL = (
    f"UPDATE {Issue._meta.db_table} SET occurrence_count = occurrence_count + 1, "
    "last_seen_at = %s, updated_at = %s WHERE id = %s"
)


def _add_occurrence(issue: Issue, *, signal: Signal, severity: str, actor: str) -> Issue:
    """Count one more occurrence on a locked open issue (one UPDATE), audit it, comment at
    milestones, and raise the priority if this occurrence is more severe than the issue."""
    now = timezone.now()
    before = issue.occurrence_count
    signal.issue = issue
    stamp = connection.ops.adapt_datetimefield_value(now)
    # One more occurrence, and the signal stored (one statement on PostgreSQL).
    run_together(
        (_COUNT_OCCURRENCE_SQL, [stamp, stamp, issue.pk]),
        insert_statement(signal),
    )
    mark_saved(signal)
    # The row is locked (select_for_update), so the count we computed is the stored one.
    issue.occurrence_count, issue.last_seen_at, issue.updated_at = before + 1, now, now
    record_event(
        issue,
        kind=IssueEvent.Kind.OCCURRENCE,
        actor=actor,
        changes={"occurrence_count": (before, issue.occurrence_count)},
        note=f"{signal.source} signal {signal.pk} ({signal.type}, {severity})",
    )
    if is_occurrence_milestone(issue.occurrence_count):
        issue_services.add_comment(
            issue_id=issue.pk,
            body=(
                f"This signal has now occurred {issue.occurrence_count} times "
                f"(latest: {signal.source} {signal.type}, {severity}, "
                f"{now:%Y-%m-%d %H:%M} UTC)."
            ),
            author_name=OCCURRENCE_AUTHOR,
            author_type=Comment.AuthorType.AGENT,
        )
    priority = SEVERITY_PRIORITY[severity]
    if issue.priority == Issue.Priority.NONE or priority < issue.priority:
        issue = issue_services.update_issue(
            issue_id=issue.pk,
            actor=actor,
            changes={"priority": priority},
            note=f"Escalated by a {severity} occurrence ({signal.source} signal {signal.pk})",
        )
    return issue
