"""Leases: heartbeat, release, expiry (reclaim_stale and its command), stale claim tokens.
Time moves by backdating ``lease_expires_at``, never by sleeping."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dispatch import services
from dispatch.services import (
    claim_next_issue,
    heartbeat,
    maybe_reclaim_stale,
    reclaim_stale,
    reclaim_throttle,
    release_claim,
)
from issues import services as issue_services
from issues.models import Comment, Issue, IssueEvent
from loop_project.errors import Conflict, NotFound
from tests.factories import IssueFactory

pytestmark = pytest.mark.django_db


def expire(issue_id: str, *, minutes_ago: int = 1) -> None:
    Issue.objects.filter(pk=issue_id).update(
        lease_expires_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


# --- heartbeat ---------------------------------------------------------------------------------


def test_heartbeat_extends_the_lease_from_now(settings):
    settings.LOOP_LEASE_SECONDS = 900
    IssueFactory()
    claim = claim_next_issue(agent_name="a1")
    Issue.objects.filter(pk=claim.issue.pk).update(lease_expires_at=timezone.now() + timedelta(seconds=5))
    before = timezone.now()
    lease = heartbeat(issue_id=claim.issue.pk, claim_token=claim.claim_token, actor="agent:a1")
    issue = Issue.objects.get(pk=claim.issue.pk)
    assert lease.issue_id == issue.pk
    assert issue.lease_expires_at == lease.lease_expires_at
    assert before + timedelta(seconds=900) <= lease.lease_expires_at <= timezone.now() + timedelta(seconds=900)
    assert issue.status == "in_progress" and issue.claim_token == claim.claim_token


def test_heartbeat_keeps_an_expired_lease_nobody_reclaimed_yet():
    IssueFactory()
    claim = claim_next_issue(agent_name="a1")
    expire(claim.issue.pk)
    lease = heartbeat(issue_id=claim.issue.pk, claim_token=claim.claim_token, actor="agent:a1")
    assert lease.lease_expires_at > timezone.now()
    assert reclaim_stale().total == 0


def test_heartbeat_with_a_wrong_token_is_a_conflict_and_changes_nothing():
    IssueFactory()
    claim = claim_next_issue(agent_name="a1")
    with pytest.raises(Conflict) as error:
        heartbeat(issue_id=claim.issue.pk, claim_token="not-the-token", actor="agent:a1")
    assert error.value.field == "claimToken"
    assert Issue.objects.get(pk=claim.issue.pk).lease_expires_at == claim.lease_expires_at


def test_heartbeat_after_the_lease_was_reclaimed_is_a_conflict():
    IssueFactory()
    claim = claim_next_issue(agent_name="a1")
    expire(claim.issue.pk)
    reclaim_stale()
    with pytest.raises(Conflict):
        heartbeat(issue_id=claim.issue.pk, claim_token=claim.claim_token, actor="agent:a1")
    assert Issue.objects.get(pk=claim.issue.pk).lease_expires_at is None


def test_heartbeat_on_an_unknown_or_deleted_issue_is_not_found():
    with pytest.raises(NotFound):
        heartbeat(issue_id="nope", claim_token="t", actor="agent:a1")
    IssueFactory()
    claim = claim_next_issue(agent_name="a1")
    issue_services.delete_issue(issue_id=claim.issue.pk, actor="s")
    with pytest.raises(NotFound):
        heartbeat(issue_id=claim.issue.pk, claim_token=claim.claim_token, actor="agent:a1")


def test_heartbeat_is_one_statement():
    IssueFactory()
    claim = claim_next_issue(agent_name="a1")
    with CaptureQueriesContext(connection) as queries:
        heartbeat(issue_id=claim.issue.pk, claim_token=claim.claim_token, actor="agent:a1")
    assert len(queries) == 1


# --- release -----------------------------------------------------------------------------------


def test_release_returns_the_issue_to_the_queue():
    issue = IssueFactory()
    claim = claim_next_issue(agent_name="a1")
    released = release_claim(
        issue_id=issue.pk, actor="agent:a1", claim_token=claim.claim_token, reason="needs access"
    )
    assert released.status == "todo"
    issue.refresh_from_db()
    assert issue.status == "todo"
    assert issue.claim_token is None and issue.lease_expires_at is None
    assert issue.dispatch_attempts == 1  # the attempt still counts
    event = IssueEvent.objects.get(issue=issue, kind="released")
    assert event.actor == "agent:a1" and event.note == "needs access"
    assert event.changes == {"status": ["in_progress", "todo"]}
    again = claim_next_issue(agent_name="a2")
    assert again.issue.pk == issue.pk and again.issue.dispatch_attempts == 2


def test_release_with_a_stale_token_is_a_conflict_and_changes_nothing():
    issue = IssueFactory()
    claim_next_issue(agent_name="a1")
    with pytest.raises(Conflict):
        release_claim(issue_id=issue.pk, actor="agent:a2", claim_token="stale")
    issue.refresh_from_db()
    assert issue.status == "in_progress"
    assert not IssueEvent.objects.filter(issue=issue, kind="released").exists()


def test_release_of_an_issue_no_longer_claimed_is_a_conflict():
    issue = IssueFactory()
    claim = claim_next_issue(agent_name="a1")
    issue_services.update_issue(
        issue_id=issue.pk, actor="agent:a1", changes={"status": "done"}, claim_token=claim.claim_token
    )
    with pytest.raises(Conflict):
        release_claim(issue_id=issue.pk, actor="agent:a1", claim_token=claim.claim_token)
    assert Issue.objects.get(pk=issue.pk).status == "done"


def test_staff_release_needs_no_token_but_an_in_progress_issue():
    issue = IssueFactory()
    claim_next_issue(agent_name="a1")
    release_claim(issue_id=issue.pk, actor="user:admin", reason="agent is gone")
    issue.refresh_from_db()
    assert issue.status == "todo" and issue.claim_token is None
    assert IssueEvent.objects.get(issue=issue, kind="released").actor == "user:admin"
    with pytest.raises(Conflict):
        release_claim(issue_id=issue.pk, actor="user:admin")
    with pytest.raises(NotFound):
        release_claim(issue_id="nope", actor="user:admin")


# --- completion with a token (issues.services.update_issue) -----------------------------------


def test_completing_with_a_stale_claim_token_is_a_conflict_and_changes_nothing():
    issue = IssueFactory()
    first = claim_next_issue(agent_name="slow-agent")
    expire(issue.pk)
    reclaim_stale()
    second = claim_next_issue(agent_name="fast-agent")
    assert second.issue.pk == issue.pk
    with pytest.raises(Conflict):
        issue_services.update_issue(
            issue_id=issue.pk, actor="agent:slow-agent",
            changes={"status": "done", "agent_summary": "late"}, claim_token=first.claim_token,
        )
    issue.refresh_from_db()
    assert issue.status == "in_progress" and issue.agent_summary is None
    assert issue.claim_token == second.claim_token and issue.claimed_by == "fast-agent"
    issue_services.update_issue(
        issue_id=issue.pk, actor="agent:fast-agent", changes={"status": "done"},
        claim_token=second.claim_token,
    )
    issue.refresh_from_db()
    assert issue.status == "done" and issue.claim_token is None and issue.lease_expires_at is None


def test_completing_without_a_token_keeps_upstream_behaviour():
    issue = IssueFactory()
    claim_next_issue(agent_name="a1")
    issue_services.update_issue(issue_id=issue.pk, actor="agent:a1", changes={"status": "done"})
    assert Issue.objects.get(pk=issue.pk).status == "done"


# --- expiry ------------------------------------------------------------------------------------


def test_an_expired_lease_returns_the_issue_to_todo():
    issue = IssueFactory()
    claim_next_issue(agent_name="a1")
    still_held = IssueFactory()
    claim_next_issue(agent_name="a2")
    expire(issue.pk)

    report = reclaim_stale()

    assert [entry.issue_id for entry in report.requeued] == [issue.pk]
    assert report.escalated == []
    issue.refresh_from_db()
    assert issue.status == "todo" and issue.claim_token is None and issue.lease_expires_at is None
    assert issue.dispatch_attempts == 1
    event = IssueEvent.objects.get(issue=issue, kind="lease_expired")
    assert event.actor == "system" and event.changes == {"status": ["in_progress", "todo"]}
    assert "a1" in event.note
    assert Issue.objects.get(pk=still_held.pk).status == "in_progress"
    assert claim_next_issue(agent_name="a3").issue.pk == issue.pk


def test_an_issue_whose_claims_keep_expiring_goes_to_triage_with_a_comment(settings):
    settings.LOOP_MAX_CLAIM_ATTEMPTS = 3
    issue = IssueFactory()
    for attempt in range(1, 4):
        claim = claim_next_issue(agent_name=f"a{attempt}")
        assert claim.issue.pk == issue.pk and claim.issue.dispatch_attempts == attempt
        expire(issue.pk)
        report = reclaim_stale()
        issue.refresh_from_db()
        if attempt < 3:
            assert issue.status == "todo" and len(report.requeued) == 1
    assert [entry.attempts for entry in report.escalated] == [3]
    assert issue.status == "triage"
    assert issue.claim_token is None and issue.lease_expires_at is None
    assert issue.dispatch_attempts == 0  # a human who requeues it gives it fresh attempts
    comment = Comment.objects.get(issue=issue)
    assert comment.author_name == "loop" and comment.author_type == "agent"
    assert "3 claims" in comment.body and "a3" in comment.body
    assert IssueEvent.objects.filter(issue=issue, kind="lease_expired").count() == 3
    assert claim_next_issue(agent_name="a4") is None


def test_reclaim_leaves_unexpired_and_unclaimed_issues_alone():
    IssueFactory()
    claim_next_issue(agent_name="a1")
    IssueFactory(status="in_progress")  # moved by hand, no lease
    assert reclaim_stale().total == 0
    assert reclaim_stale(now=timezone.now() + timedelta(days=1)).total == 1


def test_reclaim_dry_run_reports_and_changes_nothing():
    issue = IssueFactory()
    claim_next_issue(agent_name="a1")
    expire(issue.pk)
    report = reclaim_stale(dry_run=True)
    assert [entry.issue_id for entry in report.requeued] == [issue.pk]
    issue.refresh_from_db()
    assert issue.status == "in_progress"
    assert not IssueEvent.objects.filter(kind="lease_expired").exists()


def test_reclaim_works_in_batches_and_respects_a_limit():
    issues = [IssueFactory() for _ in range(5)]
    while claim_next_issue(agent_name="a1"):
        pass
    for issue in issues:
        expire(issue.pk)
    batches = []
    report = reclaim_stale(batch_size=2, limit=3, on_batch=lambda r: batches.append(r.total))
    assert report.total == 3 and batches == [2, 3]
    assert reclaim_stale(batch_size=2).total == 2
    assert Issue.objects.filter(status="todo").count() == 5


def test_claims_reclaim_expired_leases_first():
    issue = IssueFactory()
    claim_next_issue(agent_name="crashed")
    expire(issue.pk)
    reclaim_throttle.reset()
    again = claim_next_issue(agent_name="a2")
    assert again is not None and again.issue.pk == issue.pk
    assert again.issue.dispatch_attempts == 2
    assert IssueEvent.objects.filter(issue=issue, kind="lease_expired").count() == 1


def test_the_opportunistic_reclaim_runs_at_most_once_per_interval(monkeypatch):
    calls = []
    monkeypatch.setattr(services, "reclaim_stale", lambda **kw: calls.append(kw) or services.ReclaimReport())
    issue = IssueFactory()
    claim_next_issue(agent_name="a1")
    expire(issue.pk)
    maybe_reclaim_stale()  # the first claim of this test already used the interval
    assert calls == []
    reclaim_throttle.reset()
    maybe_reclaim_stale()
    maybe_reclaim_stale()
    assert len(calls) == 1 and calls[0]["limit"] == services.OPPORTUNISTIC_RECLAIM_LIMIT


def test_the_opportunistic_check_is_one_cheap_query_when_nothing_expired():
    IssueFactory()
    claim_next_issue(agent_name="a1")
    reclaim_throttle.reset()
    with CaptureQueriesContext(connection) as queries:
        assert maybe_reclaim_stale() == 0
    assert len(queries) == 1
    assert "LIMIT 1" in queries[0]["sql"]


# --- the management command --------------------------------------------------------------------


def test_reclaim_stale_command_reclaims_and_reports():
    issue = IssueFactory()
    claim_next_issue(agent_name="a1")
    expire(issue.pk)
    out = StringIO()
    call_command("reclaim_stale", stdout=out)
    assert "Reclaimed 1 expired claim(s): 1 back to todo, 0 to triage." in out.getvalue()
    assert "1 reclaimed so far" in out.getvalue()
    assert Issue.objects.get(pk=issue.pk).status == "todo"


def test_reclaim_stale_command_dry_run_lists_and_changes_nothing():
    issue = IssueFactory()
    claim_next_issue(agent_name="a1")
    expire(issue.pk)
    out = StringIO()
    call_command("reclaim_stale", "--dry-run", stdout=out)
    assert f"#{issue.number} -> todo (claimed by a1, attempt 1)" in out.getvalue()
    assert "Would reclaim 1 expired claim(s)" in out.getvalue()
    assert Issue.objects.get(pk=issue.pk).status == "in_progress"


def test_reclaim_stale_command_with_nothing_to_do():
    out = StringIO()
    call_command("reclaim_stale", stdout=out)
    assert "Reclaimed 0 expired claim(s)" in out.getvalue()
