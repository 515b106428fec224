"""Prompt templates in the console: versions with usage and score, the diff, promotion, drafts
and the agents' feedback."""
from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.urls import reverse

from templates_app.admin.diff import side_by_side
from templates_app.models import PromptTemplate, PromptVersion

TEMPLATE_PAGE_QUERY_BOUND = 12


def task_template() -> PromptTemplate:
    return PromptTemplate.objects.select_related("active_version").get(slug="task-execution")


def test_the_template_page_lists_versions_with_status_usage_score_and_reviews(admin_client, loop, django_assert_max_num_queries):
    template = task_template()
    with django_assert_max_num_queries(TEMPLATE_PAGE_QUERY_BOUND):
        response = admin_client.get(reverse("admin:templates_app_prompttemplate_change", args=[template.pk]))
    html = response.content.decode()
    active = template.active_version
    assert f"<b>v{active.version}</b>" in html and f"<b>v{active.version + 1}</b>" in html
    assert 'class="pill good">Active' in html and 'class="pill s-todo">Draft' in html
    assert f"{active.review_score:.2f}" in html
    assert "Fine, missing test steps." in html  # the reviews' feedback, readable
    assert "Diff vs active" in html and 'data-promote="v' in html


def test_the_diff_page_shows_the_draft_beside_the_active_version(admin_client, loop):
    template = task_template()
    draft = template.versions.get(status="draft")
    response = admin_client.get(reverse("admin:templates_app_prompttemplate_diff", args=[template.pk, draft.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<td class="new add">Run the tests.</td>' in html
    changed = sum(1 for row in side_by_side(template.active_version.content, draft.content) if row.kind == "insert")
    assert f"{changed} changed line" in html
    assert 'id="promote-button"' in html


def test_the_diff_can_compare_with_any_version(admin_client, loop):
    template = task_template()
    draft = template.versions.get(status="draft")
    url = reverse("admin:templates_app_prompttemplate_diff", args=[template.pk, template.active_version_id])
    html = admin_client.get(url, {"against": draft.pk}).content.decode()
    assert '<td class="old del">Run the tests.</td>' in html
    assert 'id="promote-button"' not in html  # the active version cannot be promoted


def test_a_version_of_another_template_is_not_found(admin_client, loop):
    other = PromptTemplate.objects.get(slug="signal-triage")
    draft = task_template().versions.get(status="draft")
    url = reverse("admin:templates_app_prompttemplate_diff", args=[other.pk, draft.pk])
    assert admin_client.get(url).status_code == 404


def test_promote_makes_the_draft_active_retires_the_old_one_and_logs_who(admin_client, loop, alice):
    template = task_template()
    previous = template.active_version
    draft = template.versions.get(status="draft")
    response = admin_client.post(reverse("admin:templates_app_prompttemplate_promote", args=[template.pk, draft.pk]))
    assert response.status_code == 302
    template.refresh_from_db()
    previous.refresh_from_db()
    draft.refresh_from_db()
    assert template.active_version_id == draft.pk and draft.status == "active" and previous.status == "retired"
    entry = LogEntry.objects.get(object_id=template.pk)
    assert entry.user == alice and f"v{draft.version}" in entry.get_change_message()


def test_promote_is_post_only_and_needs_change_permission(admin_client, viewer_client, loop):
    template = task_template()
    draft = template.versions.get(status="draft")
    url = reverse("admin:templates_app_prompttemplate_promote", args=[template.pk, draft.pk])
    assert admin_client.get(url).status_code == 405
    assert viewer_client.post(url).status_code in (403, 404)
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_promoting_the_active_version_is_refused_with_a_message(admin_client, loop):
    template = task_template()
    url = reverse("admin:templates_app_prompttemplate_promote", args=[template.pk, template.active_version_id])
    response = admin_client.post(url, follow=True)
    assert b"already active" in response.content


def test_the_promote_action_on_the_version_list(admin_client, loop):
    draft = task_template().versions.get(status="draft")
    admin_client.post(reverse("admin:templates_app_promptversion_changelist"), {
        "action": "promote_selected", "_selected_action": [draft.pk], "index": 0,
    })  # fmt: skip
    draft.refresh_from_db()
    assert draft.status == "active"


def test_a_new_draft_is_written_through_the_service_as_the_staff_member(admin_client, loop):
    template = task_template()
    add = reverse("admin:templates_app_promptversion_add")
    prefilled = admin_client.get(add, {"template": template.pk}).content.decode()
    assert "Work on" in prefilled or template.active_version.content.split("\n")[0][:20] in prefilled
    response = admin_client.post(add, {"template": template.pk, "content": "Do {{ issue.title }} well.",
                                       "changelog": "Shorter"})
    assert response.status_code == 302
    newest = template.versions.order_by("-version").first()
    assert (newest.status, newest.author_type, newest.author_name) == ("draft", "human", "alice")


def test_a_draft_with_broken_template_syntax_is_refused(admin_client, loop):
    template = task_template()
    count = template.versions.count()
    response = admin_client.post(reverse("admin:templates_app_promptversion_add"),
                                 {"template": template.pk, "content": "{{ issue.title ", "changelog": ""}, follow=True)
    assert b"Not saved" in response.content
    assert template.versions.count() == count


def test_versions_are_read_only_once_written(admin_client, loop):
    version = PromptVersion.objects.filter(status="active").first()
    url = reverse("admin:templates_app_promptversion_change", args=[version.pk])
    admin_client.post(url, {"template": version.template_id, "content": "changed", "changelog": ""})
    version.refresh_from_db()
    assert version.content != "changed"


def test_side_by_side_folds_unchanged_lines_and_pairs_changes():
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 10", "line ten") + "\nline 21"
    rows = side_by_side(old, new, context=2)
    kinds = [row.kind for row in rows]
    assert kinds[0] == "gap"
    changed = [row for row in rows if row.kind == "replace"]
    assert [(r.old_number, r.old, r.new_number, r.new) for r in changed] == [(10, "line 10", 10, "line ten")]
    assert rows[-1].kind == "insert" and rows[-1].new == "line 21" and rows[-1].old_number is None
    assert side_by_side("same", "same") == []
