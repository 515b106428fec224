"""Console fixtures: staff users (all permissions, view-only, none), logged-in clients, and a
realistic loop (30 issues with labels, relations, comments, claims, signals and reviewed
templates) for the query-bound tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from dispatch.services import claim_next_issue, reclaim_throttle
from issues import services as issue_services
from issues.models import Issue, IssueRelation, Label, Project
from signals_app.services import ingest_signal
from templates_app import services as template_services
from templates_app.models import PromptTemplate
from tests.factories import GoalFactory, IssueFactory, LabelFactory, ProjectFactory

PASSWORD = "console-pass-123"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Staff users are created in most tests here; a slow hasher would dominate their time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_reclaim_throttle():
    """Claims in these tests run the opportunistic reclaim predictably (dispatch's throttle)."""
    reclaim_throttle.reset()
    yield
    reclaim_throttle.reset()


@pytest.fixture
def alice(db) -> User:
    """A superuser: the operator who runs the loop."""
    return User.objects.create_superuser("alice", "alice@example.com", PASSWORD)


@pytest.fixture
def viewer(db) -> User:
    """Staff who may look at issues but change nothing."""
    user = User.objects.create_user("victor", "victor@example.com", PASSWORD, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_issue", "view_prompttemplate"]))
    return user


@pytest.fixture
def outsider(db) -> User:
    """Staff without any permission."""
    return User.objects.create_user("olga", "olga@example.com", PASSWORD, is_staff=True)


@pytest.fixture
def admin_client(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def viewer_client(viewer) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


@dataclass
class Loop:
    project: Project
    other_project: Project
    labels: list[Label]
    issues: list[Issue]
    blocked: Issue
    blocker: Issue
    claimed: Issue
    stale: Issue


@pytest.fixture
def loop(db) -> Loop:
    """A busy loop: 30 issues across statuses, types and two projects, every issue labelled,
    blocking chains, comments, two claims (one stale), signals from three sources and reviews."""
    project = ProjectFactory(name="Checkout")
    GoalFactory(project=project, title="Conversion 3.2%")
    other = ProjectFactory(name="Platform")
    labels = [LabelFactory(name=name) for name in ("bug", "performance", "frontend")]

    claimed = IssueFactory(title="Claimed work", project=project, priority=1, labels=labels[:2])
    assert claim_next_issue(agent_name="worker-a").issue.pk == claimed.pk
    stale = IssueFactory(title="Stale claim", project=other, priority=1, labels=labels[1:])
    assert claim_next_issue(agent_name="worker-b").issue.pk == stale.pk
    Issue.objects.filter(pk=stale.pk).update(lease_expires_at=timezone.now() - timedelta(minutes=5))

    statuses = ["todo", "todo", "backlog", "triage", "done", "canceled"]
    types = ["task", "signal", "plan", "hypothesis", "monitor"]
    issues = [claimed, stale]
    for n in range(24):
        issues.append(IssueFactory(
            title=f"Issue {n}", status=statuses[n % len(statuses)], type=types[n % len(types)],
            priority=n % 5, project=project if n % 2 else other, labels=[labels[n % 3]],
            description=f"Description {n}",
        ))  # fmt: skip
    parent = issues[5]
    for n in range(2):
        issues.append(IssueFactory(title=f"Child {n}", parent=parent, labels=[labels[0]]))
    for source, severity in (("sentry", "high"), ("github", "medium")):
        issues.append(ingest_signal(
            source=source, type="error", severity=severity, payload={"message": f"{source} boom"},
            project_id=project.pk, actor=f"webhook:{source}",
        ).issue)  # fmt: skip
    blocker, blocked = issues[3], issues[4]
    issue_services.update_issue(issue_id=blocker.pk, actor="system", changes={"status": "todo"})
    issue_services.update_issue(issue_id=blocked.pk, actor="system", changes={"status": "todo"})
    issue_services.add_relation(issue_id=blocked.pk, related_issue_id=blocker.pk,
                                type=IssueRelation.Type.BLOCKED_BY, actor="system")
    for n in range(6, 12):
        issue_services.add_relation(issue_id=issues[n].pk, related_issue_id=issues[n + 6].pk,
                                    type=IssueRelation.Type.RELATED, actor="system")
        issue_services.add_comment(issue_id=issues[n].pk, body="Question?", author_name="worker-a",
                                   author_type="agent")  # fmt: skip

    template = PromptTemplate.objects.get(slug="task-execution")
    draft = template_services.create_version(
        template_id=template.pk, content=template.active_version.content + "\nRun the tests.",
        author_type="agent", author_name="worker-a", changelog="Say how to test",
    )
    for issue in issues[:3]:
        template_services.record_review(
            version_id=template.active_version_id, issue_id=issue.pk, clarity=4, completeness=3,
            relevance=5, author_type="agent", feedback="Fine, missing test steps.",
        )  # fmt: skip
    assert draft.status == "draft"
    refreshed = [Issue.objects.get(pk=issue.pk) for issue in issues]
    return Loop(project, other, labels, refreshed, Issue.objects.get(pk=blocked.pk),
                Issue.objects.get(pk=blocker.pk), Issue.objects.get(pk=claimed.pk),
                Issue.objects.get(pk=stale.pk))  # fmt: skip
