"""End-to-end: a staff member runs the loop from a real browser (Debian's Chromium driven by
Playwright) against a live server with the demo loop: log in, read the dashboard, filter issues,
run bulk actions, override from the issue page, check the queue, promote a template version.

Each step saves a screenshot under test-artifacts/console/ (git-ignored; docs/console.md uses
copies of them). Skipped when /usr/bin/chromium is missing (``.ci/run`` installs it).
"""
from __future__ import annotations

import importlib
import io
import os
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import expect, sync_playwright

from issues.models import Comment, Issue, IssueEvent
from templates_app.models import PromptTemplate

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
PASSWORD = "browser-pass-123"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip

pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
    # The live server reads what the test writes, so no wrapping transaction: each test's data is
    # flushed afterwards, the migrations' data (the default templates) with it.
    pytest.mark.django_db(transaction=True),
]


def seed_default_templates() -> None:
    """The default templates, as their data migration writes them (idempotent)."""
    migration = importlib.import_module("templates_app.migrations.0003_seed_default_templates")
    migration.seed(apps, None)


@pytest.fixture(scope="module")
def browser(django_db_blocker):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still plain synchronous code, so Django's async-safety guard must step aside here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
        # While Playwright's loop runs, Django keeps connections in context-local storage: close
        # those too, so the test database can be dropped at the end of the session.
        connections.close_all()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
    # The last test's flush took the default templates; later tests may expect them.
    with django_db_blocker.unblock():
        seed_default_templates()


@pytest.fixture
def demo(db):
    seed_default_templates()  # a previous transactional test may have flushed them
    call_command("seed_demo", stdout=io.StringIO())
    return User.objects.create_superuser("admin", "admin@example.com", PASSWORD)


@pytest.fixture
def page(browser, live_server, demo):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert page.url == f"{live_server.url}/admin/"
    yield page
    context.close()


def shot(page, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def test_log_in_and_read_the_dashboard(browser, live_server, demo):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.goto("/admin/")
    assert "/admin/login/" in page.url  # staff only
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    shot(page, "01-login", full_page=False)
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert page.url == f"{live_server.url}/admin/"

    assert page.locator("h1").inner_text() == "The loop at a glance"
    expect(page.locator("svg.loop-chart")).to_have_count(4)
    stale = page.locator("a.kpi", has_text="stale claims").locator(".kpi-value").inner_text()
    assert stale == "1"
    assert page.get_by_text("needs attention").count() >= 1
    shot(page, "02-dashboard")
    context.close()


def test_filter_issues_and_run_bulk_actions(page):
    with page.expect_navigation():
        page.click("nav.loop-nav >> text=Issues")
    expect(page.locator("#result_list tbody tr")).to_have_count(Issue.objects.count())
    shot(page, "03-issues")
    with page.expect_navigation():
        page.click("#changelist-filter >> text=Triage")
    triage = list(Issue.objects.filter(status="triage").order_by("-number"))
    assert len(triage) == 2
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    shot(page, "04-issues-triage")

    # Accept both into the queue with a bulk action.
    page.check("#action-toggle")
    page.select_option("select[name=action]", "move_to_todo")
    with page.expect_navigation():
        page.click("button[name=index]")
    page.wait_for_selector(".messagelist .success")
    assert "Moved to todo" in page.locator(".messagelist").inner_text()
    shot(page, "05-bulk-action-done", full_page=False)
    for issue in triage:
        issue.refresh_from_db()
        assert issue.status == "todo"
        assert IssueEvent.objects.filter(issue=issue, actor="user:admin", changes__status=["triage", "todo"]).exists()

    # Cancel one with a reason: the action asks first.
    page.goto("/admin/issues/issue/?status__exact=todo")
    victim = triage[0]
    page.check(f"input[name=_selected_action][value='{victim.pk}']")
    page.select_option("select[name=action]", "cancel_with_reason")
    with page.expect_navigation():
        page.click("button[name=index]")
    page.fill("textarea[name=reason]", "Out of scope for this quarter")
    shot(page, "06-cancel-with-reason", full_page=False)
    with page.expect_navigation():
        page.click("input[type=submit][value='Cancel these issues']")
    page.wait_for_selector(".messagelist .success")
    victim.refresh_from_db()
    assert victim.status == "canceled"
    assert Comment.objects.filter(issue=victim, author_name="admin", body__contains="Out of scope").exists()


def test_override_from_the_issue_page(page):
    claimed = Issue.objects.get(status="in_progress", title="Cache address lookups at the edge")
    page.goto(f"/admin/issues/issue/{claimed.pk}/change/")
    assert "claude-worker-2" in page.locator(".issue-side").inner_text()
    assert page.locator(".comment").count() == 2
    shot(page, "07-issue-page")

    page.fill("textarea[name=body]", "Ship it with the 1 h TTL, then release the claim.")
    with page.expect_navigation():
        page.click("text=Reply as admin")
    page.wait_for_selector(".messagelist .success")
    expect(page.locator(".comment.a-human")).to_have_count(2)

    with page.expect_navigation():
        page.click("button[data-action=release_claims]")
    page.wait_for_selector(".messagelist .success")
    claimed.refresh_from_db()
    assert claimed.status == "todo" and claimed.claim_token is None
    assert IssueEvent.objects.filter(issue=claimed, kind="released", actor="user:admin").exists()
    shot(page, "08-issue-after-release", full_page=False)


def test_the_queue_page_shows_order_scores_and_blockers(page):
    with page.expect_navigation():
        page.click("nav.loop-nav >> text=Queue")
    first_row = page.locator("#next-up tbody tr").first
    assert first_row.locator(".score-total").inner_text().isdigit()
    expect(page.locator("#blocked tbody tr")).to_have_count(2)
    assert "expired" in page.locator("#claimed").inner_text()
    shot(page, "09-queue")


def test_compare_and_promote_a_template_version(page):
    template = PromptTemplate.objects.get(slug="task-execution")
    draft = template.versions.get(status="draft")
    with page.expect_navigation():
        page.click("nav.loop-nav >> text=Templates")
    with page.expect_navigation():
        page.click("text=task-execution")
    shot(page, "10-template")
    with page.expect_navigation():
        page.click("text=Diff vs active")
    page.wait_for_selector("table.diff-table")
    assert page.locator("td.new.add").count() >= 3
    shot(page, "11-template-diff")

    with page.expect_navigation():
        page.click("#promote-button")
    page.wait_for_selector(".messagelist .success")
    assert f"Promoted task-execution v{draft.version}" in page.locator(".messagelist").inner_text()
    template.refresh_from_db()
    assert template.active_version_id == draft.pk
    shot(page, "12-template-promoted", full_page=False)
