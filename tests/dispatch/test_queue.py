"""dispatch_queue: exactly the claim order, with score breakdowns, paged through the index."""
from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.selectors import dispatch_queue
from dispatch.services import claim_next_issue
from issues import services as issue_services
from issues.models import Issue
from tests.dispatch.helpers import set_created
from tests.factories import GoalFactory, IssueFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_queue_lists_exactly_what_claims_would_hand_out_in_order():
    now = timezone.now()
    project = ProjectFactory()
    GoalFactory(project=project)
    issues = [
        IssueFactory(priority=1, type="monitor"),
        IssueFactory(priority=4, type="signal", project=project),
        set_created(IssueFactory(priority=3, type="task"), days_ago=40, now=now),
        IssueFactory(priority=2, type="plan"),
        IssueFactory(priority=0, type="hypothesis"),
    ]
    page = dispatch_queue(limit=50)
    assert page.total == len(issues)
    queued = [entry.issue.pk for entry in page.entries]
    claimed = [claim_next_issue(agent_name="a1").issue.pk for _ in issues]
    assert queued == claimed
    assert [entry.score for entry in page.entries] == sorted(
        (entry.score for entry in page.entries), reverse=True
    )


def test_breakdown_follows_the_formula():
    now = timezone.now()
    project = ProjectFactory()
    GoalFactory(project=project)
    issue = set_created(
        IssueFactory(priority=2, type="signal", project=project), days_ago=3.9, now=now
    )
    [entry] = dispatch_queue(now=now).entries
    assert entry.issue.pk == issue.pk
    breakdown = entry.breakdown
    assert (breakdown.priority_weight, breakdown.type_bonus, breakdown.goal_bonus) == (75, 50, 20)
    assert breakdown.age_bonus == 3  # whole days
    assert entry.score == 148


def test_queue_leaves_out_what_dispatch_would_not_hand_out():
    blocker = IssueFactory(status="backlog")
    blocked = IssueFactory()
    issue_services.add_relation(
        issue_id=blocked.pk, related_issue_id=blocker.pk, type="blocked_by", actor="s"
    )
    IssueFactory(status="in_progress")
    IssueFactory(status="done")
    deleted = IssueFactory()
    issue_services.delete_issue(issue_id=deleted.pk, actor="s")
    eligible = IssueFactory()
    page = dispatch_queue()
    assert page.total == 1
    assert [entry.issue.pk for entry in page.entries] == [eligible.pk]


def test_queue_pages_with_limit_and_offset_and_counts_everything():
    issues = [IssueFactory(priority=p % 5) for p in range(7)]
    full = [entry.issue.pk for entry in dispatch_queue(limit=50).entries]
    assert len(full) == len(issues)
    first, second, beyond = (
        dispatch_queue(limit=3, offset=0),
        dispatch_queue(limit=3, offset=3),
        dispatch_queue(limit=3, offset=7),
    )
    assert [e.issue.pk for e in first.entries] + [e.issue.pk for e in second.entries] == full[:6]
    assert first.total == second.total == beyond.total == 7
    assert beyond.entries == []


def test_queue_filters_by_project():
    project = ProjectFactory()
    mine = IssueFactory(project=project)
    IssueFactory()
    page = dispatch_queue(project_id=project.pk)
    assert page.total == 1 and [e.issue.pk for e in page.entries] == [mine.pk]


def test_goal_bonus_only_for_projects_with_an_active_goal():
    with_goal, without_goal = ProjectFactory(), ProjectFactory()
    GoalFactory(project=with_goal)
    GoalFactory(project=without_goal, status="achieved")
    IssueFactory(project=with_goal)
    IssueFactory(project=without_goal)
    bonuses = {e.issue.project_id: e.breakdown.goal_bonus for e in dispatch_queue().entries}
    assert bonuses == {with_goal.pk: 20, without_goal.pk: 0}


def test_queue_costs_three_queries_whatever_the_page(django_assert_num_queries):
    projects = [ProjectFactory() for _ in range(3)]
    for project in projects:
        GoalFactory(project=project)
    for index in range(30):
        issue = IssueFactory(project=projects[index % 3])
        set_created(issue, days_ago=index)
    with django_assert_num_queries(3):
        page = dispatch_queue(limit=30)
    assert len(page.entries) == 30


def test_age_is_counted_from_creation_in_whole_days():
    now = timezone.now()
    fresh = IssueFactory(priority=3)
    Issue.objects.filter(pk=fresh.pk).update(created_at=now - timedelta(hours=23))
    [entry] = dispatch_queue(now=now).entries
    assert entry.breakdown.age_bonus == 0


def test_a_short_queue_has_an_exact_total():
    for _ in range(3):
        IssueFactory()
    page = dispatch_queue(limit=1)
    assert (page.total, page.total_exact) == (3, True)


def test_past_the_exact_limit_the_total_is_estimated_but_never_below_what_was_counted(monkeypatch):
    from django.db import connection

    from dispatch import selectors

    monkeypatch.setattr(selectors, "EXACT_TOTAL_LIMIT", 4)
    for _ in range(7):
        IssueFactory()
    page = dispatch_queue(limit=2)
    if connection.vendor == "postgresql":
        assert page.total_exact is False and page.total >= 5
    else:  # SQLite counts everything
        assert (page.total, page.total_exact) == (7, True)
    assert len(page.entries) == 2
