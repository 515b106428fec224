"""The hydration context a prompt template is rendered with, built from an issue in a fixed, small
number of queries.

Everything handed to a template is plain data (dicts, lists, strings, numbers): no model
instances, so a template can never trigger a lazy query or reach an ORM method, whatever the
sandbox allows. Keys are camelCase like the wire format, so a template reads the way the API does
(``issue.agentSummary``, ``blockedBy``). Every key is always present (empty list or None when there
is nothing), so ``{% if siblings %}`` works under StrictUndefined.

Queries, each at most once per issue (``IssueFacts`` loads lazily and caches on the issue
instance, so template selection and rendering share them within one dispatch):

1. together: the labels of the issue; the related issues (siblings, same parent, when the issue
   has a parent, else its children); the blocking relations in both directions, with the issue
   at the other end;
2. the parent (only when the issue has one);
3. the project with its goal: the headline goal, else its most recent active goal (only when the
   issue has a project).

They run on every dispatch, so they are written out as SQL (portable between PostgreSQL and
SQLite) and read into plain rows: building and compiling the equivalent ORM queries cost several
times what the database needs to answer them (docs/benchmarks.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q

from issues.models import Goal, Issue, IssueLabel, IssueRelation, Label, Project
from loop_project.db import PreparedQuery

# Issues listed as siblings/children: enough for an agent to see its neighbourhood without
# letting a huge plan blow up the prompt or the query.
RELATED_LIMIT = 100
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


@dataclass(frozen=True, slots=True)
class IssueBrief:
    """Another issue as the context shows it: siblings, children, blocking relations."""

    pk: str
    number: int
    title: str
    type: str
    status: str
    priority: int | None = None
    agent_summary: str | None = None


_ISSUE, _LABEL, _ISSUE_LABEL, _RELATION, _PROJECT, _GOAL = (
    model._meta.db_table for model in (Issue, Label, IssueLabel, IssueRelation, Project, Goal)
)
# Labels, related issues and blocking relations in one statement, one row kind each:
#   0  a live label of the issue:          id, name (as title), color (as extra)
#   1  a related issue (see ``related``):  id, number, title, type, status, priority, agent_summary
#   2  a blocking relation with the live issue at its other end: that issue's id, number, title,
#      type, status; the relation's type (as extra), whether it is stored on this issue
#      (outgoing), and its created_at and id (the order relations are listed in)
# Ordering within each kind is done in Python; related issues are capped here, in number order.
# The first branch names every column's type (PostgreSQL types a UNION from its first rows).
_FACTS_SQL = f"""
SELECT 0, l.id, CAST(NULL AS INTEGER), l.name, CAST(NULL AS TEXT), CAST(NULL AS TEXT),
       CAST(NULL AS INTEGER), CAST(NULL AS TEXT), l.color, CAST(NULL AS INTEGER),
       CAST(NULL AS TIMESTAMP WITH TIME ZONE), CAST(NULL AS TEXT)
FROM {_LABEL} l JOIN {_ISSUE_LABEL} il ON il.label_id = l.id
WHERE il.issue_id = %s AND l.deleted_at IS NULL
UNION ALL
SELECT 1, s.id, s.number, s.title, s.type, s.status, s.priority, s.agent_summary,
       NULL, NULL, NULL, NULL
FROM (SELECT id, number, title, type, status, priority, agent_summary FROM {_ISSUE}
      WHERE parent_id = %s AND id <> %s AND deleted_at IS NULL
      ORDER BY number LIMIT {RELATED_LIMIT}) s
UNION ALL
SELECT 2, o.id, o.number, o.title, o.type, o.status, NULL, NULL, r.type, 1, r.created_at, r.id
FROM {_RELATION} r JOIN {_ISSUE} o ON o.id = r.related_issue_id
WHERE r.issue_id = %s AND r.type IN ('blocks', 'blocked_by') AND o.deleted_at IS NULL
UNION ALL
SELECT 2, o.id, o.number, o.title, o.type, o.status, NULL, NULL, r.type, 0, r.created_at, r.id
FROM {_RELATION} r JOIN {_ISSUE} o ON o.id = r.issue_id
WHERE r.related_issue_id = %s AND r.type IN ('blocks', 'blocked_by') AND o.deleted_at IS NULL
"""
# The live project and its goal: the headline goal while it is live, else the project's most
# recent active goal.
_PROJECT_SQL = f"""
SELECT p.id, p.name, p.description, p.status, p.health, p.goal_id,
       g.id, g.title, g.description, g.metric, g.target_value, g.current_value, g.unit, g.status,
       g.project_id
FROM {_PROJECT} p
LEFT JOIN {_GOAL} g ON g.id = COALESCE(
    (SELECT h.id FROM {_GOAL} h WHERE h.id = p.goal_id AND h.deleted_at IS NULL),
    (SELECT a.id FROM {_GOAL} a
     WHERE a.project_id = p.id AND a.status = 'active' AND a.deleted_at IS NULL
     ORDER BY a.created_at DESC, a.id DESC LIMIT 1)
)
WHERE p.id = %s AND p.deleted_at IS NULL
"""
_ISSUE_BY_PK = PreparedQuery(lambda pk: Issue.all_objects.filter(pk=pk), "pk")


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass
class IssueFacts:
    """What a prompt needs to know about one issue beyond its own row, loaded on first use."""

    issue: Issue
    _label_rows: list[dict[str, str]] | None = None
    _neighbourhood: tuple[Issue | None, dict[str, Any] | None, dict[str, Any] | None] | None = None
    _related: list[IssueBrief] | None = None
    _relations: tuple[list[IssueBrief], list[IssueBrief]] | None = None
    _has_failed_sessions: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    # --- labels, related issues, blocking relations: loaded together ---------------------------

    def _load_facts(self) -> None:
        pk = self.issue.pk
        rows = _rows(_FACTS_SQL, [pk, self.issue.parent_id or pk, pk, pk, pk])
        labels, related, relations = [], [], []
        for kind, *row in rows:
            (labels, related, relations)[kind].append(row)
        self._label_rows = [
            {"id": row[0], "name": row[2], "color": row[7]}
            for row in sorted(labels, key=lambda row: (row[2], row[0]))
        ]
        self._related = [
            IssueBrief(*row[:7]) for row in sorted(related, key=lambda row: row[1])
        ]
        blocking: dict[str, IssueBrief] = {}
        blocked_by: dict[str, IssueBrief] = {}
        for row in sorted(relations, key=lambda row: (row[9], row[10])):
            brief = IssueBrief(*row[:5])
            this_blocks_other = (row[7] == IssueRelation.Type.BLOCKS) == bool(row[8])
            (blocking if this_blocks_other else blocked_by).setdefault(brief.pk, brief)
        self._relations = list(blocking.values()), list(blocked_by.values())

    def labels(self) -> list[dict[str, str]]:
        if self._label_rows is None:
            self._load_facts()
        return self._label_rows

    def label_names(self) -> set[str]:
        return {row["name"] for row in self.labels()}

    # --- parent, project, goal ---------------------------------------------------------------

    def neighbourhood(self) -> tuple[Issue | None, dict[str, Any] | None, dict[str, Any] | None]:
        """(parent, project, goal): the live parent issue, and the live project and its goal as
        the context shows them."""
        if self._neighbourhood is None:
            self._neighbourhood = (self._load_parent(), *self._load_project_and_goal())
        return self._neighbourhood

    def _load_parent(self) -> Issue | None:
        if self.issue.parent_id is None:
            return None
        parent = _ISSUE_BY_PK.first(pk=self.issue.parent_id)
        return parent if parent is not None and not parent.is_deleted else None

    def _load_project_and_goal(self) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        if self.issue.project_id is None:
            return None, None
        rows = _rows(_PROJECT_SQL, [self.issue.project_id])
        if not rows:
            return None, None
        row = rows[0]
        project = {
            "id": row[0], "name": row[1], "description": row[2], "status": row[3],
            "health": row[4], "goalId": row[5],
        }
        goal = None if row[6] is None else {
            "id": row[6], "title": row[7], "description": row[8], "metric": row[9],
            "targetValue": row[10], "currentValue": row[11], "unit": row[12], "status": row[13],
            "projectId": row[14],
        }
        return project, goal

    # --- siblings / children -----------------------------------------------------------------

    def related(self) -> list[Issue]:
        """Siblings (same parent, not this issue) when the issue has a parent, else its children;
        live ones only, in number order, at most ``RELATED_LIMIT``."""
        if self._related is None:
            self._load_facts()
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

    def blocking_relations(self) -> tuple[list[IssueBrief], list[IssueBrief]]:
        """(issues this one blocks, issues blocking this one). "A blocks B" and "B blocked_by A"
        mean the same thing, so both stored directions are read. Deleted issues are left out."""
        if self._relations is None:
            self._load_facts()
        return self._relations


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


def _is_failed_session(issue: IssueBrief) -> bool:
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


def _brief(issue: IssueBrief) -> dict[str, Any]:
    return {
        "id": issue.pk,
        "number": issue.number,
        "title": issue.title,
        "type": issue.type,
        "status": issue.status,
    }


def _related_dict(issue: IssueBrief) -> dict[str, Any]:
    return {
        **_brief(issue),
        "priority": issue.priority,
        "priorityLabel": priority_label(issue.priority),
        "agentSummary": issue.agent_summary,
    }


def _previous_sessions(issue: Issue, related: list[IssueBrief]) -> list[dict[str, Any]]:
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
        "project": project,
        "goal": goal,
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
