"""Template and version services: slugs, conditions, numbering, activation and promotion."""
from __future__ import annotations

import pytest

from loop_project.errors import Conflict, LoopError, NotFound, RuleViolation
from templates_app import services
from templates_app.models import PromptTemplate, PromptVersion
from templates_app.services import InvalidConditions
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def _template(**kwargs) -> PromptTemplate:
    return services.create_template(slug=kwargs.pop("slug", "my-template"), name="Mine", **kwargs)


def _version(template, content="Hi {{ issue.title }}", **kwargs) -> PromptVersion:
    return services.create_version(
        template_id=template.pk, content=content, author_type="agent", author_name="a", **kwargs
    )


def test_create_template_stores_fields_and_no_version():
    project = ProjectFactory()
    template = _template(conditions={"type": "task"}, specificity=40, project_id=project.pk,
                         description="d")
    template.refresh_from_db()
    assert (template.conditions, template.specificity, template.project_id) == ({"type": "task"}, 40, project.pk)
    assert template.active_version is None and not template.versions.exists()


def test_taken_slug_is_a_conflict_even_across_scopes():
    _template(slug="dup")
    with pytest.raises(Conflict):
        _template(slug="dup")
    with pytest.raises(Conflict):
        _template(slug="dup", project_id=ProjectFactory().pk)


def test_slug_of_deleted_template_can_be_reused():
    services.delete_template(template_id=_template(slug="again").pk)
    assert _template(slug="again").slug == "again"


@pytest.mark.parametrize("slug", ["Bad", "a--b", "-a", "a-", "a_b", ""])
def test_malformed_slug_is_refused(slug):
    with pytest.raises(LoopError) as excinfo:
        _template(slug=slug)
    assert excinfo.value.status_code == 400 and excinfo.value.field == "slug"


@pytest.mark.parametrize(("conditions", "field"), [
    ({"colour": "red"}, "conditions"),
    ({"type": "bug"}, "conditions.type"),
    ({"labels": "bug"}, "conditions.labels"),
    ({"labels": [1]}, "conditions.labels"),
    ({"hasFailedSessions": "yes"}, "conditions.hasFailedSessions"),
    ({"hypothesisConfidence": 1.5}, "conditions.hypothesisConfidence"),
    ({"hypothesisConfidence": True}, "conditions.hypothesisConfidence"),
    ({"signalSource": ""}, "conditions.signalSource"),
    ({"projectId": 3}, "conditions.projectId"),
    (["type"], "conditions"),
])
def test_invalid_conditions_are_a_400_naming_the_key(conditions, field):
    with pytest.raises(InvalidConditions) as excinfo:
        _template(conditions=conditions)
    assert excinfo.value.status_code == 400 and excinfo.value.field == field


def test_unknown_project_is_a_rule_violation():
    with pytest.raises(RuleViolation):
        _template(project_id="nope")


def test_update_template_replaces_conditions_and_can_unscope():
    project = ProjectFactory()
    template = _template(conditions={"type": "task", "labels": ["a"]}, project_id=project.pk)
    services.update_template(
        template_id=template.pk, changes={"conditions": {"type": "plan"}, "project_id": None, "name": "N"}
    )
    template.refresh_from_db()
    assert (template.conditions, template.project_id, template.name) == ({"type": "plan"}, None, "N")


def test_update_and_delete_unknown_template_is_not_found():
    with pytest.raises(NotFound):
        services.update_template(template_id="nope", changes={"name": "x"})
    with pytest.raises(NotFound):
        services.delete_template(template_id="nope")


def test_first_version_is_active_later_ones_are_drafts():
    template = _template()
    first, second, third = _version(template), _version(template), _version(template)
    assert [v.version for v in (first, second, third)] == [1, 2, 3]
    assert [v.status for v in (first, second, third)] == ["active", "draft", "draft"]
    template.refresh_from_db()
    assert template.active_version_id == first.pk


def test_version_numbers_continue_after_a_gap():
    template = _template()
    _version(template)
    PromptVersion.objects.create(template=template, version=7, content="x", author_name="a")
    assert _version(template).version == 8


@pytest.mark.parametrize(("content", "message"), [
    ("{{{ issue.title }}}", "Triple braces"),
    ("{% if issue.title %}", "syntax error"),
    ("{% include 'secrets' %}", "Unknown partial"),
    ("{{ loopToken }}", "Unknown variable(s): loopToken"),
])
def test_unusable_content_is_refused(content, message):
    template = _template()
    with pytest.raises(RuleViolation) as excinfo:
        _version(template, content=content)
    assert message in str(excinfo.value.detail) and excinfo.value.field == "content"
    assert not template.versions.exists()


def test_version_for_unknown_template_is_not_found():
    with pytest.raises(NotFound):
        services.create_version(template_id="nope", content="x", author_type="human", author_name="a")


def test_promote_activates_and_retires_previous_in_one_go():
    template = _template()
    first, second = _version(template), _version(template)
    promoted = services.promote_version(template_id=template.pk, version_id=second.pk)
    first.refresh_from_db()
    template.refresh_from_db()
    assert (promoted.status, first.status, template.active_version_id) == ("active", "retired", second.pk)
    # Rolling back to a retired version works the same way.
    services.promote_version(template_id=template.pk, version_id=first.pk)
    assert PromptVersion.objects.get(pk=second.pk).status == "retired"
    assert PromptVersion.objects.filter(template=template, status="active").get().pk == first.pk


def test_promoting_the_active_version_is_a_rule_violation():
    template = _template()
    first = _version(template)
    with pytest.raises(RuleViolation):
        services.promote_version(template_id=template.pk, version_id=first.pk)


def test_promoting_a_version_of_another_template_is_not_found():
    template, other = _template(slug="one"), _template(slug="two")
    _version(template)
    foreign = _version(other)
    with pytest.raises(NotFound):
        services.promote_version(template_id=template.pk, version_id=foreign.pk)
    foreign.refresh_from_db()
    assert foreign.status == "active"


def test_record_usage_increments_in_the_database():
    template = _template()
    version = _version(template)
    services.record_usage(version_id=version.pk)
    services.record_usage(version_id=version.pk)
    version.refresh_from_db()
    assert version.usage_count == 2


@pytest.mark.parametrize("specificity", [-1, 101, True, "5"])
def test_specificity_outside_0_to_100_is_refused(specificity):
    with pytest.raises(LoopError) as excinfo:
        _template(specificity=specificity)
    assert excinfo.value.field == "specificity"
    template = _template(slug="ok-template")
    with pytest.raises(LoopError):
        services.update_template(template_id=template.pk, changes={"specificity": specificity})
