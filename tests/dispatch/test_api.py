"""The dispatch endpoints over HTTP: shapes, status codes, scopes, errors, query budget."""
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dispatch.services import reclaim_throttle
from issues import services as issue_services
from issues.models import Issue, IssueEvent
from tests.dispatch.helpers import make_active_template
from tests.factories import GoalFactory, IssueFactory, LabelFactory, ProjectFactory

pytestmark = pytest.mark.django_db

NEXT = "/api/dispatch/next"
QUEUE = "/api/dispatch/queue"


def heartbeat_url(issue_id: str) -> str:
    return f"/api/dispatch/{issue_id}/heartbeat"


def release_url(issue_id: str) -> str:
    return f"/api/dispatch/{issue_id}/release"


@pytest.fixture
def agent_client(make_client):
    return make_client(scopes=["read", "write", "dispatch"], name="worker-1")


# --- GET /api/dispatch/next ----------------------------------------------------------------------


def test_next_claims_and_answers_at_the_top_level_and_under_data(agent_client):
    template, version = make_active_template(content="Do #{{ issue.number }}")
    issue = IssueFactory(title="Fix the login", type="signal", priority=2)

    response = agent_client.get(NEXT)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"issue", "prompt", "meta", "claimToken", "leaseExpiresAt", "data"}
    top = {key: value for key, value in body.items() if key != "data"}
    assert body["data"] == top
    assert body["issue"] == {
        "id": issue.pk, "number": issue.number, "title": "Fix the login", "type": "signal",
        "priority": 2, "status": "in_progress",
    }
    assert body["prompt"] == f"Do #{issue.number}"
    assert body["meta"] == {
        "templateSlug": template.slug, "templateId": template.pk, "versionId": version.pk,
        "versionNumber": 1, "reviewUrl": "POST /api/prompt-reviews", "error": None,
    }
    issue.refresh_from_db()
    assert body["claimToken"] == issue.claim_token
    assert datetime.fromisoformat(body["leaseExpiresAt"].replace("Z", "+00:00")) == issue.lease_expires_at
    assert issue.claimed_by == "worker-1" and issue.status == "in_progress"
    assert IssueEvent.objects.get(issue=issue, kind="claimed").actor == "agent:worker-1"


def test_next_answers_204_with_no_body_when_nothing_is_eligible(agent_client):
    IssueFactory(status="backlog")
    response = agent_client.get(NEXT)
    assert response.status_code == 204
    assert response.content == b""


def test_next_without_a_template_has_null_prompt_and_meta(agent_client, no_templates):
    IssueFactory()
    body = agent_client.get(NEXT).json()
    assert body["prompt"] is None and body["meta"] is None and body["claimToken"]


def test_next_with_a_broken_template_keeps_the_claim_and_reports_the_error(agent_client):
    make_active_template(content="{{ issue.title ")
    issue = IssueFactory()
    response = agent_client.get(NEXT)
    assert response.status_code == 200
    body = response.json()
    assert body["prompt"] is None and body["meta"]["error"]
    assert Issue.objects.get(pk=issue.pk).status == "in_progress"


def test_next_filters_by_project(agent_client):
    project = ProjectFactory()
    IssueFactory(priority=1)
    mine = IssueFactory(priority=4, project=project)
    response = agent_client.get(NEXT, {"projectId": project.pk})
    assert response.json()["issue"]["id"] == mine.pk
    assert agent_client.get(NEXT, {"projectId": project.pk}).status_code == 204


def test_next_needs_the_dispatch_scope(make_client, anon_client):
    IssueFactory()
    reader = make_client(scopes=["read", "write"], name="reader")
    assert reader.get(NEXT).status_code == 403
    assert anon_client.get(NEXT).status_code == 401
    assert anon_client.get(NEXT).json()["error"] == "Unauthorized"
    assert Issue.objects.get().status == "todo"


def test_next_rejects_an_oversized_project_id(agent_client):
    response = agent_client.get(NEXT, {"projectId": "x" * 65})
    assert response.status_code == 400
    assert "projectId" in response.json()["details"]["fieldErrors"]


def test_an_agent_loop_next_heartbeat_done_review_then_empty(agent_client):
    """The whole loop over HTTP: next → heartbeat → PATCH done with the token → review → 204."""
    _, version = make_active_template(content="Do #{{ issue.number }}")
    IssueFactory()
    claim = agent_client.get(NEXT).json()
    issue_id = claim["issue"]["id"]
    beat = agent_client.post(heartbeat_url(issue_id), {"claimToken": claim["claimToken"]})
    assert beat.status_code == 200
    done = agent_client.patch(
        f"/api/issues/{issue_id}",
        {"status": "done", "agentSummary": "fixed", "claimToken": claim["claimToken"]},
    )
    assert done.status_code == 200, done.content
    assert done.json()["data"]["status"] == "done"
    review = agent_client.post(
        "/api/prompt-reviews",
        {"versionId": claim["meta"]["versionId"], "issueId": issue_id, "clarity": 5,
         "completeness": 4, "relevance": 5, "authorType": "agent"},
    )
    assert review.status_code == 201, review.content
    assert version.pk == claim["meta"]["versionId"]
    assert agent_client.get(NEXT).status_code == 204


def test_patch_with_a_stale_claim_token_is_409_and_changes_nothing(agent_client):
    issue = IssueFactory()
    stale = agent_client.get(NEXT).json()["claimToken"]
    Issue.objects.filter(pk=issue.pk).update(lease_expires_at=timezone.now() - timedelta(minutes=1))
    reclaim_throttle.reset()
    fresh = agent_client.get(NEXT).json()  # the expired claim is reclaimed, then claimed anew
    assert fresh["issue"]["id"] == issue.pk and fresh["claimToken"] != stale

    response = agent_client.patch(
        f"/api/issues/{issue.pk}", {"status": "done", "agentSummary": "late", "claimToken": stale}
    )

    assert response.status_code == 409
    assert "claimToken" in response.json()["details"]["fieldErrors"]
    issue.refresh_from_db()
    assert issue.status == "in_progress" and issue.agent_summary is None
    assert issue.claim_token == fresh["claimToken"]


def rich_dispatch_setup() -> Issue:
    """An issue with every kind of hydration context, and a template whose conditions need the
    issue's labels."""
    project = ProjectFactory()
    GoalFactory(project=project)
    label = LabelFactory(name="backend")
    parent = IssueFactory(type="plan", project=project, status="backlog")
    issue = IssueFactory(
        type="task", priority=1, parent=parent, project=project, labels=[label],
        description="Make login fast",
    )
    IssueFactory(parent=parent, status="canceled", agent_summary="tried caching")
    blocker_done = IssueFactory(status="done")
    issue_services.add_relation(
        issue_id=issue.pk, related_issue_id=blocker_done.pk, type="blocked_by", actor="s"
    )
    IssueFactory(priority=1, type="task", parent=parent, project=project, labels=[label])  # for a second claim
    make_active_template(
        content=(
            "{{ issue.title }} in {{ project.name if project else '' }}; "
            "{% for l in labels %}{{ l.name }}{% endfor %}"
        ),
        conditions={"type": "task", "labels": ["backend"]},
        specificity=50,
    )
    return issue


# What the claim itself costs beyond PostgreSQL's single statement: SQLite reads its candidate
# first, writes the audit row separately, and its BEGIN IMMEDIATE / COMMIT show up as statements.
SQLITE_EXTRA_STATEMENTS = 4


@pytest.mark.django_db(transaction=True)
def test_a_dispatch_costs_at_most_ten_statements(make_client, django_assert_max_num_queries):
    """auth + claim + template selection + hydration + usage count, in steady state: the key's
    last-use stamp (written at most once a minute), the reclaim probe (at most once per 30 s per
    process) and the template catalog (read at most every LOOP_TEMPLATE_CACHE_SECONDS per process)
    were paid by the first dispatch."""
    rich_dispatch_setup()
    client = make_client(scopes=["dispatch"], name="budget")
    assert client.get(NEXT).status_code == 200
    budget = 10 + (SQLITE_EXTRA_STATEMENTS if connection.vendor == "sqlite" else 0)
    with django_assert_max_num_queries(budget):
        response = client.get(NEXT)
    assert response.status_code == 200
    assert response.json()["prompt"].startswith("Issue")


@pytest.mark.django_db(transaction=True)
def test_the_first_dispatch_pays_only_the_amortised_extras(make_client):
    """A fresh key's lookup (then remembered for LOOP_API_KEY_CACHE_SECONDS) and last-use stamp,
    the due reclaim probe and loading the template catalog (kept for LOOP_TEMPLATE_CACHE_SECONDS)
    add exactly four statements."""
    issue = rich_dispatch_setup()
    client = make_client(scopes=["dispatch"], name="budget")
    reclaim_throttle.reset()
    with CaptureQueriesContext(connection) as first:
        response = client.get(NEXT)
    assert response.json()["issue"]["id"] == issue.pk
    with CaptureQueriesContext(connection) as steady:
        assert client.get(NEXT).status_code == 200
    assert len(first) == len(steady) + 4


# --- GET /api/dispatch/queue ----------------------------------------------------------------------


def test_queue_lists_issues_with_scores_in_dispatch_order(make_client):
    client = make_client(scopes=["read"], name="viewer")
    project = ProjectFactory()
    GoalFactory(project=project)
    top = IssueFactory(priority=1, type="signal", project=project)
    second = IssueFactory(priority=2, type="task")
    Issue.objects.filter(pk=second.pk).update(created_at=timezone.now() - timedelta(days=2, hours=1))

    response = client.get(QUEUE)

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2
    first, other = body["data"]
    assert first["issue"]["id"] == top.pk
    assert first["issue"]["projectId"] == project.pk and "createdAt" in first["issue"]
    assert first["breakdown"] == {"priorityWeight": 100, "goalBonus": 20, "ageBonus": 0, "typeBonus": 50}
    assert first["score"] == 170
    assert other["issue"]["id"] == second.pk
    assert other["breakdown"]["ageBonus"] == 2
    assert Issue.objects.get(pk=top.pk).status == "todo"  # preview, not a claim


def test_queue_pages_and_filters(api_client):
    project = ProjectFactory()
    ids = [IssueFactory(priority=p, project=project).pk for p in (1, 2, 3)]
    IssueFactory()
    body = api_client.get(QUEUE, {"projectId": project.pk, "limit": 2, "offset": 1}).json()
    assert body["total"] == 3
    assert [entry["issue"]["id"] for entry in body["data"]] == ids[1:]


@pytest.mark.parametrize("params, field", [({"limit": 0}, "limit"), ({"limit": 201}, "limit"),
                                           ({"offset": -1}, "offset"), ({"limit": "x"}, "limit")])
def test_queue_rejects_bad_paging(api_client, params, field):
    response = api_client.get(QUEUE, params)
    assert response.status_code == 400
    assert field in response.json()["details"]["fieldErrors"]


def test_queue_needs_read_scope(make_client):
    assert make_client(scopes=["dispatch"], name="d").get(QUEUE).status_code == 403


# --- heartbeat and release ------------------------------------------------------------------------


def test_heartbeat_extends_the_lease(agent_client, settings):
    settings.LOOP_LEASE_SECONDS = 120
    IssueFactory()
    claim = agent_client.get(NEXT).json()
    issue_id = claim["issue"]["id"]
    Issue.objects.filter(pk=issue_id).update(lease_expires_at=timezone.now())

    response = agent_client.post(heartbeat_url(issue_id), {"claimToken": claim["claimToken"]})

    assert response.status_code == 200
    body = response.json()
    assert set(body["data"]) == {"issueId", "leaseExpiresAt"}
    assert body["data"]["issueId"] == issue_id
    expires = Issue.objects.get(pk=issue_id).lease_expires_at
    assert expires > timezone.now() + timedelta(seconds=100)
    assert datetime.fromisoformat(body["data"]["leaseExpiresAt"].replace("Z", "+00:00")) == expires


def test_heartbeat_errors(agent_client):
    IssueFactory()
    claim = agent_client.get(NEXT).json()
    issue_id = claim["issue"]["id"]
    missing = agent_client.post(heartbeat_url(issue_id), {})
    assert missing.status_code == 400
    assert "claimToken" in missing.json()["details"]["fieldErrors"]
    stale = agent_client.post(heartbeat_url(issue_id), {"claimToken": "stale"})
    assert stale.status_code == 409
    assert stale.json()["details"]["fieldErrors"] == {"claimToken": [stale.json()["error"]]}
    unknown = agent_client.post(heartbeat_url("nope"), {"claimToken": claim["claimToken"]})
    assert unknown.status_code == 404
    malformed = agent_client.post(
        heartbeat_url(issue_id), data="{not json", content_type="application/json"
    )
    assert malformed.status_code == 400
    assert malformed.json()["error"] == "Malformed JSON in request body"


def test_release_hands_the_issue_back(agent_client):
    IssueFactory()
    claim = agent_client.get(NEXT).json()
    issue_id = claim["issue"]["id"]

    response = agent_client.post(
        release_url(issue_id), {"claimToken": claim["claimToken"], "reason": "blocked on creds"}
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == issue_id and data["status"] == "todo"
    assert "createdAt" in data and "claimToken" not in data
    assert IssueEvent.objects.get(issue_id=issue_id, kind="released").note == "blocked on creds"
    assert agent_client.post(release_url(issue_id), {"claimToken": claim["claimToken"]}).status_code == 409
    assert agent_client.get(NEXT).json()["issue"]["id"] == issue_id


def test_release_errors(agent_client, make_client):
    IssueFactory()
    claim = agent_client.get(NEXT).json()
    issue_id = claim["issue"]["id"]
    assert agent_client.post(release_url(issue_id), {}).status_code == 400
    assert agent_client.post(release_url(issue_id), {"claimToken": "ünïcødé"}).status_code == 409
    assert agent_client.post(heartbeat_url(issue_id), {"claimToken": "ünïcødé"}).status_code == 409
    assert agent_client.post(release_url("nope"), {"claimToken": "t"}).status_code == 404
    reader = make_client(scopes=["read", "write"], name="reader")
    assert reader.post(release_url(issue_id), {"claimToken": claim["claimToken"]}).status_code == 403
    assert Issue.objects.get(pk=issue_id).status == "in_progress"


# --- schema ---------------------------------------------------------------------------------------


def test_the_schema_documents_the_dispatch_endpoints(anon_client):
    schema = anon_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert set(paths["/api/dispatch/next"]["get"]["responses"]) >= {"200", "204", "401", "403"}
    assert {"200", "400"} <= set(paths["/api/dispatch/queue"]["get"]["responses"])
    assert "409" in paths["/api/dispatch/{issue_id}/heartbeat"]["post"]["responses"]
    assert "409" in paths["/api/dispatch/{issue_id}/release"]["post"]["responses"]
    queue_params = {p["name"] for p in paths["/api/dispatch/queue"]["get"]["parameters"]}
    assert {"projectId", "limit", "offset"} <= queue_params
