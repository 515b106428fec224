"""Template selection: every condition key, precedence, and what is never selected."""
from __future__ import annotations

import pytest

from issues import services as issue_services
from issues.models import Issue
from templates_app import services
from templates_app.context import forget_facts
from templates_app.models import PromptTemplate
from templates_app.selection import conditions_match, select_template
from tests.factories import IssueFactory, LabelFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _issue(spec: dict) -> Issue:
    """An issue described by a small spec: type, signal_source, labels, project, hypothesis,
    failed_sibling (a canceled sibling with an agentSummary) or ok_sibling."""
    labels = [LabelFactory(name=name) for name in spec.get("labels", [])]
    project = spec.get("project")
    parent = None
    if "failed_sibling" in spec or "ok_sibling" in spec or "canceled_sibling_no_summary" in spec:
        parent = IssueFactory(type="plan")
        if spec.get("failed_sibling"):
            IssueFactory(parent=parent, status="canceled", agent_summary="tried X, broke Y")
        if spec.get("ok_sibling"):
            IssueFactory(parent=parent, status="done", agent_summary="did it")
        if spec.get("canceled_sibling_no_summary"):
            IssueFactory(parent=parent, status="canceled")
    return IssueFactory(
        type=spec.get("type", "task"),
        signal_source=spec.get("signal_source"),
        labels=labels,
        project=project,
        parent=parent,
        hypothesis=spec.get("hypothesis"),
    )


CASES = [
    # (id, conditions, issue spec, matches)
    ("empty-matches-all", {}, {"type": "monitor"}, True),
    ("type-match", {"type": "signal"}, {"type": "signal"}, True),
    ("type-mismatch", {"type": "signal"}, {"type": "task"}, False),
    ("source-match", {"signalSource": "sentry"}, {"type": "signal", "signal_source": "sentry"}, True),
    ("source-mismatch", {"signalSource": "sentry"}, {"type": "signal", "signal_source": "github"}, False),
    ("source-missing", {"signalSource": "sentry"}, {"type": "signal"}, False),
    ("labels-all-present", {"labels": ["bug", "ui"]}, {"labels": ["bug", "ui", "p1"]}, True),
    ("labels-one-missing", {"labels": ["bug", "ui"]}, {"labels": ["bug"]}, False),
    ("labels-empty-list", {"labels": []}, {}, True),
    ("failed-true-match", {"hasFailedSessions": True}, {"failed_sibling": True}, True),
    ("failed-true-none", {"hasFailedSessions": True}, {"ok_sibling": True}, False),
    ("failed-needs-summary", {"hasFailedSessions": True}, {"canceled_sibling_no_summary": True}, False),
    ("failed-false-match", {"hasFailedSessions": False}, {"ok_sibling": True}, True),
    ("failed-false-no-parent", {"hasFailedSessions": False}, {}, True),
    ("failed-false-mismatch", {"hasFailedSessions": False}, {"failed_sibling": True}, False),
    ("confidence-above", {"hypothesisConfidence": 0.7},
     {"type": "hypothesis", "hypothesis": {"statement": "s", "confidence": 0.8}}, True),
    ("confidence-equal", {"hypothesisConfidence": 0.7},
     {"type": "hypothesis", "hypothesis": {"statement": "s", "confidence": 0.7}}, True),
    ("confidence-below", {"hypothesisConfidence": 0.7},
     {"type": "hypothesis", "hypothesis": {"statement": "s", "confidence": 0.5}}, False),
    ("confidence-unset", {"hypothesisConfidence": 0.1}, {"type": "hypothesis"}, False),
    ("confidence-not-number", {"hypothesisConfidence": 0.1},
     {"type": "hypothesis", "hypothesis": {"confidence": "high"}}, False),
    ("all-keys-match", {"type": "signal", "signalSource": "github", "labels": ["sec"]},
     {"type": "signal", "signal_source": "github", "labels": ["sec"]}, True),
    ("all-keys-one-fails", {"type": "signal", "signalSource": "github", "labels": ["sec"]},
     {"type": "signal", "signal_source": "github", "labels": ["other"]}, False),
]


@pytest.mark.parametrize(("conditions", "spec", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_condition_table(no_templates, make_template, conditions, spec, expected):
    issue = _issue(spec)
    template = make_template(conditions=conditions)
    assert conditions_match(conditions, issue) is expected
    selection = select_template(issue)
    assert (selection is not None and selection.template.pk == template.pk) is expected


def test_project_id_condition(no_templates, make_template):
    project, other = ProjectFactory(), ProjectFactory()
    template = make_template(conditions={"projectId": project.pk})
    assert select_template(IssueFactory(project=project)).template.pk == template.pk
    assert select_template(IssueFactory(project=other)) is None
    assert select_template(IssueFactory()) is None


def test_project_scoped_template_wins_over_higher_specificity(no_templates, make_template):
    project = ProjectFactory()
    make_template(slug="global-specific", conditions={"type": "task"}, specificity=90)
    scoped = make_template(slug="scoped", conditions={}, specificity=1, project=project)
    assert select_template(IssueFactory(project=project)).template.pk == scoped.pk


def test_conditions_project_id_counts_as_project_scoped(no_templates, make_template):
    project = ProjectFactory()
    make_template(slug="global-specific", specificity=90)
    scoped = make_template(slug="by-condition", conditions={"projectId": project.pk}, specificity=1)
    assert select_template(IssueFactory(project=project)).template.pk == scoped.pk


def test_higher_specificity_wins(no_templates, make_template):
    make_template(slug="broad", conditions={}, specificity=5)
    narrow = make_template(slug="narrow", conditions={"type": "task"}, specificity=50)
    assert select_template(IssueFactory()).template.pk == narrow.pk


def test_ties_break_by_slug_not_creation_order(no_templates, make_template):
    make_template(slug="zeta", specificity=10)
    alpha = make_template(slug="alpha", specificity=10)
    make_template(slug="mid", specificity=10)
    for _ in range(3):
        assert select_template(IssueFactory()).template.pk == alpha.pk


def test_template_of_another_project_is_never_selected(no_templates, make_template):
    project, other = ProjectFactory(), ProjectFactory()
    make_template(slug="other-project", project=other, specificity=100)
    fallback = make_template(slug="global", specificity=0)
    assert select_template(IssueFactory(project=project)).template.pk == fallback.pk
    assert select_template(IssueFactory()).template.pk == fallback.pk


def test_template_without_active_version_is_skipped(no_templates, make_template):
    make_template(slug="no-version", specificity=100, active=False)
    assert select_template(IssueFactory()) is None


def test_deleted_template_is_skipped(no_templates, make_template):
    template = make_template(slug="gone", specificity=100)
    services.delete_template(template_id=template.pk)
    assert select_template(IssueFactory()) is None


def test_selection_returns_the_active_version_after_promotion(no_templates, make_template):
    template = make_template(content="v1 {{ issue.title }}")
    draft = services.create_version(
        template_id=template.pk, content="v2 {{ issue.title }}", author_type="agent", author_name="a"
    )
    assert select_template(IssueFactory()).version.version == 1
    services.promote_version(template_id=template.pk, version_id=draft.pk)
    selection = select_template(IssueFactory())
    assert selection.version.pk == draft.pk
    assert selection.version.template is selection.template


def test_deleted_sibling_is_not_a_failed_session(no_templates, make_template):
    parent = IssueFactory(type="plan")
    failed = IssueFactory(parent=parent, status="canceled", agent_summary="broke")
    issue = IssueFactory(parent=parent)
    make_template(conditions={"hasFailedSessions": True})
    assert select_template(issue) is not None
    issue_services.delete_issue(issue_id=failed.pk, actor="tests")
    forget_facts(issue)
    assert select_template(issue) is None


def test_selection_uses_one_query_without_label_or_sibling_conditions(
    no_templates, make_template, django_assert_num_queries
):
    for index in range(5):
        make_template(slug=f"t-{index}", conditions={"type": "task"}, specificity=index)
    issue = IssueFactory()
    with django_assert_num_queries(1):
        assert select_template(issue) is not None


def test_selection_with_every_condition_kind_stays_at_two_queries(
    no_templates, make_template, django_assert_num_queries
):
    make_template(slug="labels", conditions={"labels": ["x"]}, specificity=50)
    make_template(slug="failed", conditions={"hasFailedSessions": True}, specificity=40)
    make_template(slug="fallback", specificity=0)
    issue = IssueFactory(parent=IssueFactory(type="plan"))
    # the templates (read fresh inside the test's transaction), then labels and siblings together
    with django_assert_num_queries(2):
        assert select_template(issue).template.slug == "fallback"


@pytest.mark.parametrize("stored", [["type"], {"hypothesisConfidence": "high"}, {"labels": 5},
                                    {"colour": "red"}, "type=task"])
def test_malformed_stored_conditions_match_nothing_instead_of_failing(no_templates, make_template, stored):
    template = make_template(slug="malformed", specificity=90)
    PromptTemplate.objects.filter(pk=template.pk).update(conditions=stored)
    fallback = make_template(slug="fallback", specificity=0)
    issue = IssueFactory(type="hypothesis", hypothesis={"confidence": 0.9})
    assert select_template(issue).template.pk == fallback.pk
