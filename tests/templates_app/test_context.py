"""The hydration context: every key, both blocking directions, siblings vs children, earlier
sessions, and a fixed number of queries whatever the neighbourhood's size."""
from __future__ import annotations

import pytest

from issues import services as issue_services
from issues.models import Issue
from templates_app.context import CONTEXT_KEYS, build_context, facts_for
from tests.factories import GoalFactory, IssueFactory, LabelFactory, ProjectFactory

pytestmark = pytest.mark.django_db

META = {"templateId": "t", "templateSlug": "s", "versionId": "v", "versionNumber": 1}


def _fresh(issue: Issue) -> Issue:
    return Issue.objects.get(pk=issue.pk)


def _relate(issue, other, type):
    issue_services.add_relation(issue_id=issue.pk, related_issue_id=other.pk, type=type, actor="tests")


def test_context_has_every_documented_key(settings):
    settings.LOOP_URL = "https://loop.example.com"
    context = build_context(issue=_fresh(IssueFactory()), meta=META)
    assert set(context) | {"json", "priority_label"} == CONTEXT_KEYS
    assert context["loopUrl"] == "https://loop.example.com"
    assert context["meta"] == {**META, "reviewUrl": "https://loop.example.com/api/prompt-reviews"}
    assert context["parent"] is None and context["project"] is None and context["goal"] is None
    assert context["siblings"] == context["children"] == context["labels"] == []
    assert context["blocking"] == context["blockedBy"] == context["previousSessions"] == []
    assert context["hasFailedSessions"] is False
    assert context["claimToken"] is None and context["leaseExpiresAt"] is None


def test_issue_is_plain_data_in_wire_shape():
    issue = IssueFactory(title="T", priority=2, signal_source="sentry", hypothesis={"confidence": 0.5})
    data = build_context(issue=_fresh(issue), meta=META)["issue"]
    assert data["id"] == issue.pk and data["number"] == issue.number
    assert data["priorityLabel"] == "high"
    assert data["signalSource"] == "sentry"
    assert data["hypothesis"] == {"confidence": 0.5}
    assert data["createdAt"].endswith("Z")
    assert all(not hasattr(value, "_meta") for value in data.values())


def test_child_issue_gets_parent_siblings_project_and_goal():
    project = ProjectFactory(name="Checkout")
    goal = GoalFactory(project=project, title="Fewer failed payments", metric="failure rate")
    parent = IssueFactory(type="plan", project=project, title="Plan")
    first = IssueFactory(parent=parent, project=project, title="first")
    issue = IssueFactory(parent=parent, project=project, title="me")
    last = IssueFactory(parent=parent, project=project, title="last", status="canceled",
                        agent_summary="gave up: flaky API")
    context = build_context(issue=_fresh(issue), meta=META)
    assert context["parent"]["id"] == parent.pk and context["parent"]["title"] == "Plan"
    assert [s["id"] for s in context["siblings"]] == [first.pk, last.pk]
    assert context["children"] == []
    assert context["project"]["name"] == "Checkout"
    assert context["goal"]["id"] == goal.pk and context["goal"]["metric"] == "failure rate"
    assert context["hasFailedSessions"] is True
    assert context["previousSessions"] == [{
        "issueId": last.pk, "number": last.number, "title": "last", "status": "canceled",
        "agentSummary": "gave up: flaky API", "isThisIssue": False,
    }]


def test_headline_goal_wins_over_other_active_goals():
    project = ProjectFactory()
    GoalFactory(project=project, title="newer active goal")
    headline = GoalFactory(project=project, title="headline")
    issue_services.update_project(project_id=project.pk, changes={"goal_id": headline.pk})
    GoalFactory(project=project, title="newest active goal")
    context = build_context(issue=_fresh(IssueFactory(project=project)), meta=META)
    assert context["goal"]["title"] == "headline"


def test_parent_issue_gets_children_not_siblings():
    issue = IssueFactory(type="plan")
    child = IssueFactory(parent=issue)
    deleted = IssueFactory(parent=issue)
    issue_services.delete_issue(issue_id=deleted.pk, actor="tests")
    context = build_context(issue=_fresh(issue), meta=META)
    assert [c["id"] for c in context["children"]] == [child.pk]
    assert context["siblings"] == []


def test_own_session_comes_first_in_previous_sessions():
    issue = IssueFactory(agent_summary="half done, lease expired")
    context = build_context(issue=_fresh(issue), meta=META)
    assert context["previousSessions"] == [{
        "issueId": issue.pk, "number": issue.number, "title": issue.title, "status": "todo",
        "agentSummary": "half done, lease expired", "isThisIssue": True,
    }]


def test_blocking_reads_both_stored_directions():
    issue = IssueFactory()
    blocker_a, blocker_b = IssueFactory(title="A"), IssueFactory(title="B")
    waiter_c, waiter_d = IssueFactory(title="C"), IssueFactory(title="D")
    _relate(issue, blocker_a, "blocked_by")  # issue blocked_by A
    _relate(blocker_b, issue, "blocks")  # B blocks issue
    _relate(issue, waiter_c, "blocks")  # issue blocks C
    _relate(waiter_d, issue, "blocked_by")  # D blocked_by issue
    _relate(issue, IssueFactory(), "related")  # not blocking at all
    context = build_context(issue=_fresh(issue), meta=META)
    assert {b["title"] for b in context["blockedBy"]} == {"A", "B"}
    assert {b["title"] for b in context["blocking"]} == {"C", "D"}
    assert set(context["blockedBy"][0]) == {"id", "number", "title", "type", "status"}


def test_deleted_issue_drops_out_of_blocking_lists():
    issue, blocker = IssueFactory(), IssueFactory()
    _relate(issue, blocker, "blocked_by")
    issue_services.delete_issue(issue_id=blocker.pk, actor="tests")
    assert build_context(issue=_fresh(issue), meta=META)["blockedBy"] == []


def test_labels_are_name_and_color_sorted_by_name():
    issue = IssueFactory(labels=[LabelFactory(name="ui", color="#111"), LabelFactory(name="bug", color="#222")])
    assert build_context(issue=_fresh(issue), meta=META)["labels"] == [
        {"name": "bug", "color": "#222"}, {"name": "ui", "color": "#111"},
    ]


def test_claim_token_only_while_in_progress():
    issue = IssueFactory()
    Issue.objects.filter(pk=issue.pk).update(status="in_progress", claim_token="tok")
    assert build_context(issue=_fresh(issue), meta=META)["claimToken"] == "tok"


def _neighbourhood(size: int) -> Issue:
    project = ProjectFactory()
    GoalFactory(project=project)
    parent = IssueFactory(type="plan", project=project)
    issue = IssueFactory(parent=parent, project=project,
                         labels=[LabelFactory() for _ in range(size)])
    for _ in range(size):
        IssueFactory(parent=parent, status="done", agent_summary="ok")
        _relate(issue, IssueFactory(), "blocked_by")
        _relate(IssueFactory(), issue, "blocked_by")
    return _fresh(issue)


@pytest.mark.parametrize("size", [1, 8])
def test_context_takes_a_fixed_number_of_queries(size, django_assert_num_queries):
    issue = _neighbourhood(size)
    # labels + siblings + relations, parent, project with its goal
    with django_assert_num_queries(3):
        context = build_context(issue=issue, meta=META)
    assert len(context["siblings"]) == size and len(context["blockedBy"]) == size


def test_facts_are_shared_between_selection_and_rendering(django_assert_num_queries):
    issue = _neighbourhood(2)
    facts_for(issue).labels()
    facts_for(issue).has_failed_sessions()
    with django_assert_num_queries(2):  # labels, siblings and relations already loaded
        build_context(issue=issue, meta=META)
