"""Writes for issues, relations, comments, labels, projects and goals: the only write path.

Each service is one transaction, writes its audit row inside it, and keeps the derived dispatch
state true (``Issue.dispatch_rank`` via ``issues.ranking``; ``Issue.is_blocked`` via
``issues.blocking``). The REST API, admin actions, management commands and webhooks all call
these functions.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from issues import blocking
from issues.audit import record_event
from issues.models import Comment, Goal, Issue, IssueEvent, IssueLabel, IssueRelation, Label, Project
from issues.numbering import next_issue_number
from issues.ranking import GOAL_BONUS, dispatch_rank
from loop_project import db
from loop_project.db import PreparedQuery
from loop_project.errors import Conflict, NotFound, RuleViolation

# Issue fields a caller may set directly (snake_case model names).
EDITABLE_FIELDS = (
    "title",
    "description",
    "type",
    "status",
    "priority",
    "parent_id",
    "project_id",
    "signal_source",
    "signal_payload",
    "hypothesis",
    "agent_session_id",
    "agent_summary",
    "commits",
    "pull_requests",
)
RANK_FIELDS = {"priority", "type", "project_id"}


# --- helpers ---------------------------------------------------------------------------------


def project_has_active_goal(project_id: str | None) -> bool:
    if not project_id:
        return False
    return Goal.objects.filter(project_id=project_id, status=Goal.Status.ACTIVE).exists()


def _rank_for(issue: Issue) -> float:
    return dispatch_rank(
        created_at=issue.created_at,
        priority=issue.priority,
        issue_type=issue.type,
        has_active_goal=project_has_active_goal(issue.project_id),
    )


# Every update (each agent's completion PATCH among them) starts with one of these; compiled once.
_LIVE_ISSUE = PreparedQuery(lambda pk: Issue.objects.filter(pk=pk), "pk")
_LIVE_ISSUE_FOR_UPDATE = PreparedQuery(lambda pk: Issue.objects.select_for_update().filter(pk=pk), "pk")


def _live_issue(issue_id: str, *, for_update: bool = False) -> Issue:
    issue = (_LIVE_ISSUE_FOR_UPDATE if for_update else _LIVE_ISSUE).first(pk=issue_id)
    if issue is None:
        raise NotFound("Issue not found")
    return issue


def _validate_parent(*, parent_id: str | None, issue: Issue | None = None) -> None:
    """One-level hierarchy: a parent must exist, be live, and have no parent itself; an issue that
    has children cannot be given a parent."""
    if parent_id is None:
        return
    if issue is not None and parent_id == issue.pk:
        raise RuleViolation("An issue cannot be its own parent", field="parentId")
    parent = Issue.objects.filter(pk=parent_id).only("id", "parent_id").first()
    if parent is None:
        raise RuleViolation("Parent issue not found", field="parentId")
    if parent.parent_id is not None:
        raise RuleViolation(
            "Parent issue already has a parent; only one level of nesting is allowed",
            field="parentId",
        )
    if issue is not None and Issue.objects.filter(parent_id=issue.pk).exists():
        raise RuleViolation(
            "This issue has children, so it cannot itself have a parent", field="parentId"
        )


def _validate_project(project_id: str | None) -> None:
    if project_id is not None and not Project.objects.filter(pk=project_id).exists():
        raise RuleViolation("Project not found", field="projectId")


def _resolve_labels(label_ids: Iterable[str]) -> list[Label]:
    wanted = list(dict.fromkeys(label_ids))
    labels = list(Label.objects.filter(pk__in=wanted))
    if len(labels) != len(wanted):
        found = {label.pk for label in labels}
        missing = [label_id for label_id in wanted if label_id not in found]
        raise RuleViolation(f"Label not found: {', '.join(missing)}", field="labelIds")
    return labels


def _apply_finished_transition(issue: Issue, old_status: str, new_status: str) -> None:
    """Keep completed_at and the claim fields right when the status changes."""
    if new_status in Issue.FINISHED_STATUSES and old_status not in Issue.FINISHED_STATUSES:
        issue.completed_at = timezone.now()
    elif new_status not in Issue.FINISHED_STATUSES:
        issue.completed_at = None
    if new_status != Issue.Status.IN_PROGRESS:
        issue.claim_token = None
        issue.lease_expires_at = None


# What _apply_finished_transition may set besides the status.
FINISHED_TRANSITION_FIELDS = frozenset({"completed_at", "claim_token", "lease_expires_at"})


def _blocking_changed(old_status: str, new_status: str) -> bool:
    return (old_status in Issue.FINISHED_STATUSES) != (new_status in Issue.FINISHED_STATUSES)


# --- issues ----------------------------------------------------------------------------------


@transaction.atomic
def create_issue(
    *,
    actor: str,
    title: str,
    type: str = Issue.Type.TASK,
    status: str = Issue.Status.TRIAGE,
    priority: int = Issue.Priority.NONE,
    description: str | None = None,
    parent_id: str | None = None,
    project_id: str | None = None,
    label_ids: Iterable[str] = (),
    signal_source: str | None = None,
    signal_payload: Any = None,
    hypothesis: dict[str, Any] | None = None,
    agent_session_id: str | None = None,
    agent_summary: str | None = None,
    commits: list[dict[str, Any]] | None = None,
    pull_requests: list[dict[str, Any]] | None = None,
    fingerprint: str | None = None,
) -> Issue:
    _validate_parent(parent_id=parent_id)
    _validate_project(project_id)
    labels = _resolve_labels(label_ids)
    now = timezone.now()
    issue = Issue(
        number=next_issue_number(),
        title=title,
        description=description,
        type=type,
        status=status,
        priority=priority,
        parent_id=parent_id,
        project_id=project_id,
        signal_source=signal_source,
        signal_payload=signal_payload,
        hypothesis=hypothesis,
        agent_session_id=agent_session_id,
        agent_summary=agent_summary,
        commits=commits,
        pull_requests=pull_requests,
        fingerprint=fingerprint,
        last_seen_at=now if fingerprint else None,
        completed_at=now if status in Issue.FINISHED_STATUSES else None,
        created_at=now,
    )
    issue.dispatch_rank = _rank_for(issue)
    issue.save(force_insert=True)
    if labels:
        IssueLabel.objects.bulk_create([IssueLabel(issue=issue, label=label) for label in labels])
    record_event(issue, kind=IssueEvent.Kind.CREATED, actor=actor, changes={"status": (None, status)})
    return issue


@transaction.atomic
def update_issue(
    *,
    issue_id: str,
    actor: str,
    changes: dict[str, Any],
    label_ids: Iterable[str] | None = None,
    claim_token: str | None = None,
    event_kind: str = IssueEvent.Kind.UPDATED,
    note: str = "",
) -> Issue:
    """Apply ``changes`` (model field names) to a live issue.

    With ``claim_token``, the issue must still be in progress under that very claim, else
    ``Conflict`` (409) and nothing changes: an agent whose lease expired cannot overwrite the work
    of the agent that holds the issue now.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise RuleViolation(f"Field(s) not editable: {', '.join(sorted(unknown))}")
    issue = _live_issue(issue_id, for_update=True)
    if claim_token is not None and (
        issue.status != Issue.Status.IN_PROGRESS or issue.claim_token != claim_token
    ):
        raise Conflict(
            "Claim lost: this issue is no longer held by that claim token", field="claimToken"
        )
    if "parent_id" in changes and changes["parent_id"] != issue.parent_id:
        _validate_parent(parent_id=changes["parent_id"], issue=issue)
    if "project_id" in changes and changes["project_id"] != issue.project_id:
        _validate_project(changes["project_id"])

    diff: dict[str, tuple[Any, Any]] = {}
    for field, value in changes.items():
        old = getattr(issue, field)
        if old != value:
            diff[field] = (old, value)
            setattr(issue, field, value)

    old_status, new_status = diff.get("status", (issue.status, issue.status))
    written = set(diff)
    if "status" in diff:
        _apply_finished_transition(issue, old_status, new_status)
        written |= FINISHED_TRANSITION_FIELDS
    if RANK_FIELDS & diff.keys():
        issue.dispatch_rank = _rank_for(issue)
        written.add("dispatch_rank")
    # Only what changed (three of the columns are JSON documents); updated_at always.
    db.update(issue, [*sorted(written), "updated_at"])

    if label_ids is not None:
        labels = _resolve_labels(label_ids)
        before = set(issue.labels.values_list("id", flat=True))
        after = {label.pk for label in labels}
        if before != after:
            IssueLabel.objects.filter(issue=issue).exclude(label_id__in=after).delete()
            IssueLabel.objects.bulk_create(
                [IssueLabel(issue=issue, label_id=label_id) for label_id in after - before]
            )
            diff["labels"] = (sorted(before), sorted(after))

    # A blocker finished or reopened: refresh what it blocks, in the audit row's round trip.
    refresh = (
        [blocking.refresh_blocked_by_statement(issue.pk)]
        if "status" in diff and _blocking_changed(old_status, new_status)
        else []
    )
    if diff or note:  # a status change (hence any refresh) always leaves a diff
        record_event(issue, kind=event_kind, actor=actor, changes=diff, note=note, together_with=refresh)
    return issue


@transaction.atomic
def delete_issue(*, issue_id: str, actor: str) -> None:
    """Soft delete: the row stays, hidden from lists, gets and dispatch; what it blocked is freed."""
    issue = _live_issue(issue_id, for_update=True)
    issue.deleted_at = timezone.now()
    issue.claim_token = None
    issue.lease_expires_at = None
    issue.save(update_fields=["deleted_at", "claim_token", "lease_expires_at", "updated_at"])
    blocking.refresh_blocked_by(issue.pk)
    record_event(issue, kind=IssueEvent.Kind.DELETED, actor=actor)


@transaction.atomic
def restore_issue(*, issue_id: str, actor: str) -> Issue:
    try:
        issue = Issue.all_objects.select_for_update().get(pk=issue_id, deleted_at__isnull=False)
    except Issue.DoesNotExist:
        raise NotFound("Deleted issue not found") from None
    issue.deleted_at = None
    issue.save(update_fields=["deleted_at", "updated_at"])
    blocking.refresh_blocked_by(issue.pk)
    blocking.refresh_blocked([issue.pk])
    record_event(issue, kind=IssueEvent.Kind.RESTORED, actor=actor)
    return issue


# --- relations -------------------------------------------------------------------------------


@transaction.atomic
def add_relation(*, issue_id: str, related_issue_id: str, type: str, actor: str) -> IssueRelation:
    issue = _live_issue(issue_id)
    if related_issue_id == issue.pk:
        raise RuleViolation("An issue cannot be related to itself", field="relatedIssueId")
    if not Issue.objects.filter(pk=related_issue_id).exists():
        raise RuleViolation("Related issue not found", field="relatedIssueId")
    if IssueRelation.objects.filter(issue=issue, related_issue_id=related_issue_id, type=type).exists():
        raise Conflict("This relation already exists", field="relatedIssueId")
    if type in IssueRelation.BLOCKING_TYPES:
        blocked_id, blocker_id = blocking.blocked_and_blocker(type, issue.pk, related_issue_id)
        if blocking.would_close_cycle(blocked_id=blocked_id, blocker_id=blocker_id):
            raise RuleViolation(
                "This relation would close a blocking cycle, so none of its issues could run",
                field="relatedIssueId",
            )
    try:
        with transaction.atomic():
            relation = IssueRelation.objects.create(
                issue=issue, related_issue_id=related_issue_id, type=type
            )
    except IntegrityError:
        raise Conflict("This relation already exists", field="relatedIssueId") from None
    if type in IssueRelation.BLOCKING_TYPES:
        blocking.refresh_blocked([blocked_id])
    record_event(
        issue,
        kind=IssueEvent.Kind.RELATION_ADDED,
        actor=actor,
        changes={"relation": (None, f"{type} {related_issue_id}")},
    )
    return relation


@transaction.atomic
def remove_relation(*, relation_id: str, actor: str) -> None:
    try:
        relation = IssueRelation.objects.select_related("issue").get(pk=relation_id)
    except IssueRelation.DoesNotExist:
        raise NotFound("Relation not found") from None
    relation.delete()
    if relation.type in IssueRelation.BLOCKING_TYPES:
        blocked_id, _ = blocking.blocked_and_blocker(
            relation.type, relation.issue_id, relation.related_issue_id
        )
        blocking.refresh_blocked([blocked_id])
    record_event(
        relation.issue,
        kind=IssueEvent.Kind.RELATION_REMOVED,
        actor=actor,
        changes={"relation": (f"{relation.type} {relation.related_issue_id}", None)},
    )


# --- comments --------------------------------------------------------------------------------


@transaction.atomic
def add_comment(
    *, issue_id: str, body: str, author_name: str, author_type: str, parent_id: str | None = None
) -> Comment:
    issue = _live_issue(issue_id)
    if parent_id is not None and not Comment.objects.filter(pk=parent_id, issue=issue).exists():
        raise RuleViolation("Parent comment not found on this issue", field="parentId")
    return Comment.objects.create(
        issue=issue, body=body, author_name=author_name, author_type=author_type, parent_id=parent_id
    )


# --- labels ----------------------------------------------------------------------------------


@transaction.atomic
def create_label(*, name: str, color: str | None = None) -> Label:
    if Label.objects.filter(name=name).exists():
        raise Conflict(f"A label named '{name}' already exists", field="name")
    try:
        with transaction.atomic():
            return Label.objects.create(name=name, **({"color": color} if color else {}))
    except IntegrityError:
        raise Conflict(f"A label named '{name}' already exists", field="name") from None


def get_or_create_label(*, name: str, color: str | None = None) -> Label:
    label = Label.objects.filter(name=name).first()
    return label or create_label(name=name, color=color)


@transaction.atomic
def delete_label(*, label_id: str) -> None:
    updated = Label.objects.filter(pk=label_id).update(deleted_at=timezone.now())
    if not updated:
        raise NotFound("Label not found")
    IssueLabel.objects.filter(label_id=label_id).delete()


# --- projects and goals ----------------------------------------------------------------------


def _shift_project_ranks(project_ids: Iterable[str | None], before: dict[str | None, bool]) -> None:
    """After goal changes, move the rank of every issue in projects whose active-goal state flipped
    (one UPDATE per project: the goal bonus is a constant part of the rank)."""
    for project_id in set(project_ids):
        if project_id is None:
            continue
        now_active = project_has_active_goal(project_id)
        if now_active != before[project_id]:
            delta = -GOAL_BONUS if now_active else GOAL_BONUS
            Issue.all_objects.filter(project_id=project_id).update(
                dispatch_rank=F("dispatch_rank") + delta
            )


@transaction.atomic
def create_project(**fields: Any) -> Project:
    goal_id = fields.get("goal_id")
    if goal_id is not None and not Goal.objects.filter(pk=goal_id).exists():
        raise RuleViolation("Goal not found", field="goalId")
    return Project.objects.create(**fields)


@transaction.atomic
def update_project(*, project_id: str, changes: dict[str, Any]) -> Project:
    try:
        project = Project.objects.select_for_update().get(pk=project_id)
    except Project.DoesNotExist:
        raise NotFound("Project not found") from None
    goal_id = changes.get("goal_id")
    if goal_id is not None and not Goal.objects.filter(pk=goal_id).exists():
        raise RuleViolation("Goal not found", field="goalId")
    for field, value in changes.items():
        setattr(project, field, value)
    project.save()
    return project


@transaction.atomic
def delete_project(*, project_id: str) -> None:
    if not Project.objects.filter(pk=project_id).update(deleted_at=timezone.now()):
        raise NotFound("Project not found")


@transaction.atomic
def create_goal(**fields: Any) -> Goal:
    project_id = fields.get("project_id")
    _validate_project(project_id)
    before = {project_id: project_has_active_goal(project_id)}
    goal = Goal.objects.create(**fields)
    _shift_project_ranks([project_id], before)
    return goal


@transaction.atomic
def update_goal(*, goal_id: str, changes: dict[str, Any]) -> Goal:
    try:
        goal = Goal.objects.select_for_update().get(pk=goal_id)
    except Goal.DoesNotExist:
        raise NotFound("Goal not found") from None
    if "project_id" in changes and changes["project_id"] != goal.project_id:
        _validate_project(changes["project_id"])
    affected = {goal.project_id, changes.get("project_id", goal.project_id)}
    before = {project_id: project_has_active_goal(project_id) for project_id in affected}
    for field, value in changes.items():
        setattr(goal, field, value)
    goal.save()
    _shift_project_ranks(affected, before)
    return goal


@transaction.atomic
def delete_goal(*, goal_id: str) -> None:
    try:
        goal = Goal.objects.select_for_update().get(pk=goal_id)
    except Goal.DoesNotExist:
        raise NotFound("Goal not found") from None
    before = {goal.project_id: project_has_active_goal(goal.project_id)}
    goal.deleted_at = timezone.now()
    goal.save(update_fields=["deleted_at", "updated_at"])
    _shift_project_ranks([goal.project_id], before)
