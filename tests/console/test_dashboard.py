"""The dashboard (the admin index): counts, throughput, signals, loop health and prompt health,
drawn on the server, in a fixed number of queries."""
from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from issues.models import Issue
from loop_project.console.selectors import loop_dashboard
from signals_app.models import Signal
from tests.factories import IssueFactory, SignalFactory

URL = reverse("admin:index")
DASHBOARD_QUERY_BOUND = 16


def test_the_dashboard_counts_issues_by_status_and_type(loop):
    board = loop_dashboard()
    assert board.total == Issue.objects.count()
    for status in Issue.Status.values:
        assert board.by_status[status] == Issue.objects.filter(status=status).count()
    for type_ in Issue.Type.values:
        assert board.by_type[type_] == Issue.objects.filter(type=type_).count()
    assert board.health.eligible == Issue.objects.filter(status="todo", is_blocked=False).count()
    assert board.health.blocked_open == 1


def test_throughput_counts_issues_done_per_day(db):
    now = timezone.now()
    for days_ago, count in ((0, 2), (3, 1), (20, 5)):
        for _ in range(count):
            issue = IssueFactory(status="done")
            Issue.objects.filter(pk=issue.pk).update(completed_at=now - timedelta(days=days_ago))
    board = loop_dashboard(now=now)
    assert len(board.days) == len(board.done_per_day) == 14
    assert board.done_per_day[-1] == 2
    assert board.done_per_day[-4] == 1
    assert sum(board.done_per_day) == 3  # the 20-day-old ones are outside the window


def test_signals_per_day_are_split_by_source(db):
    now = timezone.now()
    for source, days_ago in (("sentry", 0), ("sentry", 0), ("github", 1), ("posthog", 30)):
        signal = SignalFactory(source=source)
        Signal.objects.filter(pk=signal.pk).update(created_at=now - timedelta(days=days_ago))
    board = loop_dashboard(now=now)
    assert board.signal_sources == ["sentry", "github"]
    assert board.signals_per_day["sentry"][-1] == 2
    assert board.signals_per_day["github"][-2] == 1


def test_loop_health_names_the_triage_backlog_and_stale_claims(loop):
    health = loop_dashboard().health
    assert health.triage_backlog == Issue.objects.filter(status="triage").count() > 0
    assert health.oldest_triage == Issue.objects.filter(status="triage").order_by("created_at").first()
    assert health.stale_claim_count == 1
    assert [s.issue.pk for s in health.stale_claims] == [loop.stale.pk]
    assert health.in_progress == 2


def test_prompt_health_flags_low_scores_and_counts_drafts(loop):
    prompts = loop_dashboard().prompts
    assert prompts.drafts == 1
    assert prompts.reviews_last_7_days == 3
    slugs = [row.template.slug for row in prompts.templates]
    assert "task-execution" in slugs


def test_the_page_renders_charts_and_health_within_its_query_bound(admin_client, loop, django_assert_max_num_queries):
    with django_assert_max_num_queries(DASHBOARD_QUERY_BOUND):
        response = admin_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="loop-chart"') == 4  # throughput, signals, by status, by type
    assert 'aria-label="Issues done per day, last 14 days"' in html
    assert "stale claim" in html and f"#{loop.stale.number}</a>" in html
    assert "awaiting triage" in html
    assert "task-execution" in html
    assert re.search(r'<span class="kpi-value">(\d+)</span><span class="kpi-label">ready to dispatch', html)


def test_no_chart_or_script_comes_from_a_cdn(admin_client, loop):
    html = admin_client.get(URL).content.decode()
    assert "cdn" not in html.lower()
    assert not re.search(r'<script[^>]+src="https?://', html)


def test_staff_without_issue_access_get_the_plain_app_list(client, outsider):
    client.force_login(outsider)
    response = client.get(URL)
    assert response.status_code == 200
    assert b"loop-chart" not in response.content
