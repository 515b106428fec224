"""``manage.py seed_demo``: a living demo loop, written through the services, idempotent with
``--if-empty``."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dispatch.selectors import dispatch_queue
from issues.models import Goal, Issue, IssueEvent, IssueRelation, Project
from issues.ranking import dispatch_rank
from issues.services import project_has_active_goal
from signals_app.models import Signal
from templates_app.models import PromptReview, PromptVersion
from tests.issues.test_blocking import assert_blocked_state_matches_definition


@pytest.fixture
def seeded(db) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_demo_has_a_project_with_a_goal_and_signals_from_every_provider(seeded):
    assert "Demo loop ready" in seeded
    project = Project.objects.get(name="Checkout")
    assert Goal.objects.get(project=project, status="active") == project.goal
    assert set(Signal.objects.values_list("source", flat=True)) == {"sentry", "github", "posthog"}
    assert Issue.objects.filter(occurrence_count__gt=1).exists()  # repeats grouped onto one issue


def test_the_demo_tells_the_whole_loop(seeded):
    hypothesis = Issue.objects.get(type="hypothesis")
    assert hypothesis.hypothesis["confidence"] == 0.7 and hypothesis.parent.type == "signal"
    plan = Issue.objects.get(type="plan")
    assert plan.children.filter(type="task").count() == 3
    assert plan.children.filter(is_blocked=True).count() == 2
    assert Issue.objects.filter(type="monitor", is_blocked=True).exists()
    assert IssueRelation.objects.filter(type="blocked_by").count() == 3
    assert Issue.objects.filter(status="triage").count() == 2
    assert Issue.objects.filter(status="done").count() >= 10
    assert PromptReview.objects.exists()
    assert PromptVersion.objects.filter(status="draft", author_type="agent").exists()


def test_the_demo_has_a_live_claim_and_a_stale_one(seeded):
    now = timezone.now()
    claimed = Issue.objects.filter(status="in_progress")
    assert claimed.filter(lease_expires_at__gt=now).count() == 1
    assert claimed.filter(lease_expires_at__lt=now).count() == 1
    assert IssueEvent.objects.filter(kind="claimed").count() == 2


def test_the_winding_back_keeps_ranks_and_blocked_flags_true(seeded):
    """Moving created_at moved dispatch_rank with it: the stored rank still orders like the score."""
    for issue in Issue.objects.all():
        expected = dispatch_rank(created_at=issue.created_at, priority=issue.priority, issue_type=issue.type,
                                 has_active_goal=project_has_active_goal(issue.project_id))
        assert issue.dispatch_rank == pytest.approx(expected, abs=1e-6)
    assert_blocked_state_matches_definition()
    assert dispatch_queue(limit=5).entries
    done = Issue.objects.filter(status="done")
    assert done.filter(completed_at__lt=timezone.now() - timedelta(days=7)).exists()


def test_if_empty_does_nothing_the_second_time(seeded):
    count = Issue.all_objects.count()
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert Issue.all_objects.count() == count
    assert "nothing to do" in out.getvalue()


def test_without_if_empty_a_filled_database_is_refused(seeded):
    with pytest.raises(CommandError, match="already has"):
        call_command("seed_demo", stdout=io.StringIO())
