"""Choosing the prompt template version for an issue.

A template is a candidate when it is live, has an active version, is global or scoped to the
issue's project (templates of other projects are never used), and every key of its conditions
matches the issue (``{}`` matches everything). Among candidates: project-scoped first, then higher
specificity, then slug and id, so the choice never depends on database order.

The candidates come from ``catalog``, every live template with its active version, in rank
order; the issue's labels and its siblings are loaded only when some candidate's conditions ask
about them, and through ``templates_app.context.facts_for`` so rendering the same issue afterwards
reuses them.

The catalog is read on every claim and changes rarely, so each process keeps it for
``LOOP_TEMPLATE_CACHE_SECONDS``. Writes in the same process drop it at once (model signals and
``TemplateCatalog.changed``, once when written and again when committed); another process's writes
show within that time. Inside a transaction it is read fresh and not kept, so nothing uncommitted
is ever cached.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Real
from typing import Any

from django.conf import settings
from django.db import connection, transaction

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


def _load_live_templates() -> tuple[PromptTemplate, ...]:
    """Every live template with an active version, best first (``rank_key``). Each version
    knows its template, so rendering reads template fields without a query."""
    templates = sorted(
        PromptTemplate.objects.filter(active_version__status=PromptVersion.Status.ACTIVE)
        .select_related("active_version"),
        key=rank_key,
    )
    for template in templates:
        template.active_version.template = template
    return tuple(templates)


class TemplateCatalog:
    """The live templates, kept per process for ``LOOP_TEMPLATE_CACHE_SECONDS``. The instances
    are shared between requests: read them, never change them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._templates: tuple[PromptTemplate, ...] | None = None
        self._loaded_at = 0.0
        self._generation = 0  # bumped by every change, so a load that raced one is not kept

    def templates(self) -> tuple[PromptTemplate, ...]:
        ttl = settings.LOOP_TEMPLATE_CACHE_SECONDS
        if connection.in_atomic_block or ttl <= 0:
            return _load_live_templates()
        now = time.monotonic()
        with self._lock:
            cached, loaded_at, generation = self._templates, self._loaded_at, self._generation
        if cached is not None and now - loaded_at < ttl:
            return cached
        templates = _load_live_templates()
        with self._lock:
            if generation == self._generation:
                self._templates, self._loaded_at = templates, now
        return templates

    def changed(self) -> None:
        """Templates or versions were written: forget them now, and again when the write commits
        (a claim in between may have read the old rows)."""
        self.clear()
        transaction.on_commit(self.clear)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._templates = None


catalog = TemplateCatalog()


def select_template(issue: Issue) -> Selection | None:
    """The template and active version to use for ``issue``, or None when none matches:
    templates of other projects are never candidates."""
    facts = facts_for(issue)
    for template in catalog.templates():
        if template.project_id is not None and template.project_id != issue.project_id:
            continue
        if conditions_match(template.conditions, issue, facts):
            return Selection(template=template, version=template.active_version)
    return None
