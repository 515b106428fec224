"""Dispatch writes: claim the next issue, extend or hand back a claim, reclaim expired leases.

A claim moves one issue todo → in_progress and gives the agent a lease: a secret claim token and an
expiry. The agent extends the lease with ``heartbeat``, hands the issue back with
``release_claim`` or completes it through ``issues.services.update_issue(claim_token=...)``.
A lease that runs out (the agent crashed) is returned to the queue by ``reclaim_stale``; an issue
whose claims keep expiring goes to triage for a human. The REST API, the admin and the
``reclaim_stale`` command all call these functions.
"""
from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dispatch import sql
from issues.audit import SYSTEM, record_event
from issues.models import Comment, Issue, IssueEvent
from issues.services import add_comment
from loop_project.db import fetch_whole_rows
from loop_project.errors import Conflict, NotFound, ServiceUnavailable
from templates_app.rendering import render_prompt
from templates_app.selection import select_template
from templates_app.services import record_usage

logger = logging.getLogger(__name__)

# The audit row of a claim: {field: [from, to]}, as issues.audit.record_event writes it.
CLAIM_CHANGES = {"status": [Issue.Status.TODO.value, Issue.Status.IN_PROGRESS.value]}
# Where an agent sends its review of the prompt it was given (upstream's value, verbatim).
REVIEW_URL = "POST /api/prompt-reviews"
# Author of the comment left on an issue sent to triage. Loop itself is automation, not a person,
# so the comment is marked as an agent's; humans reading triage see who wrote it by the name.
LOOP_AUTHOR_NAME = "loop"
LOOP_AUTHOR_TYPE = Comment.AuthorType.AGENT
# The opportunistic reclaim before claims runs at most this often per process, and handles at most
# this many expired leases per run; ``manage.py reclaim_stale`` drains any remainder.
OPPORTUNISTIC_RECLAIM_INTERVAL_SECONDS = 30.0
OPPORTUNISTIC_RECLAIM_LIMIT = 100
# SQLite compare-and-set: each lost round means another claimer won, so the queue shrinks; this
# bound only turns a pathological livelock into a clean 503.
SQLITE_CLAIM_ROUNDS = 100


@dataclass(frozen=True)
class PromptMeta:
    """Which template version produced the prompt; ``error`` is set when rendering failed."""

    template_id: str
    template_slug: str
    version_id: str
    version_number: int
    review_url: str = REVIEW_URL
    error: str | None = None


@dataclass(frozen=True)
class Claim:
    """A claimed issue, the lease that protects it, and its hydrated prompt (None when no template
    applies or rendering failed; ``meta.error`` says which)."""

    issue: Issue
    claim_token: str
    lease_expires_at: datetime
    prompt: str | None
    meta: PromptMeta | None


@dataclass(frozen=True)
class Lease:
    issue_id: str
    lease_expires_at: datetime


@dataclass(frozen=True)
class ReclaimedIssue:
    issue_id: str
    number: int
    claimed_by: str | None
    attempts: int
    new_status: str


@dataclass
class ReclaimReport:
    requeued: list[ReclaimedIssue] = field(default_factory=list)
    escalated: list[ReclaimedIssue] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.requeued) + len(self.escalated)


# --- claim -----------------------------------------------------------------------------------


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.LOOP_LEASE_SECONDS)


def new_claim_token() -> str:
    return secrets.token_urlsafe(24)


def agent_actor(agent_name: str) -> str:
    return f"agent:{agent_name}"


def uses_skip_locked() -> bool:
    """PostgreSQL claims with one FOR UPDATE SKIP LOCKED statement; SQLite by compare-and-set."""
    return bool(connection.features.has_select_for_update_skip_locked)


def claim_next_issue(*, agent_name: str, project_id: str | None = None) -> Claim | None:
    """Claim the highest-scoring eligible issue for ``agent_name`` and hydrate its prompt.

    Returns None when nothing is eligible. The claim and its audit row commit together, before
    hydration, so the issue's row lock is held for one statement only. Should hydration then raise
    (a bug, a lost connection), the claim is handed back before the error propagates; if even that
    fails, the lease expires and ``reclaim_stale`` returns the issue. A template that merely fails
    to render keeps the claim; ``meta.error`` reports it.
    """
    maybe_reclaim_stale()
    now = timezone.now()
    lease_expires_at = now + lease_duration()
    params = {
        "token": new_claim_token(),
        "agent": agent_name,
        "now": now,
        "lease_expires_at": lease_expires_at,
        "project_id": project_id,
        # The audit row's fields; the PostgreSQL statement writes it itself (see dispatch/sql.py).
        "actor": agent_actor(agent_name),
        "changes": json.dumps(CLAIM_CHANGES),
        "lease_text": lease_expires_at.isoformat(),
    }
    issue = _claim_skip_locked(params) if uses_skip_locked() else _claim_compare_and_set(params)
    if issue is None:
        return None
    try:
        prompt, meta = _hydrate(issue)
    except Exception as error:
        _hand_back_after_failure(issue, error)
        raise
    return Claim(
        issue=issue,
        claim_token=issue.claim_token,
        lease_expires_at=issue.lease_expires_at,
        prompt=prompt,
        meta=meta,
    )


def _claim_skip_locked(params: dict) -> Issue | None:
    """One statement, atomic on its own: pick, lock, claim and audit (dispatch/sql.py)."""
    statement = sql.claim_next(with_project=params["project_id"] is not None)
    rows = fetch_whole_rows(Issue, statement, params)
    return rows[0] if rows else None


@transaction.atomic
def _claim_compare_and_set(params: dict) -> Issue | None:
    """Read the candidate, claim it only if still eligible, pick again if another writer won;
    the audit row in the same transaction."""
    with_project = params["project_id"] is not None
    for _ in range(SQLITE_CLAIM_ROUNDS):
        with connection.cursor() as cursor:
            cursor.execute(sql.claim_candidate(with_project=with_project), params)
            row = cursor.fetchone()
        if row is None:
            return None
        rows = fetch_whole_rows(Issue, sql.claim_if_still_eligible(), {**params, "candidate_id": row[0]})
        if rows:
            issue = rows[0]
            record_event(
                issue,
                kind=IssueEvent.Kind.CLAIMED,
                actor=params["actor"],
                changes={"status": tuple(CLAIM_CHANGES["status"])},
                note=f"attempt {issue.dispatch_attempts}, lease until {params['lease_text']}",
            )
            return issue
    raise ServiceUnavailable("Dispatch is busy; retry the claim")


def _hand_back_after_failure(issue: Issue, error: Exception) -> None:
    """The agent never got this claim: return the issue to the queue (best effort)."""
    try:
        release_claim(
            issue_id=issue.pk,
            actor=SYSTEM,
            claim_token=issue.claim_token,
            reason=f"dispatch failed before the agent received the issue ({type(error).__name__})",
        )
    except Exception:  # the lease is the backstop; the original error is what the caller sees
        logger.exception("could not hand back issue %s after a failed dispatch", issue.pk)


def _hydrate(issue: Issue) -> tuple[str | None, PromptMeta | None]:
    """Select the template version for ``issue`` and render it. Usage is counted only for a prompt
    that was actually handed out."""
    selection = select_template(issue)
    if selection is None:
        return None, None
    template, version = selection.template, selection.version
    result = render_prompt(version=version, issue=issue)
    meta = PromptMeta(
        template_id=template.pk,
        template_slug=template.slug,
        version_id=version.pk,
        version_number=version.version,
        error=result.error,
    )
    if result.error is not None:
        logger.warning("template %s v%s failed to render for issue %s: %s",
                       template.slug, version.version, issue.pk, result.error)
        return None, meta
    record_usage(version_id=version.pk)
    return result.prompt, meta


# --- leases ----------------------------------------------------------------------------------


def _claim_lost(issue_id: str) -> Exception:
    if not Issue.objects.filter(pk=issue_id).exists():
        return NotFound("Issue not found")
    return Conflict("Claim lost: this issue is no longer held by that claim token", field="claimToken")


def heartbeat(*, issue_id: str, claim_token: str, actor: str) -> Lease:
    """Extend the lease of a claim the caller still holds, by the configured lease duration.

    One conditional UPDATE, so it cannot revive a claim that was released, completed or reclaimed
    in the meantime (409). A lease past its expiry that nobody has reclaimed yet is still held and
    can be extended. Heartbeats write no audit row: they change no state a human cares about and
    would drown the issue's history.
    """
    expires = timezone.now() + lease_duration()
    updated = Issue.objects.filter(
        pk=issue_id, status=Issue.Status.IN_PROGRESS, claim_token=claim_token
    ).update(lease_expires_at=expires)
    if not updated:
        raise _claim_lost(issue_id)
    logger.debug("lease of %s extended to %s by %s", issue_id, expires.isoformat(), actor)
    return Lease(issue_id=issue_id, lease_expires_at=expires)


@transaction.atomic
def release_claim(*, issue_id: str, actor: str, claim_token: str | None = None, reason: str = "") -> Issue:
    """Hand a claimed issue back to the queue (todo), keeping its place and its attempt count.

    With ``claim_token`` the caller must still hold the claim (else 409). Without it this is a
    staff override (admin): any in-progress issue is released.
    """
    try:
        issue = Issue.objects.select_for_update().get(pk=issue_id)
    except Issue.DoesNotExist:
        raise NotFound("Issue not found") from None
    if claim_token is not None and (
        issue.status != Issue.Status.IN_PROGRESS
        or not secrets.compare_digest((issue.claim_token or "").encode(), claim_token.encode())
    ):
        raise _claim_lost(issue_id)
    if issue.status != Issue.Status.IN_PROGRESS:
        raise Conflict("Issue is not in progress, so there is no claim to release", field="status")
    issue.status = Issue.Status.TODO
    issue.claim_token = None
    issue.lease_expires_at = None
    issue.save(update_fields=["status", "claim_token", "lease_expires_at", "updated_at"])
    record_event(
        issue,
        kind=IssueEvent.Kind.RELEASED,
        actor=actor,
        changes={"status": (Issue.Status.IN_PROGRESS, Issue.Status.TODO)},
        note=reason,
    )
    return issue


# --- expired leases --------------------------------------------------------------------------


def _expired(now: datetime):
    # Spelled to match the partial index ``issue_claim_lease`` (status in_progress, lease set).
    return Issue.objects.filter(
        status=Issue.Status.IN_PROGRESS, lease_expires_at__isnull=False, lease_expires_at__lt=now
    )


def reclaim_stale(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    limit: int | None = None,
    batch_size: int = 500,
    on_batch: Callable[[ReclaimReport], None] | None = None,
) -> ReclaimReport:
    """Return issues whose lease expired to the queue; after ``LOOP_MAX_CLAIM_ATTEMPTS`` claims,
    send them to triage with a comment instead, so a human looks (their attempt count restarts).

    Works in batches, each its own transaction; rows being heartbeated or completed right now are
    skipped (SKIP LOCKED), not waited on. ``dry_run`` reports what would happen and changes nothing.
    ``on_batch`` is called with the running report after each batch (progress output).
    """
    now = now or timezone.now()
    max_attempts = settings.LOOP_MAX_CLAIM_ATTEMPTS
    report = ReclaimReport()
    if dry_run:
        rows = _expired(now).order_by("lease_expires_at", "id")
        if limit is not None:
            rows = rows[:limit]
        for issue in rows.only("id", "number", "claimed_by", "dispatch_attempts").iterator():
            _classify(report, issue, max_attempts)
        if on_batch:
            on_batch(report)
        return report
    while limit is None or report.total < limit:
        size = batch_size if limit is None else min(batch_size, limit - report.total)
        if not _reclaim_batch(report, now=now, size=size, max_attempts=max_attempts):
            break
        if on_batch:
            on_batch(report)
    return report


def _classify(report: ReclaimReport, issue: Issue, max_attempts: int) -> ReclaimedIssue:
    escalate = issue.dispatch_attempts >= max_attempts
    entry = ReclaimedIssue(
        issue_id=issue.pk,
        number=issue.number,
        claimed_by=issue.claimed_by,
        attempts=issue.dispatch_attempts,
        new_status=Issue.Status.TRIAGE if escalate else Issue.Status.TODO,
    )
    (report.escalated if escalate else report.requeued).append(entry)
    return entry


@transaction.atomic
def _reclaim_batch(report: ReclaimReport, *, now: datetime, size: int, max_attempts: int) -> int:
    batch = list(
        _expired(now)
        .select_for_update(skip_locked=True)
        .order_by("lease_expires_at", "id")
        .only("id", "number", "claimed_by", "dispatch_attempts", "lease_expires_at")[:size]
    )
    if not batch:
        return 0
    entries = [(issue, _classify(report, issue, max_attempts)) for issue in batch]
    requeue = [issue.pk for issue, entry in entries if entry.new_status == Issue.Status.TODO]
    escalate = [issue.pk for issue, entry in entries if entry.new_status == Issue.Status.TRIAGE]
    cleared = {"claim_token": None, "lease_expires_at": None, "updated_at": now}
    # The rows are locked by this transaction; the repeated conditions keep the writes safe on
    # SQLite too, where the lock is the database's single writer lock.
    if requeue:
        _expired(now).filter(pk__in=requeue).update(status=Issue.Status.TODO, **cleared)
    if escalate:
        _expired(now).filter(pk__in=escalate).update(
            status=Issue.Status.TRIAGE, dispatch_attempts=0, **cleared
        )
    IssueEvent.objects.bulk_create(
        IssueEvent(
            issue_id=issue.pk,
            kind=IssueEvent.Kind.LEASE_EXPIRED,
            actor=SYSTEM,
            changes={"status": [Issue.Status.IN_PROGRESS, entry.new_status]},
            note=(
                f"lease expired at {issue.lease_expires_at.isoformat()} "
                f"(claimed by {issue.claimed_by or 'unknown'}, attempt {entry.attempts})"
            ),
        )
        for issue, entry in entries
    )
    for issue, entry in entries:
        if entry.new_status == Issue.Status.TRIAGE:
            add_comment(
                issue_id=issue.pk,
                author_name=LOOP_AUTHOR_NAME,
                author_type=LOOP_AUTHOR_TYPE,
                body=(
                    f"Moved to triage: {entry.attempts} claims of this issue expired without the "
                    f"agent finishing or releasing it (last claimed by "
                    f"{issue.claimed_by or 'unknown'}). A human should check whether it is "
                    "actionable as written, then move it back to todo."
                ),
            )
    return len(batch)


class _Throttle:
    """At most one run per interval per process, shared by all threads."""

    def __init__(self, interval_seconds: float) -> None:
        self.interval_seconds = interval_seconds
        self._next_at = 0.0
        self._lock = threading.Lock()

    def due(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if now < self._next_at:
                return False
            self._next_at = now + self.interval_seconds
            return True

    def reset(self) -> None:
        with self._lock:
            self._next_at = 0.0


reclaim_throttle = _Throttle(OPPORTUNISTIC_RECLAIM_INTERVAL_SECONDS)


def maybe_reclaim_stale() -> int:
    """The cheap reclaim run before claims: at most once per interval per process, one indexed
    existence probe (``issue_claim_lease``), and a bounded reclaim only when something expired."""
    if not reclaim_throttle.due():
        return 0
    now = timezone.now()
    if not _expired(now).exists():
        return 0
    return reclaim_stale(now=now, limit=OPPORTUNISTIC_RECLAIM_LIMIT).total
