"""claim_next_issue: what it picks, what it writes, and the prompt it hydrates (both claim paths)."""
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch import services, sql
from dispatch.services import claim_next_issue
from issues import services as issue_services
from issues.models import Issue, IssueEvent
from templates_app.models import PromptVersion
from tests.dispatch.helpers import exact_score, make_active_template, set_created
from tests.factories import GoalFactory, IssueFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["native", "compare_and_set"])
def claim_path(request, monkeypatch):
    """Run a test through the backend's own claim path and through compare-and-set. On SQLite the
    two coincide; on PostgreSQL the second forces the portable path onto a real row-locking DB."""
    if request.param == "compare_and_set":
        monkeypatch.setattr(services, "uses_skip_locked", lambda: False)
    return request.param


def test_claim_returns_none_when_nothing_is_eligible(claim_path):
    IssueFactory(status="backlog")
    IssueFactory(status="done")
    assert claim_next_issue(agent_name="a1") is None


def test_claim_moves_the_issue_to_in_progress_under_a_lease(claim_path, settings):
    settings.LOOP_LEASE_SECONDS = 600
    issue = IssueFactory()
    before = timezone.now()
    claim = claim_next_issue(agent_name="a1")
    after = timezone.now()

    assert claim.issue.pk == issue.pk
    assert claim.issue.status == "in_progress"
    issue.refresh_from_db()
    assert issue.status == "in_progress"
    assert issue.claimed_by == "a1"
    assert issue.claim_token == claim.claim_token and len(claim.claim_token) >= 32
    assert before <= issue.claimed_at <= after
    assert issue.lease_expires_at == issue.claimed_at + timedelta(seconds=600)
    assert claim.lease_expires_at == issue.lease_expires_at
    assert issue.dispatch_attempts == 1
    assert issue.updated_at == issue.claimed_at


def test_each_claim_gets_a_fresh_token(claim_path):
    IssueFactory(), IssueFactory()
    first, second = claim_next_issue(agent_name="a1"), claim_next_issue(agent_name="a1")
    assert first.claim_token != second.claim_token


def test_claim_writes_one_claimed_event(claim_path):
    issue = IssueFactory()
    claim_next_issue(agent_name="a1")
    event = IssueEvent.objects.get(issue=issue, kind="claimed")
    assert event.actor == "agent:a1"
    assert event.changes == {"status": ["todo", "in_progress"]}
    assert "attempt 1" in event.note


def test_claim_skips_issues_that_are_not_todo_or_are_deleted(claim_path):
    for status in ("triage", "backlog", "in_progress", "done", "canceled"):
        IssueFactory(status=status, priority=1)
    deleted = IssueFactory(priority=1)
    issue_services.delete_issue(issue_id=deleted.pk, actor="s")
    wanted = IssueFactory(priority=4)
    assert claim_next_issue(agent_name="a1").issue.pk == wanted.pk
    assert claim_next_issue(agent_name="a1") is None


def test_claim_takes_the_highest_score_first(claim_path):
    now = timezone.now()
    low = IssueFactory(priority=4, type="monitor")  # 25 + 10
    urgent_task = IssueFactory(priority=1, type="task")  # 100 + 20
    high_signal = IssueFactory(priority=2, type="signal")  # 75 + 50 = 125
    old_low = set_created(IssueFactory(priority=4, type="monitor"), days_ago=100, now=now)  # 135
    claimed = [claim_next_issue(agent_name="a1").issue.pk for _ in range(4)]
    assert claimed == [old_low.pk, high_signal.pk, urgent_task.pk, low.pk]


def test_active_goal_bonus_reorders_the_queue(claim_path):
    project = ProjectFactory()
    in_project = IssueFactory(priority=3, type="task", project=project)  # 70, 90 with a goal
    elsewhere = IssueFactory(priority=2, type="task")  # 95
    GoalFactory(project=project)  # the issues app shifts the ranks of the project's issues
    IssueFactory(priority=3, type="task", project=project)
    assert claim_next_issue(agent_name="a1").issue.pk == elsewhere.pk
    issue_services.update_issue(issue_id=elsewhere.pk, actor="s", changes={"status": "todo"})
    issue_services.update_issue(issue_id=elsewhere.pk, actor="s", changes={"priority": 4})  # 45
    assert claim_next_issue(agent_name="a1").issue.pk == in_project.pk


def test_priority_change_takes_effect_on_the_next_claim(claim_path):
    first, second = IssueFactory(priority=3), IssueFactory(priority=3)
    issue_services.update_issue(issue_id=second.pk, actor="s", changes={"priority": 1})
    assert claim_next_issue(agent_name="a1").issue.pk == second.pk
    assert claim_next_issue(agent_name="a1").issue.pk == first.pk


def test_project_filter_claims_only_that_project(claim_path):
    project, other = ProjectFactory(), ProjectFactory()
    IssueFactory(priority=1, project=other)
    IssueFactory(priority=1)
    mine = IssueFactory(priority=4, project=project)
    claim = claim_next_issue(agent_name="a1", project_id=project.pk)
    assert claim.issue.pk == mine.pk
    assert claim_next_issue(agent_name="a1", project_id=project.pk) is None
    assert claim_next_issue(agent_name="a1", project_id="no-such-project") is None


def test_claim_skips_issue_blocked_by_open_issue(claim_path):
    blocker = IssueFactory(priority=4, status="backlog")
    blocked = IssueFactory(priority=1)
    issue_services.add_relation(
        issue_id=blocked.pk, related_issue_id=blocker.pk, type="blocked_by", actor="s"
    )
    other = IssueFactory(priority=4)
    assert claim_next_issue(agent_name="a1").issue.pk == other.pk
    assert claim_next_issue(agent_name="a1") is None
    issue_services.update_issue(issue_id=blocker.pk, actor="s", changes={"status": "canceled"})
    assert claim_next_issue(agent_name="a1").issue.pk == blocked.pk


def test_claim_skips_issue_blocked_through_the_blocks_spelling(claim_path):
    blocker = IssueFactory(priority=4, status="backlog")
    blocked = IssueFactory(priority=1)
    issue_services.add_relation(
        issue_id=blocker.pk, related_issue_id=blocked.pk, type="blocks", actor="s"
    )
    assert claim_next_issue(agent_name="a1") is None
    issue_services.delete_issue(issue_id=blocker.pk, actor="s")
    assert claim_next_issue(agent_name="a1").issue.pk == blocked.pk


def test_compare_and_set_picks_again_when_its_candidate_was_taken(monkeypatch):
    """Another claimer wins the candidate between the read and the write: the CAS write touches
    nothing and the claim moves on to the next issue."""
    monkeypatch.setattr(services, "uses_skip_locked", lambda: False)
    taken, free = IssueFactory(priority=1), IssueFactory(priority=2)
    Issue.objects.filter(pk=taken.pk).update(status="in_progress", claim_token="theirs")
    real_candidate = sql.claim_candidate
    calls = []

    def stale_first(*, with_project):
        calls.append(with_project)
        if len(calls) == 1:  # a read from before the other claimer committed
            return f"SELECT id FROM issues_issue WHERE id = '{taken.pk}'"
        return real_candidate(with_project=with_project)

    monkeypatch.setattr(sql, "claim_candidate", stale_first)
    claim = claim_next_issue(agent_name="a1")
    assert claim.issue.pk == free.pk
    assert len(calls) == 2
    taken.refresh_from_db()
    assert taken.claim_token == "theirs" and taken.dispatch_attempts == 0


def test_claim_picks_by_skip_locked_on_postgresql_and_compare_and_set_elsewhere():
    assert services.uses_skip_locked() == (connection.vendor == "postgresql")


# --- prompt hydration ---------------------------------------------------------------------------


def test_claim_hydrates_the_selected_template_and_counts_its_use(claim_path):
    template, version = make_active_template(content="Fix #{{ issue.number }}: {{ issue.title }}")
    issue = IssueFactory(title="Broken login")
    claim = claim_next_issue(agent_name="a1")
    assert claim.prompt is not None and "Broken login" in claim.prompt
    assert claim.meta.template_id == template.pk
    assert claim.meta.template_slug == template.slug
    assert claim.meta.version_id == version.pk
    assert claim.meta.version_number == 1
    assert claim.meta.review_url == "POST /api/prompt-reviews"
    assert claim.meta.error is None
    version.refresh_from_db()
    assert version.usage_count == 1
    assert claim.issue.pk == issue.pk


def test_claim_without_a_matching_template_has_no_prompt_and_no_meta(claim_path, no_templates):
    IssueFactory()
    claim = claim_next_issue(agent_name="a1")
    assert claim.prompt is None and claim.meta is None
    assert Issue.objects.get(pk=claim.issue.pk).status == "in_progress"


def test_render_error_keeps_the_claim_and_reports_it_in_meta(claim_path):
    _, version = make_active_template(content="{% if %}broken{% endif %}")
    issue = IssueFactory()
    claim = claim_next_issue(agent_name="a1")
    assert claim.prompt is None
    assert claim.meta.version_id == version.pk
    assert claim.meta.error
    issue.refresh_from_db()
    assert issue.status == "in_progress" and issue.claim_token == claim.claim_token
    version.refresh_from_db()
    assert version.usage_count == 0


def test_a_failure_while_hydrating_hands_the_issue_back(claim_path, monkeypatch):
    issue = IssueFactory()

    def explode(issue):
        raise RuntimeError("selection bug")

    monkeypatch.setattr(services, "select_template", explode)
    with pytest.raises(RuntimeError):
        claim_next_issue(agent_name="a1")
    issue.refresh_from_db()
    assert issue.status == "todo" and issue.claim_token is None and issue.lease_expires_at is None
    released = IssueEvent.objects.get(issue=issue, kind="released")
    assert released.actor == "system" and "RuntimeError" in released.note
    monkeypatch.undo()
    assert claim_next_issue(agent_name="a1").issue.pk == issue.pk


def test_only_active_versions_are_used(claim_path):
    template, version = make_active_template(content="active {{ issue.title }}")
    PromptVersion.objects.create(
        template=template, version=2, content="draft", status=PromptVersion.Status.DRAFT
    )
    IssueFactory()
    assert claim_next_issue(agent_name="a1").meta.version_id == version.pk


# --- order over generated backlogs and dependency graphs ----------------------------------------

issue_specs = st.lists(
    st.tuples(
        st.integers(0, 4),  # priority
        st.sampled_from(["signal", "hypothesis", "plan", "task", "monitor"]),
        st.floats(0, 60, allow_nan=False),  # days since creation
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=issue_specs)
def test_a_single_agent_gets_issues_in_score_order(specs):
    Issue.all_objects.all().delete()
    now = timezone.now()
    issues = [
        set_created(IssueFactory(priority=p, type=t), days_ago=days, now=now) for p, t, days in specs
    ]
    scores = {i.pk: exact_score(i, now) for i in issues}
    claimed = []
    while (claim := claim_next_issue(agent_name="a1")) is not None:
        claimed.append(claim.issue.pk)
    assert sorted(claimed) == sorted(scores)
    # Best first. Scores equal in exact arithmetic may differ in the last bits of the stored key,
    # so equal scores (within a microsecond of age) may come in either order.
    for earlier, later in zip(claimed, claimed[1:]):
        assert scores[earlier] >= scores[later] - 1e-6


dependency_graphs = st.integers(2, 7).flatmap(
    lambda n: st.tuples(
        st.just(n),
        # (blocked, blocker) pairs with blocker < blocked: always acyclic.
        st.lists(
            st.tuples(st.integers(1, n - 1), st.integers(0, n - 1), st.sampled_from(["blocks", "blocked_by"])),
            max_size=10,
        ),
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
    )
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graph=dependency_graphs)
def test_blocked_issues_are_never_claimed_and_are_released_when_blockers_end(graph):
    n, edges, priorities = graph
    Issue.all_objects.all().delete()
    issues = [IssueFactory(priority=p) for p in priorities]
    blockers: dict[str, set[str]] = {issue.pk: set() for issue in issues}
    for blocked_index, blocker_index, spelling in edges:
        blocker_index %= blocked_index
        blocked, blocker = issues[blocked_index], issues[blocker_index]
        if blocker.pk in blockers[blocked.pk]:
            continue
        if spelling == "blocked_by":
            issue_services.add_relation(
                issue_id=blocked.pk, related_issue_id=blocker.pk, type="blocked_by", actor="s"
            )
        else:
            issue_services.add_relation(
                issue_id=blocker.pk, related_issue_id=blocked.pk, type="blocks", actor="s"
            )
        blockers[blocked.pk].add(blocker.pk)

    done: set[str] = set()
    while (claim := claim_next_issue(agent_name="a1")) is not None:
        issue_id = claim.issue.pk
        assert blockers[issue_id] <= done, "claimed an issue whose blocker is unfinished"
        # It must be the best issue among those whose blockers are all done.
        ready = [
            i for i in Issue.objects.filter(status="todo") if blockers[i.pk] <= done
        ] + [claim.issue]
        best = min(ready, key=lambda i: (i.dispatch_rank, i.pk))
        assert issue_id == best.pk
        issue_services.update_issue(
            issue_id=issue_id, actor="agent:a1", changes={"status": "done"},
            claim_token=claim.claim_token,
        )
        done.add(issue_id)
    # A DAG drains completely: every issue was eventually released by its blockers and claimed.
    assert done == set(blockers)
