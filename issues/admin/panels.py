"""Reads behind the issue pages of the console: what an issue page shows (children, relations
both ways, comments, score, links, the audit history rendered as "field: from → to"), loaded in a
fixed number of queries whatever the issue's history."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from issues.models import Comment, Issue, IssueEvent, IssueRelation, Label, Project
from issues.ranking import ScoreBreakdown, score_breakdown
from issues.services import project_has_active_goal

# Values longer than this are cut in the history view; the full change stays in IssueEvent.
HISTORY_VALUE_CHARS = 80

PRIORITY_LABELS = dict(Issue.Priority.choices)


@dataclass(frozen=True)
class ChangeRow:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class RelationRow:
    """One relation as read from this issue's side: "blocks #12", "blocked by #9"."""

    relation: IssueRelation
    verb: str
    other: Issue
    blocking_now: bool  # a blocking relation whose blocker is still open


@dataclass(frozen=True)
class LinkRow:
    """A commit or pull request, ready to show: ``url`` only when it is a plain http(s) link."""

    ref: str
    title: str
    url: str | None
    detail: str


@dataclass
class IssuePanels:
    children: list[Issue]
    relations: list[RelationRow]
    comments: list[Comment]
    events: list[IssueEvent]
    status_changes: int
    score: ScoreBreakdown
    payload_json: str | None
    hypothesis: dict[str, Any] | None
    commits: list[LinkRow]
    pull_requests: list[LinkRow]
    labels: list[tuple[str, str]]  # (name, safe colour)


_INVERSE_VERB = {
    IssueRelation.Type.BLOCKS: "blocked by",
    IssueRelation.Type.BLOCKED_BY: "blocks",
    IssueRelation.Type.RELATED: "related to",
    IssueRelation.Type.DUPLICATE: "duplicated by",
}
_VERB = {
    IssueRelation.Type.BLOCKS: "blocks",
    IssueRelation.Type.BLOCKED_BY: "blocked by",
    IssueRelation.Type.RELATED: "related to",
    IssueRelation.Type.DUPLICATE: "duplicate of",
}


def short_age(instant: datetime) -> str:
    """'3d', '5h', '12m': an age compact enough for a list column."""
    seconds = max((timezone.now() - instant).total_seconds(), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return "now"


def _short(value: Any) -> str:
    if value is None or value == "":
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= HISTORY_VALUE_CHARS else text[: HISTORY_VALUE_CHARS - 1] + "…"


def _label_names(ids: Iterable[str], names: dict[str, str]) -> str:
    """Label names for a list of ids (an id whose label is gone stays visible as the id)."""
    shown = [names.get(label_id, label_id) for label_id in ids]
    return ", ".join(shown) if shown else "—"


def describe_events(events: list[IssueEvent]) -> list[IssueEvent]:
    """Attach ``event.rows`` (a list of ChangeRow) to each event, naming labels, parents, projects
    and priorities instead of showing ids and numbers. At most three queries for the whole list
    (label names, issue numbers, project names), none when no event changed those."""
    wanted: dict[str, set[str]] = {"labels": set(), "parent_id": set(), "project_id": set()}
    for event in events:
        for field, ids in wanted.items():
            pair = (event.changes or {}).get(field)
            if not isinstance(pair, list):
                continue
            for value in pair:
                if isinstance(value, list):
                    ids.update(value)
                elif value:
                    ids.add(value)
    labels = (
        dict(Label.all_objects.filter(pk__in=wanted["labels"]).values_list("id", "name"))
        if wanted["labels"]
        else {}
    )
    parents = (
        {
            pk: f"#{number}"
            for pk, number in Issue.all_objects.filter(pk__in=wanted["parent_id"]).values_list(
                "id", "number"
            )
        }
        if wanted["parent_id"]
        else {}
    )
    projects = (
        dict(Project.all_objects.filter(pk__in=wanted["project_id"]).values_list("id", "name"))
        if wanted["project_id"]
        else {}
    )
    for event in events:
        rows: list[ChangeRow] = []
        for field, pair in (event.changes or {}).items():
            old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            if field == "labels":
                rows.append(
                    ChangeRow(
                        field, _label_names(old or [], labels), _label_names(new or [], labels)
                    )
                )
            elif field == "priority":
                rows.append(
                    ChangeRow(
                        field,
                        _short(PRIORITY_LABELS.get(old, old)),
                        _short(PRIORITY_LABELS.get(new, new)),
                    )
                )
            elif field == "parent_id":
                rows.append(
                    ChangeRow(
                        "parent", _short(parents.get(old, old)), _short(parents.get(new, new))
                    )
                )
            elif field == "project_id":
                rows.append(
                    ChangeRow(
                        "project", _short(projects.get(old, old)), _short(projects.get(new, new))
                    )
                )
            else:
                rows.append(ChangeRow(field, _short(old), _short(new)))
        event.rows = rows  # type: ignore[attr-defined]
    return events


def issue_panels(issue: Issue) -> IssuePanels:
    """Everything the issue page shows beyond the issue row, in five queries."""
    children = list(
        issue.children.order_by("number").only("id", "number", "title", "status", "type")
    )
    outgoing = IssueRelation.objects.filter(issue=issue).select_related("related_issue")
    incoming = IssueRelation.objects.filter(related_issue=issue).select_related("issue")
    rows: list[RelationRow] = []
    for relation in outgoing:
        other = relation.related_issue
        blocking_now = relation.type == IssueRelation.Type.BLOCKED_BY and _is_open(other)
        rows.append(RelationRow(relation, _VERB[relation.type], other, blocking_now))
    for relation in incoming:
        other = relation.issue
        blocking_now = relation.type == IssueRelation.Type.BLOCKS and _is_open(other)
        rows.append(RelationRow(relation, _INVERSE_VERB[relation.type], other, blocking_now))
    rows.sort(key=lambda row: (not row.blocking_now, row.verb, row.other.number))
    comments = list(issue.comments.order_by("created_at", "id"))
    events = describe_events(list(issue.events.order_by("created_at", "id")))
    return IssuePanels(
        children=children,
        relations=rows,
        comments=comments,
        events=events,
        status_changes=sum(1 for event in events if "status" in (event.changes or {})),
        score=score_breakdown(
            created_at=issue.created_at,
            now=timezone.now(),
            priority=issue.priority,
            issue_type=issue.type,
            has_active_goal=project_has_active_goal(issue.project_id),
        ),
        payload_json=pretty_json(issue.signal_payload),
        hypothesis=_hypothesis(issue.hypothesis),
        commits=[_commit_row(c) for c in issue.commits or [] if isinstance(c, dict)],
        pull_requests=[
            _pull_request_row(p) for p in issue.pull_requests or [] if isinstance(p, dict)
        ],
        labels=[(label.name, safe_color(label.color)) for label in issue.labels.all()],
    )


def safe_color(color: str | None) -> str:
    """Label colours come from API clients; only plain hex colours reach a style attribute."""
    return color if color and re.fullmatch(r"#[0-9a-fA-F]{3,8}", color) else "#6b7280"


def pretty_json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def _http_url(value: Any) -> str | None:
    """Agents write these links; only http(s) URLs become clickable (no javascript: and co.)."""
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def _commit_row(commit: dict[str, Any]) -> LinkRow:
    sha = str(commit.get("sha") or "")
    author = commit.get("author")
    return LinkRow(
        ref=sha[:8] or "commit",
        title=str(commit.get("message") or "").splitlines()[0] if commit.get("message") else "",
        url=_http_url(commit.get("url")),
        detail=str(author) if author else "",
    )


def _pull_request_row(pull: dict[str, Any]) -> LinkRow:
    number = pull.get("number")
    return LinkRow(
        ref=f"#{number}" if number is not None else "PR",
        title=str(pull.get("title") or ""),
        url=_http_url(pull.get("url")),
        detail=str(pull.get("state") or ""),
    )


def _hypothesis(value: Any) -> dict[str, Any] | None:
    """The hypothesis fields the page lays out, with confidence as a percentage; anything else in
    the JSON is still shown raw in the edit form."""
    if not isinstance(value, dict):
        return None
    confidence = value.get("confidence")
    evidence = value.get("evidence")
    return {
        "statement": value.get("statement"),
        "confidence_pct": round(confidence * 100) if isinstance(confidence, (int, float)) else None,
        "evidence": [str(item) for item in evidence] if isinstance(evidence, list) else [],
        "prediction": value.get("prediction"),
        "validation": value.get("validationCriteria"),
    }


def _is_open(issue: Issue) -> bool:
    return not issue.is_finished and not issue.is_deleted
