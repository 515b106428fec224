"""Each SDK resource sends the request the API expects and returns typed objects."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from loop_client import UNSET, ClaimLostError, DispatchClaim
from loop_client.sdk.models import Hypothesis

from tests.client.fakes import FakeApi, claim, error, issue, reply

LABEL = {
    "id": "lab_1",
    "name": "frontend",
    "color": "#ff0000",
    "createdAt": "2026-02-20T12:00:00Z",
    "deletedAt": None,
}
PROJECT = {
    "id": "prj_1",
    "name": "Auth",
    "description": None,
    "status": "active",
    "health": "on_track",
    "goalId": None,
    "createdAt": "2026-02-20T12:00:00Z",
    "updatedAt": "2026-02-20T12:00:00Z",
    "deletedAt": None,
}
GOAL = {
    "id": "goal_1",
    "title": "Fewer failures",
    "description": None,
    "metric": "failure_rate",
    "targetValue": 0.05,
    "currentValue": 0.2,
    "unit": "ratio",
    "status": "active",
    "projectId": "prj_1",
    "createdAt": "2026-02-20T12:00:00Z",
    "updatedAt": "2026-02-20T12:00:00Z",
    "deletedAt": None,
}
TEMPLATE = {
    "id": "tpl_1",
    "slug": "signal-triage",
    "name": "Signal triage",
    "description": None,
    "conditions": {"type": "signal"},
    "specificity": 10,
    "projectId": None,
    "activeVersionId": "ver_1",
    "createdAt": "2026-02-20T12:00:00Z",
    "updatedAt": "2026-02-20T12:00:00Z",
    "deletedAt": None,
}
VERSION = {
    "id": "ver_1",
    "templateId": "tpl_1",
    "version": 1,
    "content": "Triage {{ issue.title }}",
    "changelog": None,
    "authorType": "human",
    "authorName": "system",
    "status": "active",
    "usageCount": 3,
    "completionRate": None,
    "avgDurationMs": None,
    "reviewScore": 4.2,
    "createdAt": "2026-02-20T12:00:00Z",
}
REVIEW = {
    "id": "rev_1",
    "versionId": "ver_1",
    "issueId": "iss_1",
    "clarity": 4,
    "completeness": 5,
    "relevance": 3,
    "feedback": None,
    "authorType": "agent",
    "createdAt": "2026-02-20T12:00:00Z",
}


# --- issues ---


def test_issues_list_sends_filters_and_parses_page():
    api = FakeApi().on("GET", "/api/issues", reply(200, {"data": [issue()], "total": 7}))
    page = api.client().issues.list(
        status=["todo", "in_progress"],
        type="task",
        project_id="prj_1",
        label_id="lab_1",
        priority=2,
        parent_id="iss_0",
        limit=1,
        offset=3,
    )
    params = api.last().url.params
    assert params["status"] == "todo,in_progress"
    assert params["type"] == "task"
    assert (params["projectId"], params["labelId"], params["priority"], params["parentId"]) == (
        "prj_1",
        "lab_1",
        "2",
        "iss_0",
    )
    assert (params["limit"], params["offset"]) == ("1", "3")
    assert page.total == 7 and page.has_more
    assert page.data[0].priority_label == "high"
    assert page.data[0].created_at == datetime(2026, 2, 20, 12, tzinfo=UTC)


def test_issues_iter_walks_every_page_lazily():
    pages = {0: [issue(id="a", number=1), issue(id="b", number=2)], 2: [issue(id="c", number=3)]}

    def handler(request):
        offset = int(request.url.params["offset"])
        return reply(200, {"data": pages.get(offset, []), "total": 3})

    api = FakeApi().on("GET", "/api/issues", handler)
    seen_pages = []
    ids = [
        i.id
        for i in api.client().issues.iter(status="todo", page_size=2, on_page=seen_pages.append)
    ]
    assert ids == ["a", "b", "c"]
    assert [r.url.params["offset"] for r in api.requests] == ["0", "2"]
    assert all(r.url.params["status"] == "todo" for r in api.requests)
    assert len(seen_pages) == 2


def test_issues_iter_stops_on_empty_page_even_if_total_says_more():
    api = FakeApi().on("GET", "/api/issues", reply(200, {"data": [], "total": 10}))
    assert list(api.client().issues.iter()) == []
    assert len(api.requests) == 1


def test_issues_iter_respects_max_items():
    api = FakeApi().on(
        "GET",
        "/api/issues",
        reply(200, {"data": [issue(id=str(n)) for n in range(5)], "total": 50}),
    )
    assert len(list(api.client().issues.iter(max_items=3))) == 3
    assert len(api.requests) == 1


def test_issues_get_parses_detail_and_relations_both_ways():
    detail = issue(
        id="b",
        parent=issue(id="p", type="plan"),
        children=[],
        labels=[LABEL],
        relations=[
            {
                "id": "r1",
                "type": "blocked_by",
                "issueId": "b",
                "relatedIssueId": "a",
                "createdAt": "2026-02-20T12:00:00Z",
            },
            {
                "id": "r2",
                "type": "blocks",
                "issueId": "b",
                "relatedIssueId": "c",
                "createdAt": "2026-02-20T12:00:00Z",
            },
            {
                "id": "r3",
                "type": "blocks",
                "issueId": "z",
                "relatedIssueId": "b",
                "createdAt": "2026-02-20T12:00:00Z",
            },
        ],
        comments=[],
    )
    api = FakeApi().on("GET", "/api/issues/b", reply(200, {"data": detail}))
    got = api.client().issues.get("b")
    assert got.parent is not None and got.parent.id == "p"
    assert got.labels[0].name == "frontend"
    assert got.blocker_ids() == {"a", "z"}
    assert got.blocked_ids() == {"c"}
    # Keys the model does not declare survive a round trip.
    assert got.to_wire()["comments"] == []


def test_issues_create_sends_camel_case_and_only_what_was_given():
    api = FakeApi().on("POST", "/api/issues", reply(201, {"data": issue(type="hypothesis")}))
    api.client().issues.create(
        title="Expired JWT secret",
        type="hypothesis",
        parent_id="sig_1",
        label_ids=("lab_1",),
        hypothesis=Hypothesis(
            statement="JWT expired",
            confidence=0.8,
            evidence=["logs"],
            validation_criteria="no 401s",
        ),
    )
    assert api.last_json() == {
        "title": "Expired JWT secret",
        "type": "hypothesis",
        "parentId": "sig_1",
        "labelIds": ["lab_1"],
        "hypothesis": {
            "statement": "JWT expired",
            "confidence": 0.8,
            "evidence": ["logs"],
            "validationCriteria": "no 401s",
        },
    }


def test_issues_update_sends_null_to_clear_and_claim_token():
    api = FakeApi().on("PATCH", "/api/issues/iss_1", reply(200, {"data": issue(status="done")}))
    updated = api.client().issues.update(
        "iss_1",
        status="done",
        parent_id=None,
        agent_summary="Fixed",
        commits=[{"sha": "abc", "message": "fix"}],
        claim_token="tok",
    )
    assert api.last_json() == {
        "status": "done",
        "parentId": None,
        "agentSummary": "Fixed",
        "commits": [{"sha": "abc", "message": "fix"}],
        "claimToken": "tok",
    }
    assert updated.status == "done"


def test_issues_delete():
    api = FakeApi().on("DELETE", "/api/issues/iss_1", reply(204))
    assert api.client().issues.delete("iss_1") is None
    assert api.last().method == "DELETE"


# --- dispatch ---


def test_dispatch_next_returns_claim_with_token_and_lease():
    api = FakeApi().on("GET", "/api/dispatch/next", reply(200, claim()))
    got = api.client().dispatch.next(project_id="prj_1")
    assert isinstance(got, DispatchClaim)
    assert api.last().url.params["projectId"] == "prj_1"
    assert got.issue.id == "iss_1" and got.claim_token == "tok_1"
    assert got.meta is not None and got.meta.version_id == "ver_1"
    assert got.lease_expires_at == datetime(2026, 2, 20, 12, 30, tzinfo=UTC)
    assert "data" not in got.to_wire()


def test_dispatch_next_reads_a_claim_found_only_under_data():
    inner = claim()["data"]
    api = FakeApi().on("GET", "/api/dispatch/next", reply(200, {"data": inner}))
    got = api.client().dispatch.next()
    assert got is not None and got.prompt == "Triage signal #1"


def test_dispatch_next_without_template_has_no_prompt():
    api = FakeApi().on("GET", "/api/dispatch/next", reply(200, claim(prompt=None, meta=None)))
    got = api.client().dispatch.next()
    assert got is not None and got.prompt is None and got.meta is None


def test_dispatch_next_returns_none_on_204():
    api = FakeApi().on("GET", "/api/dispatch/next", reply(204))
    assert api.client().dispatch.next() is None
    assert "projectId" not in api.last().url.params


def test_dispatch_queue_parses_entries():
    entry = {
        "issue": issue(),
        "score": 148,
        "breakdown": {"priorityWeight": 75, "goalBonus": 20, "ageBonus": 3, "typeBonus": 50},
    }
    api = FakeApi().on("GET", "/api/dispatch/queue", reply(200, {"data": [entry], "total": 1}))
    page = api.client().dispatch.queue(limit=10)
    assert page.data[0].score == 148 and page.data[0].breakdown.goal_bonus == 20


def test_iterating_the_queue_goes_past_an_estimated_total():
    """Past 10,000 eligible issues the server estimates ``total`` (``totalExact: false``); the
    walk must end on a short page, not on the estimate."""
    def entry(n):
        return {"issue": issue(id=f"i{n}", number=n), "score": 1,
                "breakdown": {"priorityWeight": 1, "goalBonus": 0, "ageBonus": 0, "typeBonus": 0}}

    def handler(request):
        offset = int(request.url.params["offset"])
        data = [entry(n) for n in range(offset, min(offset + 2, 5))]
        return reply(200, {"data": data, "total": 3, "totalExact": False})

    api = FakeApi().on("GET", "/api/dispatch/queue", handler)
    assert [e.issue.id for e in api.client().dispatch.iter_queue(page_size=2)] == [
        "i0", "i1", "i2", "i3", "i4"]
    page = api.client().dispatch.queue(limit=2)
    assert page.total_exact is False and page.has_more
    assert page.to_wire()["totalExact"] is False


def test_dispatch_release_sends_token_and_reason():
    api = FakeApi().on(
        "POST", "/api/dispatch/iss_1/release", reply(200, {"data": issue(status="todo")})
    )
    released = api.client().dispatch.release("iss_1", claim_token="tok", reason="blocked on creds")
    assert api.last_json() == {"claimToken": "tok", "reason": "blocked on creds"}
    assert released.status == "todo"


def test_dispatch_release_with_stale_token_raises_claim_lost():
    api = FakeApi().on("POST", "/api/dispatch/iss_1/release", error(409, "Claim lost"))
    with pytest.raises(ClaimLostError):
        api.client().dispatch.release("iss_1", claim_token="old")


def test_dispatch_heartbeat_with_stale_token_raises_claim_lost():
    api = FakeApi().on("POST", "/api/dispatch/iss_1/heartbeat", error(409, "Claim lost"))
    with pytest.raises(ClaimLostError):
        api.client().dispatch.heartbeat("iss_1", claim_token="old")
    assert len(api.requests) == 1


def test_dispatch_complete_patches_status_summary_and_token():
    api = FakeApi().on(
        "PATCH",
        "/api/issues/iss_1",
        reply(200, {"data": issue(status="done", agentSummary="Fixed")}),
    )
    done = api.client().dispatch.complete(
        "iss_1", claim_token="tok", summary="Fixed", pull_requests=[{"number": 4, "title": "fix"}]
    )
    assert api.last_json() == {
        "status": "done",
        "agentSummary": "Fixed",
        "claimToken": "tok",
        "pullRequests": [{"number": 4, "title": "fix"}],
    }
    assert done.agent_summary == "Fixed"


# --- projects, goals, labels, signals, comments, relations ---


def test_projects_crud():
    api = (
        FakeApi()
        .on("GET", "/api/projects", reply(200, {"data": [PROJECT], "total": 1}))
        .on(
            "GET",
            "/api/projects/prj_1",
            reply(200, {"data": {**PROJECT, "goal": GOAL, "issueCounts": {"todo": 2}}}),
        )
        .on("POST", "/api/projects", reply(201, {"data": PROJECT}))
        .on("PATCH", "/api/projects/prj_1", reply(200, {"data": PROJECT}))
        .on("DELETE", "/api/projects/prj_1", reply(204))
    )
    client = api.client()
    assert client.projects.list().data[0].name == "Auth"
    detail = client.projects.get("prj_1")
    assert (
        detail.goal is not None
        and detail.goal.target_value == 0.05
        and detail.issue_counts == {"todo": 2}
    )
    client.projects.create(name="Auth", status="active")
    assert api.last_json() == {"name": "Auth", "status": "active"}
    client.projects.update("prj_1", goal_id=None)
    assert api.last_json() == {"goalId": None}
    client.projects.delete("prj_1")
    assert [p.id for p in client.projects.iter()] == ["prj_1"]


def test_goals_crud():
    api = (
        FakeApi()
        .on("GET", "/api/goals", reply(200, {"data": [GOAL], "total": 1}))
        .on("GET", "/api/goals/goal_1", reply(200, {"data": GOAL}))
        .on("POST", "/api/goals", reply(201, {"data": GOAL}))
        .on("PATCH", "/api/goals/goal_1", reply(200, {"data": {**GOAL, "status": "achieved"}}))
        .on("DELETE", "/api/goals/goal_1", reply(204))
    )
    client = api.client()
    assert client.goals.get("goal_1").current_value == 0.2
    client.goals.create(title="Fewer failures", target_value=0.05, project_id="prj_1")
    assert api.last_json() == {"title": "Fewer failures", "targetValue": 0.05, "projectId": "prj_1"}
    assert client.goals.update("goal_1", status="achieved", unit=None).status == "achieved"
    assert api.last_json() == {"status": "achieved", "unit": None}
    assert [g.id for g in client.goals.iter()] == ["goal_1"]
    client.goals.delete("goal_1")


def test_labels():
    api = (
        FakeApi()
        .on("GET", "/api/labels", reply(200, {"data": [LABEL], "total": 1}))
        .on("POST", "/api/labels", reply(201, {"data": LABEL}))
        .on("DELETE", "/api/labels/lab_1", reply(204))
    )
    client = api.client()
    assert client.labels.create(name="frontend", color="#ff0000").id == "lab_1"
    assert api.last_json() == {"name": "frontend", "color": "#ff0000"}
    assert [label.name for label in client.labels.iter()] == ["frontend"]
    client.labels.delete("lab_1")


def test_signals_ingest():
    signal = {
        "id": "sig_1",
        "source": "agent",
        "sourceId": None,
        "type": "error",
        "severity": "high",
        "payload": {"message": "boom"},
        "issueId": "iss_1",
        "createdAt": "2026-02-20T12:00:00Z",
    }
    api = FakeApi().on(
        "POST",
        "/api/signals",
        reply(201, {"data": {"signal": signal, "issue": issue(type="signal")}}),
    )
    result = api.client().signals.ingest(
        source="agent",
        type="error",
        severity="high",
        payload={"message": "boom"},
        project_id="prj_1",
    )
    assert api.last_json() == {
        "source": "agent",
        "type": "error",
        "severity": "high",
        "payload": {"message": "boom"},
        "projectId": "prj_1",
    }
    assert result.signal.issue_id == result.issue.id == "iss_1"


def test_comments_list_and_create():
    comment = {
        "id": "c1",
        "body": "Investigated",
        "issueId": "iss_1",
        "authorName": "agent-1",
        "authorType": "agent",
        "parentId": None,
        "createdAt": "2026-02-20T12:00:00Z",
    }
    api = (
        FakeApi()
        .on(
            "GET",
            "/api/issues/iss_1/comments",
            reply(200, {"data": [{**comment, "replies": [dict(comment, id="c2", parentId="c1")]}]}),
        )
        .on("POST", "/api/issues/iss_1/comments", reply(201, {"data": comment}))
    )
    client = api.client()
    comments = client.comments.list("iss_1")
    assert comments[0].replies[0].parent_id == "c1"
    client.comments.create("iss_1", body="Investigated", author_name="agent-1", parent_id="c0")
    assert api.last_json() == {
        "body": "Investigated",
        "authorName": "agent-1",
        "authorType": "agent",
        "parentId": "c0",
    }


def test_relations_create_and_delete():
    relation = {
        "id": "rel_1",
        "type": "blocked_by",
        "issueId": "b",
        "relatedIssueId": "a",
        "createdAt": "2026-02-20T12:00:00Z",
    }
    api = (
        FakeApi()
        .on("POST", "/api/issues/b/relations", reply(201, {"data": relation}))
        .on("DELETE", "/api/relations/rel_1", reply(204))
    )
    client = api.client()
    assert (
        client.relations.create("b", type="blocked_by", related_issue_id="a").related_issue_id
        == "a"
    )
    assert api.last_json() == {"type": "blocked_by", "relatedIssueId": "a"}
    client.relations.delete("rel_1")
    assert api.last().method == "DELETE"


# --- templates, reviews, dashboard ---


def test_templates_versions_promote_reviews():
    api = (
        FakeApi()
        .on("GET", "/api/templates", reply(200, {"data": [TEMPLATE], "total": 1}))
        .on(
            "GET",
            "/api/templates/tpl_1",
            reply(200, {"data": {**TEMPLATE, "activeVersion": VERSION}}),
        )
        .on("POST", "/api/templates", reply(201, {"data": TEMPLATE}))
        .on("PATCH", "/api/templates/tpl_1", reply(200, {"data": TEMPLATE}))
        .on("DELETE", "/api/templates/tpl_1", reply(204))
        .on("GET", "/api/templates/tpl_1/versions", reply(200, {"data": [VERSION], "total": 1}))
        .on(
            "POST",
            "/api/templates/tpl_1/versions",
            reply(201, {"data": {**VERSION, "id": "ver_2", "version": 2, "status": "draft"}}),
        )
        .on(
            "POST",
            "/api/templates/tpl_1/versions/ver_2/promote",
            reply(200, {"data": {**VERSION, "id": "ver_2", "status": "active"}}),
        )
        .on("GET", "/api/templates/tpl_1/reviews", reply(200, {"data": [REVIEW], "total": 1}))
    )
    client = api.client()
    assert client.templates.list().data[0].slug == "signal-triage"
    detail = client.templates.get("tpl_1")
    assert detail.active_version is not None and detail.active_version.review_score == 4.2
    client.templates.create(
        slug="signal-triage", name="Signal triage", conditions={"type": "signal"}, specificity=20
    )
    assert api.last_json() == {
        "slug": "signal-triage",
        "name": "Signal triage",
        "conditions": {"type": "signal"},
        "specificity": 20,
    }
    client.templates.update("tpl_1", project_id=None)
    assert api.last_json() == {"projectId": None}
    assert [v.version for v in client.templates.iter_versions("tpl_1")] == [1]
    draft = client.templates.create_version(
        "tpl_1", content="v2", author_name="dev", changelog="clearer"
    )
    assert api.last_json() == {
        "content": "v2",
        "authorName": "dev",
        "authorType": "human",
        "changelog": "clearer",
    }
    assert draft.status == "draft"
    assert client.templates.promote("tpl_1", "ver_2").status == "active"
    review = client.templates.reviews("tpl_1").data[0]
    assert review.composite == 4.0
    assert len(list(client.templates.iter_reviews("tpl_1"))) == 1
    client.templates.delete("tpl_1")


def test_template_preview_reads_top_level_or_data():
    preview = {
        "issue": {"id": "iss_1", "number": 1, "title": "t", "type": "task"},
        "template": {
            "id": "tpl_1",
            "slug": "task-execution",
            "name": "Task",
            "conditions": {},
            "specificity": 10,
        },
        "version": {"id": "ver_1", "version": 1},
        "prompt": "Do it",
    }
    api = FakeApi().on(
        "GET", "/api/templates/preview/iss_1", reply(200, {**preview, "data": preview})
    )
    got = api.client().templates.preview("iss_1")
    assert (
        got.template is not None and got.template.slug == "task-execution" and got.prompt == "Do it"
    )
    api.on(
        "GET",
        "/api/templates/preview/iss_1",
        reply(
            200,
            {
                "data": {
                    **preview,
                    "template": None,
                    "version": None,
                    "prompt": None,
                    "message": "No matching template",
                }
            },
        ),
    )
    got = api.client().templates.preview("iss_1")
    assert got.template is None and got.message == "No matching template"


def test_reviews_create():
    api = FakeApi().on("POST", "/api/prompt-reviews", reply(201, {"data": REVIEW}))
    api.client().reviews.create(
        version_id="ver_1", issue_id="iss_1", clarity=4, completeness=5, relevance=3
    )
    assert api.last_json() == {
        "versionId": "ver_1",
        "issueId": "iss_1",
        "clarity": 4,
        "completeness": 5,
        "relevance": 3,
        "authorType": "agent",
    }


def test_dashboard():
    stats = {
        "issues": {"total": 3, "byStatus": {"todo": 3}, "byType": {"task": 3}},
        "goals": {"total": 1, "active": 1, "achieved": 0},
        "dispatch": {"queueDepth": 3, "activeCount": 0, "completedLast24h": 5},
    }
    chain = {
        "root": issue(type="signal"),
        "children": [{"issue": issue(id="h"), "relations": []}],
        "latestActivity": "2026-02-20T12:00:00Z",
    }
    health = {
        "template": TEMPLATE,
        "activeVersion": VERSION,
        "recentVersions": [VERSION],
        "reviewSummary": {
            "totalReviews": 2,
            "avgClarity": 4.0,
            "avgCompleteness": 4.5,
            "avgRelevance": 3.5,
            "compositeScore": 4.0,
        },
        "needsAttention": False,
    }
    api = (
        FakeApi()
        .on("GET", "/api/dashboard/stats", reply(200, {"data": stats}))
        .on("GET", "/api/dashboard/activity", reply(200, {"data": [chain], "total": 1}))
        .on("GET", "/api/dashboard/prompts", reply(200, {"data": [health]}))
    )
    client = api.client()
    got = client.dashboard.stats()
    assert got.dispatch.completed_last24h == 5 and got.issues.by_status == {"todo": 3}
    assert got.to_wire()["dispatch"]["completedLast24h"] == 5
    assert client.dashboard.activity(limit=5)[0].children[0].issue.id == "h"
    assert api.last().url.params["limit"] == "5"
    assert client.dashboard.prompts()[0].review_summary.composite_score == 4.0


def test_health_and_info_are_public_endpoints():
    api = (
        FakeApi()
        .on(
            "GET",
            "/health",
            reply(200, {"ok": True, "service": "loop-api", "timestamp": "2026-02-20T12:00:00Z"}),
        )
        .on("GET", "/", reply(200, {"name": "Loop API", "version": "0.1.0"}))
    )
    client = api.client()
    assert client.health().ok is True
    assert client.info().name == "Loop API"


def test_unset_is_falsy_singleton():
    assert not UNSET and repr(UNSET) == "UNSET"


def test_issue_detail_reads_inverse_relations_and_comments():
    held_by_other = {
        "id": "r9",
        "type": "blocked_by",
        "issueId": "t",
        "relatedIssueId": "h",
        "createdAt": "2026-02-20T12:00:00Z",
    }
    comment = {
        "id": "c1",
        "body": "hi",
        "issueId": "h",
        "authorName": "a",
        "authorType": "agent",
        "parentId": None,
        "createdAt": "2026-02-20T12:00:00Z",
        "replies": [],
    }
    api = FakeApi().on(
        "GET",
        "/api/issues/h",
        reply(
            200,
            {
                "data": {
                    **issue(id="h"),
                    "relations": [],
                    "inverseRelations": [held_by_other],
                    "comments": [comment],
                }
            },
        ),
    )
    got = api.client().issues.get("h")
    assert got.blocked_ids() == {"t"} and got.blocker_ids() == set()
    assert got.has_comments and got.comments[0].body == "hi"
    api.on("GET", "/api/issues/h", reply(200, {"data": {**issue(id="h"), "relations": []}}))
    assert not api.client().issues.get("h").has_comments
