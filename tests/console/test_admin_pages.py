"""Every list page of the console answers within a fixed query budget on a busy loop, and the
smaller consoles (signals, API keys, projects, labels, comments, the audit trail) behave."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import ApiKey
from accounts.services import hash_key
from issues import services
from issues.models import Comment, Goal, IssueEvent, Label, Project
from signals_app.models import Signal
from tests.factories import IssueFactory, LabelFactory, make_api_key

LIST_PAGES = [
    "admin:issues_issue_changelist",
    "admin:issues_project_changelist",
    "admin:issues_goal_changelist",
    "admin:issues_label_changelist",
    "admin:issues_issuerelation_changelist",
    "admin:issues_comment_changelist",
    "admin:issues_issueevent_changelist",
    "admin:signals_app_signal_changelist",
    "admin:templates_app_prompttemplate_changelist",
    "admin:templates_app_promptversion_changelist",
    "admin:templates_app_promptreview_changelist",
    "admin:accounts_apikey_changelist",
]
LIST_QUERY_BOUND = 14


@pytest.mark.parametrize("name", LIST_PAGES)
def test_every_list_page_stays_within_the_query_bound(admin_client, loop, name, django_assert_max_num_queries):
    for n in range(5):
        make_api_key(name=f"agent-{n}")
    with django_assert_max_num_queries(LIST_QUERY_BOUND):
        response = admin_client.get(reverse(name))
    assert response.status_code == 200


@pytest.mark.parametrize("name", LIST_PAGES)
def test_every_list_page_is_staff_only(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_the_audit_trail_names_labels_parents_and_priorities(admin_client, db):
    parent = IssueFactory(title="Parent")
    issue = IssueFactory(priority=3)
    label = LabelFactory(name="perf")
    services.update_issue(issue_id=issue.pk, actor="user:bob", changes={"priority": 1, "parent_id": parent.pk},
                          label_ids=[label.pk])
    html = admin_client.get(reverse("admin:issues_issueevent_changelist")).content.decode()
    assert "<b>labels</b> — → perf" in html
    assert "<b>priority</b> Medium → Urgent" in html
    assert f"<b>parent</b> — → #{parent.number}" in html
    assert "user:bob" in html


def test_the_audit_trail_cannot_be_changed(admin_client, loop):
    event = IssueEvent.objects.first()
    assert admin_client.post(reverse("admin:issues_issueevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert IssueEvent.objects.filter(pk=event.pk).exists()


def test_the_audit_trail_searches_by_issue_number(admin_client, loop):
    issue = loop.claimed
    response = admin_client.get(reverse("admin:issues_issueevent_changelist"), {"q": f"#{issue.number}"})
    assert {event.issue_id for event in response.context["cl"].result_list} == {issue.pk}


def test_signals_are_read_only_and_show_their_payload(admin_client, loop):
    signal = Signal.objects.first()
    html = admin_client.get(reverse("admin:signals_app_signal_change", args=[signal.pk])).content.decode()
    assert '<pre class="json">' in html and "boom" in html
    assert admin_client.get(reverse("admin:signals_app_signal_add")).status_code == 403


def test_issuing_an_api_key_shows_it_once_and_stores_only_the_hash(admin_client, alice, db):
    response = admin_client.post(reverse("admin:accounts_apikey_add"), {"name": "ci-bot", "scopes": ["read", "dispatch"]})
    assert response.status_code == 200
    plaintext = re.search(r'<pre class="json" id="new-api-key">(loop_[^<]+)</pre>', response.content.decode()).group(1)
    key = ApiKey.objects.get(name="ci-bot")
    assert key.hashed_key == hash_key(plaintext) and key.scopes == ["read", "dispatch"] and key.created_by == alice
    assert plaintext not in admin_client.get(reverse("admin:accounts_apikey_change", args=[key.pk])).content.decode()


def test_revoking_api_keys(admin_client, db):
    key, _ = make_api_key(name="old-agent")
    admin_client.post(reverse("admin:accounts_apikey_changelist"), {
        "action": "revoke", "_selected_action": [key.pk], "index": 0,
    })  # fmt: skip
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_projects_and_goals_are_written_through_the_services(admin_client, db):
    response = admin_client.post(reverse("admin:issues_project_add"), {
        "name": "Search", "status": "active", "health": "on_track", "goals-TOTAL_FORMS": 0,
        "goals-INITIAL_FORMS": 0,
    })  # fmt: skip
    assert response.status_code == 302
    project = Project.objects.get(name="Search")
    issue = IssueFactory(project=project)
    response = admin_client.post(reverse("admin:issues_goal_add"), {
        "title": "Find things", "status": "active", "project": project.pk,
    })  # fmt: skip
    assert response.status_code == 302
    assert Goal.objects.get(title="Find things").project == project
    rank_before = issue.dispatch_rank
    issue.refresh_from_db()
    assert issue.dispatch_rank < rank_before  # the goal bonus, applied by the service


def test_editing_a_template_goes_through_the_service(admin_client, loop):
    from templates_app.models import PromptTemplate

    template = PromptTemplate.objects.get(slug="monitor-check")
    versions = template.versions.count()
    response = admin_client.post(reverse("admin:templates_app_prompttemplate_change", args=[template.pk]), {
        "name": "Monitor check (strict)", "description": "", "conditions": '{"type": "monitor"}',
        "specificity": 20, "project": "", "versions-TOTAL_FORMS": versions, "versions-INITIAL_FORMS": versions,
        **{f"versions-{n}-id": v.pk for n, v in enumerate(template.versions.order_by("-version"))},
        **{f"versions-{n}-template": template.pk for n in range(versions)},
    })  # fmt: skip
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.name, template.specificity) == ("Monitor check (strict)", 20)


def test_invalid_template_conditions_are_refused_with_a_message(admin_client, loop):
    from templates_app.models import PromptTemplate

    template = PromptTemplate.objects.get(slug="monitor-check")
    versions = template.versions.count()
    response = admin_client.post(reverse("admin:templates_app_prompttemplate_change", args=[template.pk]), {
        "name": template.name, "description": "", "conditions": '{"colour": "blue"}', "specificity": 10,
        "project": "", "versions-TOTAL_FORMS": versions, "versions-INITIAL_FORMS": versions,
        **{f"versions-{n}-id": v.pk for n, v in enumerate(template.versions.order_by("-version"))},
        **{f"versions-{n}-template": template.pk for n in range(versions)},
    }, follow=True)  # fmt: skip
    assert b"Unknown condition key" in response.content
    template.refresh_from_db()
    assert template.conditions == {"type": "monitor"}


def test_labels_are_created_through_the_service_and_duplicates_refused(admin_client, db):
    add = reverse("admin:issues_label_add")
    assert admin_client.post(add, {"name": "ux", "color": "#aabbcc"}).status_code == 302
    response = admin_client.post(add, {"name": "ux", "color": "#aabbcc"})
    assert b"already exists" in response.content
    assert admin_client.post(add, {"name": "bad", "color": "red;background:url(x)"}).status_code == 200
    assert list(Label.objects.values_list("name", flat=True)) == ["ux"]


def test_comments_added_in_admin_are_always_the_staff_members_own(admin_client, db):
    issue = IssueFactory()
    admin_client.post(reverse("admin:issues_comment_add"), {"issue": issue.pk, "body": "Take the 1h TTL."})
    comment = Comment.objects.get()
    assert (comment.author_name, comment.author_type) == ("alice", "human")
