"""The issue list: who may see it, what it shows, its filters and search, its query bound."""
from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from issues import services
from issues.models import Issue
from tests.factories import IssueFactory, LabelFactory, ProjectFactory

URL = reverse("admin:issues_issue_changelist")
LIST_QUERY_BOUND = 14


def numbers_on(response) -> list[int]:
    """Issue numbers in the result table, in display order."""
    return [int(n) for n in re.findall(r'<th class="field-number_col"><a href="[^"]+">#(\d+)</a>', response.content.decode())]


def test_anonymous_visitors_are_sent_to_the_login_page(client: Client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_non_staff_users_are_sent_to_the_login_page(client: Client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x")
    client.force_login(user)
    assert client.get(URL).status_code == 302


def test_staff_without_the_view_permission_are_refused(client: Client, outsider):
    client.force_login(outsider)
    assert client.get(URL).status_code == 403


def test_the_list_shows_number_title_type_status_priority_project_labels_age_and_blocked(admin_client, loop):
    response = admin_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    blocked = loop.blocked
    row = html[html.index(f">#{blocked.number}<"):]
    row = row[: row.index("</tr>")]
    assert blocked.title in row
    assert f'class="pill t-{blocked.type}"' in row
    assert 'class="pill s-todo"' in row
    assert f'class="prio p{blocked.priority}"' in row
    assert blocked.project.name in row
    assert f">{blocked.labels.get().name}</span>" in row
    assert 'class="pill blocked"' in row
    assert re.search(r'<td class="field-age_col"><span title="[^"]+">\d+[mhd]|now', row)


def test_a_stale_claim_is_flagged_in_the_status_column(admin_client, loop):
    html = admin_client.get(URL).content.decode()
    row = html[html.index(f">#{loop.stale.number}<"):]
    row = row[: row.index("</tr>")]
    assert 'class="claim stale"' in row and "worker-b" in row


def test_the_list_stays_within_its_query_bound(admin_client, loop, django_assert_max_num_queries):
    with django_assert_max_num_queries(LIST_QUERY_BOUND):
        response = admin_client.get(URL)
    assert response.status_code == 200
    assert len(numbers_on(response)) == Issue.objects.count() == 30


def test_the_query_count_does_not_grow_with_the_page(admin_client, db, django_assert_max_num_queries):
    labels = [LabelFactory() for _ in range(3)]
    for _ in range(50):
        IssueFactory(labels=labels, project=ProjectFactory())
    with django_assert_max_num_queries(LIST_QUERY_BOUND):
        assert admin_client.get(URL).status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status__exact=triage", lambda i: i.status == "triage"),
        ("type__exact=plan", lambda i: i.type == "plan"),
        ("priority__exact=1", lambda i: i.priority == 1),
        ("has_parent=yes", lambda i: i.parent_id is not None),
        ("has_parent=no", lambda i: i.parent_id is None),
        ("blocked=yes", lambda i: i.is_blocked),
        ("blocked=no", lambda i: not i.is_blocked),
        ("claim=stale", lambda i: i.status == "in_progress" and i.claimed_by == "worker-b"),
        ("claim=held", lambda i: i.status == "in_progress" and i.claimed_by == "worker-a"),
    ],
)
def test_each_filter_shows_exactly_the_matching_issues(admin_client, loop, query, expected):
    response = admin_client.get(f"{URL}?{query}")
    assert response.status_code == 200
    wanted = sorted(i.number for i in Issue.objects.all() if expected(i))
    assert wanted, "the fixture must have matching issues"
    assert sorted(numbers_on(response)) == wanted


def test_project_and_label_filters(admin_client, loop):
    by_project = numbers_on(admin_client.get(f"{URL}?project__id__exact={loop.other_project.pk}"))
    assert sorted(by_project) == sorted(Issue.objects.filter(project=loop.other_project).values_list("number", flat=True))
    label = loop.labels[2]
    by_label = numbers_on(admin_client.get(f"{URL}?labels__id__exact={label.pk}"))
    assert sorted(by_label) == sorted(label.issues.values_list("number", flat=True))


def test_deleted_issues_are_hidden_but_can_be_listed_for_restoring(admin_client, loop):
    gone = loop.issues[10]
    services.delete_issue(issue_id=gone.pk, actor="system")
    assert gone.number not in numbers_on(admin_client.get(URL))
    assert numbers_on(admin_client.get(f"{URL}?deleted=only")) == [gone.number]


@pytest.mark.parametrize("prefix", ["#", ""])
def test_search_by_number(admin_client, loop, prefix):
    issue = loop.issues[7]
    assert issue.number in numbers_on(admin_client.get(URL, {"q": f"{prefix}{issue.number}"}))


def test_search_by_title_and_description(admin_client, loop):
    assert numbers_on(admin_client.get(URL, {"q": "Stale claim"})) == [loop.stale.number]
    described = Issue.objects.get(description="Description 13")
    assert numbers_on(admin_client.get(URL, {"q": "Description 13"})) == [described.number]


def test_a_search_that_is_not_a_number_does_not_error(admin_client, loop):
    response = admin_client.get(URL, {"q": "#nope"})
    assert response.status_code == 200
    assert numbers_on(response) == []
