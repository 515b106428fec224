"""Rendering: the sandbox refuses escapes and runaway templates, errors come back as data (never
raised), typos are named, partials and helpers work, compiled templates are cached per version."""
from __future__ import annotations

import pytest

from issues.models import Issue
from templates_app import rendering
from templates_app.models import PromptVersion
from templates_app.rendering import check_content, render_prompt
from tests.factories import IssueFactory, PromptTemplateFactory

pytestmark = pytest.mark.django_db


def _version(content: str) -> PromptVersion:
    template = PromptTemplateFactory()
    return PromptVersion.objects.create(
        template=template, version=1, content=content, status="draft", author_name="tests"
    )


def _render(content: str, issue: Issue | None = None):
    return render_prompt(version=_version(content), issue=issue or IssueFactory(title="Fix login"))


SANDBOX_ESCAPES = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ issue.__class__ }}",
    "{{ json.__globals__ }}",
    "{{ priority_label.__globals__['os'] }}",
    "{{ range.__init__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ (1).__class__.__base__.__subclasses__() }}",
    "{{ issue.labels.append }}",
    "{{ labels.append({'name': 'x'}) }}",
    "{{ meta.update({'versionId': 'x'}) }}",
    "{{ ''.format.__globals__ }}",
    "{{ '{0.__class__}'.format('') }}",
    "{% set x = issue.pop('title') %}{{ x }}",
]


@pytest.mark.parametrize("content", SANDBOX_ESCAPES)
def test_sandbox_escape_is_refused(content):
    result = _render(content)
    assert result.prompt is None
    assert result.error


def test_sandbox_escape_error_names_the_refusal():
    result = _render("{{ ''.__class__ }}")
    assert result.error == (
        "Template tried something the sandbox forbids: access to attribute '__class__' of 'str' "
        "object is unsafe."
    )


RUNAWAY = [
    ("{{ 'a' * 10000000 }}", "too large"),
    ("{{ 'x' + 'a' * 150000 + 'b' * 150000 }}", "longer than"),
    ("{{ 10 ** 100000 }}", "exponent"),
    ("{{ '%999999999s' % 'x' }}", "format width"),
    ("{{ '{:>999999999}'.format('x') }}", "format width"),
    ("{{ '%999999999d'|format(1) }}", "format width"),
    ("{{ 'x'|center(999999999) }}", "width larger"),
    ("{{ 'x'|indent(999999999) }}", "width larger"),
    ("{% for i in range(1000000) %}{% endfor %}", "range larger"),
    ("{% for i in range(5000) %}{% for j in range(5000) %}{% endfor %}{% endfor %}", "steps of work"),
    ("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}", "steps of work"),
    ("{% macro f(s, n) %}{% if n %}{{ f(s ~ s, n - 1) }}{% endif %}{% endmacro %}{{ f('x', 64) }}", "longer than"),
    ("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}", "longer than"),
    ("{{ lipsum(1000000) }}", "undefined"),
]


@pytest.mark.parametrize(("content", "reason"), RUNAWAY)
def test_runaway_template_is_stopped_with_a_reason(content, reason):
    result = _render(content)
    assert result.prompt is None
    assert reason in result.error


def test_output_larger_than_the_cap_is_refused(monkeypatch):
    monkeypatch.setattr(rendering, "MAX_OUTPUT_CHARS", 50)
    result = _render("{% for i in range(20) %}0123456789{% endfor %}")
    assert result.prompt is None
    assert "limit is 50" in result.error


def test_typo_is_an_error_naming_the_attribute():
    result = _render("Title: {{ issue.titel }}")
    assert result.prompt is None
    assert "'titel'" in result.error


def test_unknown_variable_is_an_error():
    result = _render("{{ isue.title }}")
    assert result.prompt is None
    assert "'isue' is undefined" in result.error


def test_syntax_error_reports_line():
    result = _render("line one\n{% if issue.title %}unclosed")
    assert result.prompt is None
    assert result.error.startswith("Template syntax error (line 2)")


def test_unknown_partial_lists_the_available_ones():
    result = _render('{% include "nope" %}')
    assert result.prompt is None
    assert "Unknown partial: nope" in result.error
    assert "api_reference" in result.error


def test_renders_issue_fields_helpers_and_meta():
    issue = IssueFactory(title="Fix login", priority=1, signal_payload={"b": [1, 2]})
    version = _version(
        "{{ issue.title }}|{{ issue.priority | priority_label }}|{{ priority_label(9) }}|"
        "{{ json(issue.signalPayload) }}|{{ issue.signalPayload | json }}|"
        "{{ meta.templateSlug }} v{{ meta.versionNumber }} {{ meta.versionId }} {{ meta.templateId }}"
    )
    result = render_prompt(version=version, issue=issue)
    assert result.error is None
    title, label, unknown, json_call, json_filter, meta = result.prompt.split("|")
    assert (title, label, unknown) == ("Fix login", "urgent", "unknown")
    assert json_call == json_filter == '{\n  "b": [\n    1,\n    2\n  ]\n}'
    assert meta == f"{version.template.slug} v1 {version.pk} {version.template_id}"


def test_output_is_not_html_escaped():
    result = _render("{{ issue.title }}", IssueFactory(title="a < b & \"c\""))
    assert result.prompt == 'a < b & "c"'


def test_every_shared_partial_renders():
    result = _render(
        '{% include "api_reference" %}{% include "review_instructions" %}'
        '{% include "parent_context" %}{% include "sibling_context" %}'
        '{% include "project_and_goal_context" %}'
    )
    assert result.error is None
    assert "$LOOP_API_KEY" in result.prompt
    assert "/api/prompt-reviews" in result.prompt


def test_compiled_template_is_cached_per_version(monkeypatch):
    version = _version("{{ issue.title }}")
    issue = IssueFactory()
    calls = []
    original = rendering.ENVIRONMENT.from_string
    monkeypatch.setattr(
        rendering.ENVIRONMENT, "from_string", lambda source: calls.append(source) or original(source)
    )
    for _ in range(3):
        assert render_prompt(version=version, issue=issue).error is None
    assert len(calls) == 1
    version.content = "changed {{ issue.title }}"  # edited outside the API: never served stale
    assert render_prompt(version=version, issue=issue).prompt.startswith("changed")
    assert len(calls) == 2


def test_render_never_raises_for_template_exceptions():
    for content in ["{{ 1 / 0 }}", "{{ issue.number + 'x' }}", "{{ labels[5] }}", "{{ int('x') }}",
                    "{{ issue['nope'] }}", "{{ range(1, 2, 0) }}"]:
        result = _render(content)
        assert result.prompt is None and result.error, content


def test_check_content_flags_problems_before_saving():
    assert check_content("{{ issue.title }} {% include 'api_reference' %}") == []
    assert check_content("{% set x = 1 %}{% for s in siblings %}{{ s.title }}{{ x }}{% endfor %}") == []
    assert check_content("{% if %}")[0].startswith("Template syntax error")
    assert check_content("{% include 'missing' %}") == [
        "Unknown partial 'missing' (available: api_reference, parent_context, "
        "project_and_goal_context, review_instructions, sibling_context)"
    ]
    assert check_content("{{ isue.title }}")[0].startswith("Unknown variable(s): isue")
    assert check_content("{% include issue.title %}") == ["Partials must be included by a literal name"]


def test_missing_optional_key_is_false_in_if_but_an_error_when_printed():
    issue = IssueFactory(hypothesis={"statement": "s"})
    shown = _render("{% if issue.hypothesis.prediction %}P{% else %}none{% endif %}", issue)
    assert shown.prompt == "none"
    printed = _render("{{ issue.hypothesis.prediction }}", issue)
    assert printed.prompt is None and "'prediction'" in printed.error
    looped = _render("{% for e in issue.hypothesis.evidence %}{{ e }}{% endfor %}", issue)
    assert looped.prompt is None and "'evidence'" in looped.error
