import pytest
from django.utils import timezone

from issues import services
from issues.models import Issue, IssueEvent
from issues.ranking import GOAL_BONUS
from loop_project.errors import Conflict, NotFound, RuleViolation
from tests.factories import GoalFactory, IssueFactory, LabelFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_numbers_are_sequential():
    first, second, third = IssueFactory(), IssueFactory(), IssueFactory()
    assert [second.number - first.number, third.number - second.number] == [1, 1]


def test_parent_must_exist():
    with pytest.raises(RuleViolation) as excinfo:
        IssueFactory(parent_id="nope")
    assert excinfo.value.field == "parentId"


def test_parent_with_a_parent_is_rejected():
    grandparent = IssueFactory()
    parent = IssueFactory(parent=grandparent)
    with pytest.raises(RuleViolation, match="one level"):
        IssueFactory(parent=parent)


def test_deleted_parent_is_rejected():
    parent = IssueFactory()
    services.delete_issue(issue_id=parent.pk, actor="system")
    with pytest.raises(RuleViolation, match="not found"):
        IssueFactory(parent=parent)


def test_patch_cannot_nest_an_issue_that_has_children():
    parent, other = IssueFactory(), IssueFactory()
    IssueFactory(parent=parent)
    with pytest.raises(RuleViolation, match="has children"):
        services.update_issue(issue_id=parent.pk, actor="system", changes={"parent_id": other.pk})


def test_patch_cannot_make_an_issue_its_own_parent():
    issue = IssueFactory()
    with pytest.raises(RuleViolation, match="own parent"):
        services.update_issue(issue_id=issue.pk, actor="system", changes={"parent_id": issue.pk})


def test_completed_at_follows_status():
    issue = IssueFactory()
    done = services.update_issue(issue_id=issue.pk, actor="a", changes={"status": "done"})
    assert done.completed_at is not None
    reopened = services.update_issue(issue_id=issue.pk, actor="a", changes={"status": "todo"})
    assert reopened.completed_at is None
    canceled = services.update_issue(issue_id=issue.pk, actor="a", changes={"status": "canceled"})
    assert canceled.completed_at is not None


def test_updates_are_audited_with_from_and_to():
    issue = IssueFactory(status="todo")
    services.update_issue(issue_id=issue.pk, actor="agent:bot", changes={"status": "done", "priority": 1})
    event = IssueEvent.objects.filter(issue=issue, kind="updated").get()
    assert event.actor == "agent:bot"
    assert event.changes["status"] == ["todo", "done"]
    assert event.changes["priority"] == [3, 1]


def test_stale_claim_token_is_refused_and_nothing_changes():
    issue = IssueFactory(status="in_progress")
    Issue.objects.filter(pk=issue.pk).update(claim_token="current")
    with pytest.raises(Conflict):
        services.update_issue(
            issue_id=issue.pk, actor="a", changes={"status": "done"}, claim_token="stale"
        )
    issue.refresh_from_db()
    assert issue.status == "in_progress"
    services.update_issue(issue_id=issue.pk, actor="a", changes={"status": "done"}, claim_token="current")
    issue.refresh_from_db()
    assert issue.status == "done" and issue.claim_token is None


def test_relation_to_self_missing_and_duplicate_are_refused():
    a, b = IssueFactory(), IssueFactory()
    with pytest.raises(RuleViolation):
        services.add_relation(issue_id=a.pk, related_issue_id=a.pk, type="related", actor="s")
    with pytest.raises(RuleViolation):
        services.add_relation(issue_id=a.pk, related_issue_id="missing", type="related", actor="s")
    with pytest.raises(NotFound):
        services.add_relation(issue_id="missing", related_issue_id=a.pk, type="related", actor="s")
    services.add_relation(issue_id=a.pk, related_issue_id=b.pk, type="related", actor="s")
    with pytest.raises(Conflict):
        services.add_relation(issue_id=a.pk, related_issue_id=b.pk, type="related", actor="s")


def test_a_blocking_cycle_is_refused_in_either_spelling():
    a, b, c = IssueFactory(), IssueFactory(), IssueFactory()
    services.add_relation(issue_id=a.pk, related_issue_id=b.pk, type="blocked_by", actor="s")
    services.add_relation(issue_id=c.pk, related_issue_id=b.pk, type="blocks", actor="s")  # b blocked_by c
    with pytest.raises(RuleViolation, match="cycle"):
        services.add_relation(issue_id=c.pk, related_issue_id=a.pk, type="blocked_by", actor="s")
    with pytest.raises(RuleViolation, match="cycle"):
        services.add_relation(issue_id=a.pk, related_issue_id=c.pk, type="blocks", actor="s")


def test_labels_are_replaced_on_update():
    one, two = LabelFactory(), LabelFactory()
    issue = IssueFactory(labels=[one])
    services.update_issue(issue_id=issue.pk, actor="s", changes={}, label_ids=[two.pk])
    assert list(issue.labels.all()) == [two]
    with pytest.raises(RuleViolation):
        services.update_issue(issue_id=issue.pk, actor="s", changes={}, label_ids=["missing"])


def test_rank_orders_by_score_and_follows_priority_changes():
    low = IssueFactory(priority=4)
    urgent = IssueFactory(priority=1)
    assert urgent.dispatch_rank < low.dispatch_rank
    services.update_issue(issue_id=low.pk, actor="s", changes={"priority": 1})
    low.refresh_from_db()
    # Same score; the older issue goes first.
    assert low.dispatch_rank < urgent.dispatch_rank


def test_active_goal_shifts_ranks_of_the_projects_issues():
    project = ProjectFactory()
    issue = IssueFactory(project=project)
    before = issue.dispatch_rank
    goal = GoalFactory(project=project)
    issue.refresh_from_db()
    assert issue.dispatch_rank == pytest.approx(before - GOAL_BONUS)
    # A second active goal changes nothing; ending both restores the rank.
    second = GoalFactory(project=project)
    services.update_goal(goal_id=goal.pk, changes={"status": "achieved"})
    issue.refresh_from_db()
    assert issue.dispatch_rank == pytest.approx(before - GOAL_BONUS)
    services.delete_goal(goal_id=second.pk)
    issue.refresh_from_db()
    assert issue.dispatch_rank == pytest.approx(before)


def test_created_issue_in_project_with_active_goal_gets_the_bonus():
    project = ProjectFactory()
    GoalFactory(project=project)
    with_goal = IssueFactory(project=project)
    without = IssueFactory()
    delta = without.dispatch_rank - with_goal.dispatch_rank
    age_gap = (without.created_at - with_goal.created_at).total_seconds() / 86400
    assert delta == pytest.approx(GOAL_BONUS + age_gap)


def test_soft_delete_and_restore():
    issue = IssueFactory()
    services.delete_issue(issue_id=issue.pk, actor="s")
    with pytest.raises(NotFound):
        services.update_issue(issue_id=issue.pk, actor="s", changes={"title": "x"})
    services.restore_issue(issue_id=issue.pk, actor="s")
    assert Issue.objects.filter(pk=issue.pk).exists()
    assert list(IssueEvent.objects.filter(issue=issue).values_list("kind", flat=True)) == [
        "created", "deleted", "restored",
    ]
    assert timezone.now()
