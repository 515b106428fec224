"""The dispatch queue page: the eligible queue in exact dispatch order with score breakdowns,
what agents hold, and what is blocked by what."""
from __future__ import annotations

import re

from django.urls import reverse

from dispatch.selectors import dispatch_queue
from dispatch.services import claim_next_issue
from tests.factories import IssueFactory

URL = reverse("admin:dispatch_queue")
QUEUE_QUERY_BOUND = 14


def queue_numbers(html: str) -> list[int]:
    section = html[html.index('id="next-up"'): html.index('id="claimed"')]
    return [int(n) for n in re.findall(r"<b>#(\d+)</b>", section)]


def test_the_queue_is_listed_in_dispatch_order(admin_client, loop):
    html = admin_client.get(URL).content.decode()
    expected = [entry.issue.number for entry in dispatch_queue(limit=50).entries]
    assert expected and queue_numbers(html) == expected


def test_the_first_entry_is_what_the_next_claim_takes(admin_client, loop):
    first = queue_numbers(admin_client.get(URL).content.decode())[0]
    assert claim_next_issue(agent_name="checker").issue.number == first


def test_each_entry_shows_its_score_breakdown(admin_client, db):
    issue = IssueFactory(priority=2, type="signal")  # 75 + 50, no goal, age 0
    html = admin_client.get(URL).content.decode()
    row = html[html.index(f'id="issue-{issue.pk}"'):]
    row = row[: row.index("</tr>")]
    assert '<span class="score-total">125</span>' in row
    assert "75 + 50 + 0 + 0" in row


def test_claimed_issues_show_their_agent_lease_and_a_release_button(admin_client, loop):
    html = admin_client.get(URL).content.decode()
    section = html[html.index('id="claimed"'): html.index('id="blocked"')]
    assert "worker-a" in section and "worker-b" in section
    assert "expired" in section  # the stale one
    assert section.count('value="release_claims"') == 2


def test_blocked_issues_show_what_blocks_them(admin_client, loop):
    html = admin_client.get(URL).content.decode()
    section = html[html.index('id="blocked"'):]
    assert f"#{loop.blocked.number}</b>" in section
    assert f"#{loop.blocker.number} " in section


def test_the_project_filter_limits_the_queue(admin_client, loop):
    html = admin_client.get(URL, {"project": loop.other_project.pk}).content.decode()
    expected = [e.issue.number for e in dispatch_queue(project_id=loop.other_project.pk, limit=50).entries]
    assert queue_numbers(html) == expected
    assert len(expected) < len(dispatch_queue(limit=50).entries)


def test_an_unknown_project_or_page_falls_back_to_the_whole_queue(admin_client, loop):
    response = admin_client.get(URL, {"project": "nope", "page": "x"})
    assert response.status_code == 200
    assert queue_numbers(response.content.decode()) == [e.issue.number for e in dispatch_queue(limit=50).entries]


def test_the_page_stays_within_its_query_bound(admin_client, loop, django_assert_max_num_queries):
    for _ in range(30):
        IssueFactory(project=loop.project, labels=loop.labels)
    with django_assert_max_num_queries(QUEUE_QUERY_BOUND):
        assert admin_client.get(URL).status_code == 200


def test_the_queue_is_staff_only(client, outsider, db):
    assert client.get(URL).status_code == 302
    client.force_login(outsider)
    assert client.get(URL).status_code == 403


def test_releasing_from_the_queue_returns_to_the_queue(admin_client, loop):
    response = admin_client.post(reverse("admin:issues_issue_changelist"), {
        "action": "release_claims", "_selected_action": [loop.stale.pk], "index": 0, "next": URL,
    })  # fmt: skip
    assert response["Location"] == URL
    loop.stale.refresh_from_db()
    assert loop.stale.status == "todo"


def test_an_estimated_total_is_marked_as_such(admin_client, db, monkeypatch):
    from dispatch.selectors import QueuePage

    monkeypatch.setattr(
        "loop_project.console.selectors.dispatch_queue",
        lambda **kwargs: QueuePage(entries=[], total=812345, total_exact=False),
    )
    assert "<b>~812345</b> ready to dispatch" in admin_client.get(URL).content.decode()
