"""The five seeded default templates: present, active, valid, rendered for their issue type, and
free of secrets."""
from __future__ import annotations

import pytest
from django.db import connection

from issues import services as issue_services
from issues.models import Issue
from templates_app.models import PromptTemplate
from templates_app.rendering import check_content, render_prompt
from templates_app.selection import select_template
from tests.factories import GoalFactory, IssueFactory, ProjectFactory

pytestmark = pytest.mark.django_db

DEFAULTS = {
    "signal": "signal-triage",
    "hypothesis": "hypothesis-planning",
    "plan": "plan-decomposition",
    "task": "task-execution",
    "monitor": "monitor-check",
}


def test_five_defaults_are_seeded_with_an_active_version_one():
    templates = {t.slug: t for t in PromptTemplate.objects.select_related("active_version")}
    for issue_type, slug in DEFAULTS.items():
        template = templates[slug]
        assert template.conditions == {"type": issue_type}
        assert template.specificity == 10 and template.project_id is None
        assert template.active_version.version == 1 and template.active_version.status == "active"
        assert check_content(template.active_version.content) == []


def _rich_issue(issue_type: str) -> Issue:
    project = ProjectFactory(name="Shop")
    GoalFactory(project=project, title="Checkout works", metric="checkout success", target_value=99.5,
                current_value=97.0, unit="%")
    parent = IssueFactory(type="signal", project=project, title="Sentry: TypeError in cart")
    IssueFactory(parent=parent, status="canceled", agent_summary="Tried a retry; did not help")
    issue = IssueFactory(
        type=issue_type, project=project, parent=parent, labels=[issue_services.get_or_create_label(name="checkout")],
        signal_source="sentry", signal_payload={"message": "TypeError: x is undefined", "count": 12},
        hypothesis={"statement": "Cart total is computed before prices load", "confidence": 0.6,
                    "evidence": ["stack trace in cart.js"], "validationCriteria": "Reproduce with slow API"},
        description="Seen since the last deploy.",
    )
    blocker = IssueFactory(title="Upgrade SDK")
    issue_services.add_relation(issue_id=issue.pk, related_issue_id=blocker.pk, type="blocked_by", actor="tests")
    Issue.objects.filter(pk=issue.pk).update(status="in_progress", claim_token="claim-123")
    return Issue.objects.get(pk=issue.pk)


@pytest.mark.parametrize("issue_type", list(DEFAULTS))
def test_default_renders_a_full_prompt_for_its_type(issue_type, settings):
    settings.LOOP_URL = "https://loop.example.com"
    settings.LOOP_API_KEY = "super-secret-key-value"
    issue = _rich_issue(issue_type)
    selection = select_template(issue)
    assert selection.template.slug == DEFAULTS[issue_type]
    result = render_prompt(version=selection.version, issue=issue)
    assert result.error is None, result.error
    prompt = result.prompt
    assert f"#{issue.number} {issue.title}" in prompt
    assert "https://loop.example.com/api/" in prompt
    assert '"claimToken": "claim-123"' in prompt
    assert "$LOOP_API_KEY" in prompt and "super-secret-key-value" not in prompt
    assert f'"versionId": "{selection.version.pk}"' in prompt  # review instructions
    assert "Checkout works" in prompt  # project and goal
    assert "Upgrade SDK" in prompt  # blocked by
    assert "{{" not in prompt and "{%" not in prompt


def test_default_prompts_render_for_a_bare_issue():
    for issue_type, slug in DEFAULTS.items():
        issue = Issue.objects.get(pk=IssueFactory(type=issue_type).pk)
        selection = select_template(issue)
        result = render_prompt(version=selection.version, issue=issue)
        assert result.error is None, (slug, result.error)
        assert "$CLAIM_TOKEN" in result.prompt


def test_signal_prompt_shows_the_payload_and_task_prompt_warns_about_failures():
    signal = _rich_issue("signal")
    prompt = render_prompt(version=select_template(signal).version, issue=signal).prompt
    assert '"message": "TypeError: x is undefined"' in prompt
    task = _rich_issue("task")
    prompt = render_prompt(version=select_template(task).version, issue=task).prompt
    assert "Tried a retry; did not help" in prompt
    assert "do not repeat an approach that already failed" in prompt


def test_select_and_render_a_default_prompt_in_a_handful_of_queries(django_assert_max_num_queries):
    issue = _rich_issue("task")
    # templates; labels; parent+project+goal; project's active goal; siblings; relations
    with django_assert_max_num_queries(6):
        selection = select_template(issue)
        render_prompt(version=selection.version, issue=issue)


def test_seed_migration_is_idempotent_and_reversible():
    from importlib import import_module

    from django.apps import apps as global_apps
    from django.db.migrations.executor import MigrationExecutor

    seed_module = import_module("templates_app.migrations.0003_seed_default_templates")
    state_apps = MigrationExecutor(connection).loader.project_state(
        ("templates_app", "0003_seed_default_templates")
    ).apps
    seed_module.seed(state_apps, None)  # run again: nothing new
    assert PromptTemplate.objects.filter(slug__in=DEFAULTS.values()).count() == 5
    seed_module.unseed(state_apps, None)
    assert not PromptTemplate.all_objects.filter(slug__in=DEFAULTS.values()).exists()
    seed_module.seed(state_apps, None)
    assert global_apps.get_model("templates_app", "PromptTemplate").objects.filter(
        slug__in=DEFAULTS.values()
    ).count() == 5
