"""Choosing the prompt template version for an issue.

A template is a candidate when it is live, has an active version, is global or scoped to the
issue's project (templates of other projects are never used), and every key of its conditions
matches the issue (``{}`` matches everything). Among candidates: project-scoped first, then higher
specificity, then slug and id, so the choice never depends on database order.

One query for the candidates; the issue's labels and its siblings are loaded only when some
candidate's conditions ask about them, and through ``templates_app.context.facts_for`` so
rendering the same issue afterwards reuses them.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from numbers import Real
from typing import Any

from django.db.models import Q

from issues.models import Issue
from templates_app.context import IssueFacts, facts_for
from templates_app.models import PromptTemplate, PromptVersion

logger = logging.getLogger(__name__)

# The condition keys a template may use; anything else is refused when a template is written.
CONDITION_KEYS = (
    "type", "signalSource", "labels", "projectId", "hasFailedSessions", "hypothesisConfidence",
)


@dataclass(frozen=True)
class Selection:
    template: PromptTemplate
    version: PromptVersion


def _hypothesis_confidence(issue: Issue) -> float | None:
    hypothesis = issue.hypothesis
    if not isinstance(hypothesis, dict):
        return None
    confidence = hypothesis.get("confidence")
    if isinstance(confidence, bool) or not isinstance(confidence, Real):
        return None
    return float(confidence)


def _matcher(key: str, expected: Any) -> Callable[[Issue, IssueFacts], bool]:
    """How one condition key is checked against an issue."""
    if key == "type":
        return lambda issue, facts: issue.type == expected
    if key == "signalSource":
        return lambda issue, facts: issue.signal_source == expected
    if key == "projectId":
        return lambda issue, facts: issue.project_id == expected
    if key == "labels":
        wanted = set(expected or [])
        return lambda issue, facts: not wanted or wanted <= facts.label_names()
    if key == "hasFailedSessions":
        return lambda issue, facts: facts.has_failed_sessions() == bool(expected)
    if key == "hypothesisConfidence":
        def confident_enough(issue: Issue, facts: IssueFacts) -> bool:
            confidence = _hypothesis_confidence(issue)
            return confidence is not None and confidence >= float(expected)
        return confident_enough
    # Unknown keys are refused on write; a row that has one anyway (written around the API)
    # must not match by accident.
    return lambda issue, facts: False


# Cheap checks first, so a template that fails on type never loads labels or siblings.
_KEY_COST = {"type": 0, "signalSource": 0, "projectId": 0, "hypothesisConfidence": 0,
             "labels": 1, "hasFailedSessions": 2}


def conditions_match(conditions: Any, issue: Issue, facts: IssueFacts | None = None) -> bool:
    """True when every condition holds for ``issue``. Conditions are validated when written
    (``services.validate_conditions``); a malformed object stored around that (a raw SQL fix, an
    old row) matches nothing instead of breaking dispatch."""
    if not isinstance(conditions, dict):
        return False
    facts = facts or facts_for(issue)
    for key in sorted(conditions, key=lambda k: _KEY_COST.get(k, 3)):
        try:
            if not _matcher(key, conditions[key])(issue, facts):
                return False
        except (TypeError, ValueError):
            logger.warning("ignoring malformed template condition %s=%r", key, conditions[key])
            return False
    return True


def is_project_scoped(template: PromptTemplate) -> bool:
    conditions = template.conditions
    return template.project_id is not None or (
        isinstance(conditions, dict) and bool(conditions.get("projectId"))
    )


def rank_key(template: PromptTemplate) -> tuple[int, int, str, str]:
    """Sort key, best first: project-scoped, higher specificity, then slug and id."""
    return (0 if is_project_scoped(template) else 1, -template.specificity, template.slug, template.pk)


def candidate_templates(issue: Issue) -> Iterable[PromptTemplate]:
    """Live templates with an active version that may apply to ``issue``'s project."""
    scope = Q(project__isnull=True)
    if issue.project_id is not None:
        scope |= Q(project_id=issue.project_id)
    return (
        PromptTemplate.objects.filter(scope, active_version__status=PromptVersion.Status.ACTIVE)
        .select_related("active_version")
    )


def select_template(issue: Issue) -> Selection | None:
    """The template and active version to use for ``issue``, or None when none matches."""
    facts = facts_for(issue)
    for template in sorted(candidate_templates(issue), key=rank_key):
        if conditions_match(template.conditions, issue, facts):
            version = template.active_version
            version.template = template  # so rendering reads template fields without a query
            return Selection(template=template, version=version)
    return None
