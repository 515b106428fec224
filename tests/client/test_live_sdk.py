"""The SDK against a live Loop server: every resource, end to end over real HTTP."""

from __future__ import annotations

import pytest
from loop_client import (
    AuthenticationError,
    ClaimLostError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableError,
)
from loop_client.sdk.models import Hypothesis

pytestmark = pytest.mark.django_db(transaction=True)


def test_issue_lifecycle_with_labels_comments_and_relations(live_loop):
    loop = live_loop.client()
    project = loop.projects.create(name="Checkout", status="active")
    goal = loop.goals.create(
        title="Conversion 3%", project_id=project.id, target_value=3.0, current_value=2.5, unit="%"
    )
    loop.projects.update(project.id, goal_id=goal.id)
    label = loop.labels.create(name="perf", color="#f59e0b")

    signal = loop.issues.create(
        title="Checkout slow",
        type="signal",
        priority=2,
        project_id=project.id,
        label_ids=[label.id],
    )
    hypothesis = loop.issues.create(
        title="Autocomplete is slow",
        type="hypothesis",
        parent_id=signal.id,
        hypothesis=Hypothesis(
            statement="Autocomplete adds 2s",
            confidence=0.7,
            evidence=["p75 3.5s"],
            validation_criteria="p75 < 1.5s",
        ),
    )
    assert hypothesis.parent_id == signal.id and hypothesis.hypothesis is not None
    assert hypothesis.hypothesis.confidence == 0.7

    detail = loop.issues.get(signal.id)
    assert [c.id for c in detail.children] == [hypothesis.id]
    assert [lab.name for lab in detail.labels] == ["perf"]

    page = loop.issues.list(type="signal", project_id=project.id)
    assert page.total == 1 and page.data[0].id == signal.id
    assert loop.issues.list(label_id=label.id).data[0].id == signal.id

    comment = loop.comments.create(signal.id, body="Looking", author_name="agent-1")
    loop.comments.create(
        signal.id, body="Thanks", author_name="sam", author_type="human", parent_id=comment.id
    )
    threads = loop.comments.list(signal.id)
    assert threads[0].body == "Looking" and threads[0].replies[0].body == "Thanks"

    task = loop.issues.create(title="Cache lookups", type="task", status="todo")
    relation = loop.relations.create(task.id, type="blocked_by", related_issue_id=hypothesis.id)
    assert loop.issues.get(task.id).blocker_ids() == {hypothesis.id}
    with pytest.raises(UnprocessableError):
        loop.relations.create(task.id, type="related", related_issue_id=task.id)
    loop.relations.delete(relation.id)
    assert loop.issues.get(task.id).blocker_ids() == set()

    updated = loop.issues.update(
        task.id, title="Cache address lookups", priority=1, parent_id=signal.id
    )
    assert (updated.title, updated.priority, updated.parent_id) == (
        "Cache address lookups",
        1,
        signal.id,
    )
    cleared = loop.issues.update(task.id, parent_id=None)
    assert cleared.parent_id is None

    project_detail = loop.projects.get(project.id)
    assert project_detail.goal is not None and project_detail.goal.id == goal.id
    assert sum(project_detail.issue_counts.values()) >= 1

    loop.issues.delete(task.id)
    with pytest.raises(NotFoundError):
        loop.issues.get(task.id)


def test_pagination_iterates_every_issue(live_loop):
    loop = live_loop.client()
    ids = {loop.issues.create(title=f"Issue {n}", type="task").id for n in range(5)}
    pages = []
    assert {i.id for i in loop.issues.iter(type="task", page_size=2, on_page=pages.append)} == ids
    assert [len(p.data) for p in pages] == [2, 2, 1]
    assert (
        loop.issues.list(limit=2, offset=4).data
        and not loop.issues.list(limit=2, offset=4).has_more
    )


def test_dispatch_claim_heartbeat_release_and_complete(live_loop):
    loop = live_loop.client()
    first = loop.issues.create(title="First", type="task", status="todo", priority=1)
    second = loop.issues.create(title="Second", type="task", status="todo", priority=4)

    queue = loop.dispatch.queue()
    assert [e.issue.id for e in queue.data][:2] == [first.id, second.id]
    assert queue.data[0].score > queue.data[1].score

    claim = loop.dispatch.next()
    assert claim is not None and claim.issue.id == first.id and claim.claim_token
    assert claim.issue.status == "in_progress"
    assert claim.prompt and claim.meta is not None and claim.meta.template_slug == "task-execution"

    lease = loop.dispatch.heartbeat(first.id, claim_token=claim.claim_token)
    assert lease.issue_id == first.id and lease.lease_expires_at >= claim.lease_expires_at
    with pytest.raises(ClaimLostError):
        loop.dispatch.heartbeat(first.id, claim_token="not-the-token")

    released = loop.dispatch.release(
        first.id, claim_token=claim.claim_token, reason="testing release"
    )
    assert released.status == "todo"
    with pytest.raises(ClaimLostError):
        loop.dispatch.complete(first.id, claim_token=claim.claim_token, summary="too late")

    again = loop.dispatch.next()
    assert (
        again is not None and again.issue.id == first.id and again.claim_token != claim.claim_token
    )
    done = loop.dispatch.complete(
        first.id,
        claim_token=again.claim_token,
        summary="Fixed it",
        commits=[{"sha": "abc123", "message": "fix"}],
    )
    assert done.status == "done" and done.agent_summary == "Fixed it"
    assert done.commits is not None and done.commits[0].sha == "abc123"

    review = loop.reviews.create(
        version_id=again.meta.version_id, issue_id=first.id, clarity=4, completeness=4, relevance=5
    )
    assert review.version_id == again.meta.version_id

    last = loop.dispatch.next()
    assert last is not None and last.issue.id == second.id
    assert loop.dispatch.next() is None


def test_signal_ingest_opens_an_issue(live_loop):
    loop = live_loop.client()
    result = loop.signals.ingest(
        source="ci", type="error", severity="critical", payload={"message": "build red"}
    )
    assert result.signal.issue_id == result.issue.id
    assert result.issue.type == "signal" and result.issue.priority == 1
    assert "build red" in result.issue.title


def test_templates_versions_promotion_reviews_and_preview(live_loop):
    loop = live_loop.client()
    slugs = {t.slug for t in loop.templates.iter()}
    assert {"signal-triage", "task-execution", "monitor-check"} <= slugs

    template = loop.templates.create(
        slug="urgent-task", name="Urgent task", conditions={"type": "task"}, specificity=50
    )
    first = loop.templates.create_version(
        template.id, content="Do {{ issue.title }} now", author_name="tests"
    )
    assert first.status == "active"
    second = loop.templates.create_version(
        template.id,
        content="Do #{{ issue.number }} {{ issue.title }} now",
        author_name="tests",
        changelog="number",
    )
    assert second.status == "draft"
    promoted = loop.templates.promote(template.id, second.id)
    assert promoted.status == "active"
    assert loop.templates.get(template.id).active_version.id == second.id
    assert [v.version for v in loop.templates.iter_versions(template.id)] and {
        v.id for v in loop.templates.versions(template.id).data
    } == {first.id, second.id}
    with pytest.raises(UnprocessableError):
        loop.templates.promote(template.id, second.id)

    issue = loop.issues.create(title="Rotate keys", type="task", status="todo")
    preview = loop.templates.preview(issue.id)
    assert preview.template is not None and preview.template.slug == "urgent-task"
    assert preview.prompt == f"Do #{issue.number} Rotate keys now"

    loop.reviews.create(
        version_id=second.id,
        issue_id=issue.id,
        clarity=5,
        completeness=4,
        relevance=3,
        feedback="ok",
    )
    reviews = loop.templates.reviews(template.id)
    assert reviews.total == 1 and reviews.data[0].feedback == "ok"
    loop.templates.update(template.id, specificity=60)
    assert loop.templates.get(template.id).specificity == 60


def test_dashboard_and_service_endpoints(live_loop):
    loop = live_loop.client()
    loop.signals.ingest(source="ci", type="error", severity="high", payload={"message": "flaky"})
    stats = loop.dashboard.stats()
    assert stats.issues.total >= 1 and stats.issues.by_type.get("signal", 0) >= 1
    chains = loop.dashboard.activity(limit=5)
    assert chains and chains[0].root.type == "signal"
    health = loop.dashboard.prompts()
    assert {h.template.slug for h in health} >= {"signal-triage"}
    assert loop.health().ok is True
    assert loop.info().name == "Loop API"


def test_errors_map_to_exceptions(live_loop):
    with pytest.raises(AuthenticationError):
        live_loop.client(key="loop_deadbeef_wrong").issues.list()
    read_only = live_loop.client(key=live_loop.new_key(scopes=["read"], name="reader"))
    assert read_only.issues.list().total == 0
    with pytest.raises(PermissionDeniedError):
        read_only.issues.create(title="nope")
    loop = live_loop.client()
    loop.labels.create(name="dup", color="#000000")
    with pytest.raises(ConflictError):
        loop.labels.create(name="dup", color="#000000")
    with pytest.raises(NotFoundError):
        loop.goals.get("missing")
    with pytest.raises(UnprocessableError) as info:
        loop.issues.create(title="orphan", parent_id="missing")
    assert "parentId" in info.value.field_errors
