"""The hydration context a prompt template is rendered with, built from an issue in a fixed, small
number of queries.

Everything handed to a template is plain data (dicts, lists, strings, numbers): no model
instances, so a template can never trigger a lazy query or reach an ORM method, whatever the
sandbox allows. Keys are camelCase like the wire format, so a template reads the way the API does
(``issue.agentSummary``, ``blockedBy``). Every key is always present (empty list or None when there
is nothing), so ``{% if siblings %}`` works under StrictUndefined.

Queries, each at most once per issue (``IssueFacts`` loads lazily and caches on the issue
instance, so template selection and rendering share them within one dispatch):

1. labels of the issue;
2. the issue's parent, project and the project's headline goal (one joined query; skipped when
   the issue has neither parent nor project);
3. the related issues: siblings (same parent) when the issue has a parent, else its children;
4. the blocking relations in both directions, with the issue at the other end.

Plus one query for the project's active goal, only when its project has no headline goal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Q

from issues.models import Goal, Issue, IssueRelation, Label, Project

# Issues listed as siblings/children: enough for an agent to see its neighbourhood without
# letting a huge plan blow up the prompt or the query.
RELATED_LIMIT = 100
# Issue fields loaded for siblings and children (agent_summary feeds previousSessions).
RELATED_FIELDS = (
    "id", "number", "title", "type", "status", "priority", "agent_summary", "completed_at",
    "deleted_at", "parent_id",
)
FACTS_ATTR = "_loop_prompt_facts"

PRIORITY_LABELS = {0: "none", 1: "urgent", 2: "high", 3: "medium", 4: "low"}

# Every top-level name a template can use: the context keys and the helper functions.
CONTEXT_KEYS = frozenset({
    "issue", "parent", "siblings", "children", "project", "goal", "labels", "blocking",
    "blockedBy", "previousSessions", "hasFailedSessions", "claimToken", "leaseExpiresAt",
    "loopUrl", "meta", "json", "priority_label",
})


def priority_label(priority: Any) -> str:
    """Issue priority as a word: urgent/high/medium/low/none, ``unknown`` for anything else."""
    if isinstance(priority, bool):
        return "unknown"
    return PRIORITY_LABELS.get(priority, "unknown") if isinstance(priority, int) else "unknown"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


@dataclass
class IssueFacts:
    """What a prompt needs to know about one issue beyond its own row, loaded on first use."""

    issue: Issue
    _label_rows: list[dict[str, str]] | None = None
    _neighbourhood: tuple[Issue | None, Project | None, Goal | None] | None = None
    _related: list[Issue] | None = None
    _relations: tuple[list[Issue], list[Issue]] | None = None
    _has_failed_sessions: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    # --- labels ------------------------------------------------------------------------------

    def labels(self) -> list[dict[str, str]]:
        if self._label_rows is None:
            self._label_rows = [
                {"id": row["id"], "name": row["name"], "color": row["color"]}
                for row in Label.objects.filter(issue_labels__issue_id=self.issue.pk)
                .order_by("name", "id")
                .values("id", "name", "color")
            ]
        return self._label_rows

    def label_names(self) -> set[str]:
        return {row["name"] for row in self.labels()}

    # --- parent, project, goal ---------------------------------------------------------------

    def neighbourhood(self) -> tuple[Issue | None, Project | None, Goal | None]:
        if self._neighbourhood is None:
            self._neighbourhood = self._load_neighbourhood()
        return self._neighbourhood

    def _load_neighbourhood(self) -> tuple[Issue | None, Project | None, Goal | None]:
        issue = self.issue
        if issue.parent_id is None and issue.project_id is None:
            return None, None, None
        # Whole rows: the parent is shown in full anyway, and a column list (.only) across three
        # joins costs more to compile than the few extra columns cost to read.
        row = (
            Issue.all_objects.filter(pk=issue.pk)
            .select_related("parent", "project", "project__goal")
            .first()
        )
        if row is None:  # the issue row itself is gone; nothing around it to show
            return None, None, None
        parent = row.parent if row.parent_id and not row.parent.is_deleted else None
        project = row.project if row.project_id and not row.project.is_deleted else None
        goal = None
        if project is not None:
            goal = project.goal if project.goal_id and not project.goal.is_deleted else None
            if goal is None:
                # No headline goal: the project's most recent active goal stands in for it.
                goal = (
                    Goal.objects.filter(project_id=project.pk, status=Goal.Status.ACTIVE)
                    .order_by("-created_at", "-id")
                    .first()
                )
        return parent, project, goal

    # --- siblings / children -----------------------------------------------------------------

    def related(self) -> list[Issue]:
        """Siblings (same parent, not this issue) when the issue has a parent, else its children;
        live ones only, in number order, at most ``RELATED_LIMIT``."""
        if self._related is None:
            parent_id = self.issue.parent_id or self.issue.pk
            self._related = list(
                Issue.objects.filter(parent_id=parent_id)
                .exclude(pk=self.issue.pk)
                .only(*RELATED_FIELDS)
                .order_by("number")[:RELATED_LIMIT]
            )
        return self._related

    def has_failed_sessions(self) -> bool:
        """True when a live sibling (same parent) was canceled after an agent worked on it
        (it has an agentSummary): an earlier attempt at this part of the work failed."""
        if self._has_failed_sessions is None:
            if self.issue.parent_id is None:
                self._has_failed_sessions = False
            else:
                related = self.related()
                if any(_is_failed_session(sibling) for sibling in related):
                    self._has_failed_sessions = True
                elif len(related) < RELATED_LIMIT:
                    self._has_failed_sessions = False
                else:  # more siblings than we loaded: ask the database about the rest
                    self._has_failed_sessions = (
                        Issue.objects.filter(
                            parent_id=self.issue.parent_id, status=Issue.Status.CANCELED
                        )
                        .exclude(pk=self.issue.pk)
                        .exclude(Q(agent_summary__isnull=True) | Q(agent_summary=""))
                        .exists()
                    )
        return self._has_failed_sessions

    # --- blocking relations ------------------------------------------------------------------

    def blocking_relations(self) -> tuple[list[Issue], list[Issue]]:
        """(issues this one blocks, issues blocking this one). "A blocks B" and "B blocked_by A"
        mean the same thing, so both stored directions are read. Deleted issues are left out."""
        if self._relations is None:
            self._relations = self._load_relations()
        return self._relations

    def _load_relations(self) -> tuple[list[Issue], list[Issue]]:
        pk = self.issue.pk
        rows = (
            IssueRelation.objects.filter(Q(issue_id=pk) | Q(related_issue_id=pk))
            .filter(type__in=IssueRelation.BLOCKING_TYPES)
            .select_related("issue", "related_issue")
            .only(
                "id", "type", "issue_id", "related_issue_id",
                *(f"issue__{name}" for name in _BRIEF_FIELDS),
                *(f"related_issue__{name}" for name in _BRIEF_FIELDS),
            )
            .order_by("created_at", "id")
        )
        blocking: dict[str, Issue] = {}
        blocked_by: dict[str, Issue] = {}
        for relation in rows:
            outgoing = relation.issue_id == pk
            other = relation.related_issue if outgoing else relation.issue
            if other.is_deleted:
                continue
            this_blocks_other = (relation.type == IssueRelation.Type.BLOCKS) == outgoing
            (blocking if this_blocks_other else blocked_by).setdefault(other.pk, other)
        return list(blocking.values()), list(blocked_by.values())


_BRIEF_FIELDS = ("id", "number", "title", "status", "type", "deleted_at")


def facts_for(issue: Issue) -> IssueFacts:
    """The facts loader for ``issue``, shared by selection and rendering of the same instance."""
    facts = getattr(issue, FACTS_ATTR, None)
    if facts is None or facts.issue is not issue:
        facts = IssueFacts(issue=issue)
        setattr(issue, FACTS_ATTR, facts)
    return facts


def forget_facts(issue: Issue) -> None:
    """Drop the cached facts, e.g. after changing the issue's labels or relations in-process."""
    if hasattr(issue, FACTS_ATTR):
        delattr(issue, FACTS_ATTR)


def _is_failed_session(issue: Issue) -> bool:
    return issue.status == Issue.Status.CANCELED and bool(issue.agent_summary)


# --- plain-data views of rows -------------------------------------------------------------------


def issue_dict(issue: Issue) -> dict[str, Any]:
    """The issue as the API shows it (IssueOut's keys), plus ``priorityLabel``."""
    return {
        "id": issue.pk,
        "number": issue.number,
        "title": issue.title,
        "description": issue.description,
        "type": issue.type,
        "status": issue.status,
        "priority": issue.priority,
        "priorityLabel": priority_label(issue.priority),
        "parentId": issue.parent_id,
        "projectId": issue.project_id,
        "signalSource": issue.signal_source,
        "signalPayload": issue.signal_payload,
        "hypothesis": issue.hypothesis,
        "agentSessionId": issue.agent_session_id,
        "agentSummary": issue.agent_summary,
        "commits": issue.commits,
        "pullRequests": issue.pull_requests,
        "completedAt": _iso(issue.completed_at),
        "createdAt": _iso(issue.created_at),
        "updatedAt": _iso(issue.updated_at),
        "deletedAt": _iso(issue.deleted_at),
    }


def _brief(issue: Issue) -> dict[str, Any]:
    return {
        "id": issue.pk,
        "number": issue.number,
        "title": issue.title,
        "type": issue.type,
        "status": issue.status,
    }


def _related_dict(issue: Issue) -> dict[str, Any]:
    return {
        **_brief(issue),
        "priority": issue.priority,
        "priorityLabel": priority_label(issue.priority),
        "agentSummary": issue.agent_summary,
    }


def _project_dict(project: Project | None) -> dict[str, Any] | None:
    if project is None:
        return None
    return {
        "id": project.pk,
        "name": project.name,
        "description": project.description,
        "status": project.status,
        "health": project.health,
        "goalId": project.goal_id,
    }


def _goal_dict(goal: Goal | None) -> dict[str, Any] | None:
    if goal is None:
        return None
    return {
        "id": goal.pk,
        "title": goal.title,
        "description": goal.description,
        "metric": goal.metric,
        "targetValue": goal.target_value,
        "currentValue": goal.current_value,
        "unit": goal.unit,
        "status": goal.status,
        "projectId": goal.project_id,
    }


def _previous_sessions(issue: Issue, related: list[Issue]) -> list[dict[str, Any]]:
    """Earlier agent work the agent should know about: the issue's own recorded session first
    (as upstream), then finished siblings/children that carry an agentSummary (ours), so an agent
    sees what was already tried and what failed next to it."""
    sessions: list[dict[str, Any]] = []
    if issue.agent_summary:
        sessions.append({
            "issueId": issue.pk,
            "number": issue.number,
            "title": issue.title,
            "status": issue.status,
            "agentSummary": issue.agent_summary,
            "isThisIssue": True,
        })
    for other in related:
        if other.agent_summary and other.status in Issue.FINISHED_STATUSES:
            sessions.append({
                "issueId": other.pk,
                "number": other.number,
                "title": other.title,
                "status": other.status,
                "agentSummary": other.agent_summary,
                "isThisIssue": False,
            })
    return sessions


def build_context(*, issue: Issue, meta: dict[str, Any]) -> dict[str, Any]:
    """The full hydration context for ``issue``; ``meta`` describes the template version."""
    facts = facts_for(issue)
    parent, project, goal = facts.neighbourhood()
    related = facts.related()
    blocking, blocked_by = facts.blocking_relations()
    has_parent = issue.parent_id is not None
    loop_url = settings.LOOP_URL
    return {
        "issue": issue_dict(issue),
        "parent": issue_dict(parent) if parent is not None else None,
        "siblings": [_related_dict(other) for other in related] if has_parent else [],
        "children": [] if has_parent else [_related_dict(other) for other in related],
        "project": _project_dict(project),
        "goal": _goal_dict(goal),
        "labels": [{"name": row["name"], "color": row["color"]} for row in facts.labels()],
        "blocking": [_brief(other) for other in blocking],
        "blockedBy": [_brief(other) for other in blocked_by],
        "previousSessions": _previous_sessions(issue, related),
        "hasFailedSessions": facts.has_failed_sessions(),
        # Set when the issue was just claimed (dispatch); None in a preview.
        "claimToken": issue.claim_token if issue.status == Issue.Status.IN_PROGRESS else None,
        "leaseExpiresAt": _iso(issue.lease_expires_at) if issue.status == Issue.Status.IN_PROGRESS else None,
        "loopUrl": loop_url,
        "meta": {**meta, "reviewUrl": f"{loop_url}/api/prompt-reviews"},
    }
