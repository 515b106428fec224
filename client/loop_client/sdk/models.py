"""Typed objects for what the API returns.

Attributes are snake_case (``issue.parent_id``); the wire's camelCase names are their aliases, so
``model.to_wire()`` gives back exactly the JSON shape the server sent. Fields the server adds later
are kept (``extra="allow"``) and appear in ``to_wire()`` too, so a newer server never breaks an
older client. Enumerations are plain strings on the models for the same reason; the ``StrEnum``
classes below name the known values for callers.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class IssueType(StrEnum):
    SIGNAL = "signal"
    HYPOTHESIS = "hypothesis"
    PLAN = "plan"
    TASK = "task"
    MONITOR = "monitor"


class IssueStatus(StrEnum):
    TRIAGE = "triage"
    BACKLOG = "backlog"
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELED = "canceled"


class Priority:
    NONE = 0
    URGENT = 1
    HIGH = 2
    MEDIUM = 3
    LOW = 4

    LABELS = {0: "none", 1: "urgent", 2: "high", 3: "medium", 4: "low"}


class RelationType(StrEnum):
    BLOCKS = "blocks"
    BLOCKED_BY = "blocked_by"
    RELATED = "related"
    DUPLICATE = "duplicate"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class AuthorType(StrEnum):
    HUMAN = "human"
    AGENT = "agent"


FINISHED_STATUSES = frozenset({IssueStatus.DONE, IssueStatus.CANCELED})


class LoopModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    def to_wire(self) -> dict[str, Any]:
        """The object as the API spells it: camelCase keys, ISO timestamps, extra fields kept."""
        return self.model_dump(mode="json", by_alias=True)


# --- issues ---------------------------------------------------------------------------------


class Hypothesis(LoopModel):
    statement: str
    confidence: float
    evidence: list[str] = Field(default_factory=list)
    validation_criteria: str = ""
    prediction: str | None = None


class CommitRef(LoopModel):
    sha: str
    message: str
    url: str | None = None
    author: str | None = None
    timestamp: str | None = None


class PullRequestRef(LoopModel):
    number: int
    title: str
    url: str | None = None
    state: str | None = None
    merged_at: str | None = None


class IssueRef(LoopModel):
    """The few fields every view of an issue has (dispatch answers only these)."""

    id: str
    number: int
    title: str
    type: str
    status: str | None = None
    priority: int = 0

    @property
    def priority_label(self) -> str:
        return Priority.LABELS.get(self.priority, "unknown")

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class Issue(IssueRef):
    description: str | None = None
    parent_id: str | None = None
    project_id: str | None = None
    signal_source: str | None = None
    signal_payload: dict[str, Any] | None = None
    hypothesis: Hypothesis | None = None
    agent_session_id: str | None = None
    agent_summary: str | None = None
    commits: list[CommitRef] | None = None
    pull_requests: list[PullRequestRef] | None = None
    completed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None


class Label(LoopModel):
    id: str
    name: str
    color: str
    created_at: datetime | None = None
    deleted_at: datetime | None = None


class Relation(LoopModel):
    id: str
    type: str
    issue_id: str
    related_issue_id: str
    created_at: datetime | None = None


class Comment(LoopModel):
    id: str
    body: str
    issue_id: str
    author_name: str
    author_type: str
    parent_id: str | None = None
    created_at: datetime | None = None
    replies: list[Comment] = Field(default_factory=list)


class IssueDetail(Issue):
    """``GET /api/issues/{id}``: the issue with its parent, children, labels and relations.

    ``relations`` are the ones this issue holds; Loop adds ``inverse_relations`` (held by other
    issues towards this one) and the comment threads."""

    parent: Issue | None = None
    children: list[Issue] = Field(default_factory=list)
    labels: list[Label] = Field(default_factory=list)
    relations: list[Relation] = Field(default_factory=list)
    inverse_relations: list[Relation] = Field(default_factory=list)
    comments: list[Comment] = Field(default_factory=list)

    @property
    def has_comments(self) -> bool:
        """Whether the server sent the comment threads (older servers do not)."""
        return "comments" in self.model_fields_set

    def all_relations(self) -> list[Relation]:
        seen: dict[str, Relation] = {}
        for rel in [*self.relations, *self.inverse_relations]:
            seen.setdefault(rel.id, rel)
        return list(seen.values())

    def blocker_ids(self) -> set[str]:
        """Ids of issues this one waits for, whichever side stored the relation."""
        ids = set()
        for rel in self.all_relations():
            if rel.type == RelationType.BLOCKED_BY and rel.issue_id == self.id:
                ids.add(rel.related_issue_id)
            elif rel.type == RelationType.BLOCKS and rel.related_issue_id == self.id:
                ids.add(rel.issue_id)
        return ids

    def blocked_ids(self) -> set[str]:
        """Ids of issues that wait for this one, whichever side stored the relation."""
        ids = set()
        for rel in self.all_relations():
            if rel.type == RelationType.BLOCKS and rel.issue_id == self.id:
                ids.add(rel.related_issue_id)
            elif rel.type == RelationType.BLOCKED_BY and rel.related_issue_id == self.id:
                ids.add(rel.issue_id)
        return ids


# --- projects, goals ------------------------------------------------------------------------


class Goal(LoopModel):
    id: str
    title: str
    description: str | None = None
    metric: str | None = None
    target_value: float | None = None
    current_value: float | None = None
    unit: str | None = None
    status: str = "active"
    project_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None


class Project(LoopModel):
    id: str
    name: str
    description: str | None = None
    status: str = "backlog"
    health: str = "on_track"
    goal_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None


class ProjectDetail(Project):
    goal: Goal | None = None
    issue_counts: dict[str, int] = Field(default_factory=dict)


# --- signals --------------------------------------------------------------------------------


class Signal(LoopModel):
    id: str
    source: str
    source_id: str | None = None
    type: str
    severity: str
    payload: dict[str, Any] = Field(default_factory=dict)
    issue_id: str | None = None
    created_at: datetime | None = None


class SignalIngest(LoopModel):
    """``POST /api/signals``: the stored signal and the issue it opened."""

    signal: Signal
    issue: Issue


# --- templates and reviews ------------------------------------------------------------------


class PromptVersion(LoopModel):
    id: str
    template_id: str
    version: int
    content: str = ""
    changelog: str | None = None
    author_type: str = "human"
    author_name: str = ""
    status: str = "draft"
    usage_count: int = 0
    completion_rate: float | None = None
    avg_duration_ms: float | None = None
    review_score: float | None = None
    created_at: datetime | None = None


class Template(LoopModel):
    id: str
    slug: str
    name: str
    description: str | None = None
    conditions: dict[str, Any] = Field(default_factory=dict)
    specificity: int = 10
    project_id: str | None = None
    active_version_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None


class TemplateDetail(Template):
    active_version: PromptVersion | None = None


class PromptReview(LoopModel):
    id: str
    version_id: str
    issue_id: str
    clarity: int
    completeness: int
    relevance: int
    feedback: str | None = None
    author_type: str = "agent"
    created_at: datetime | None = None

    @property
    def composite(self) -> float:
        return (self.clarity + self.completeness + self.relevance) / 3


class PreviewTemplate(LoopModel):
    id: str
    slug: str
    name: str | None = None
    conditions: dict[str, Any] = Field(default_factory=dict)
    specificity: int = 0


class PreviewVersion(LoopModel):
    id: str
    version: int


class TemplatePreview(LoopModel):
    """``GET /api/templates/preview/{issueId}``: what dispatch would hand out, without claiming."""

    issue: IssueRef
    template: PreviewTemplate | None = None
    version: PreviewVersion | None = None
    prompt: str | None = None
    message: str | None = None


# --- dispatch -------------------------------------------------------------------------------


class PromptMeta(LoopModel):
    template_slug: str
    template_id: str
    version_id: str
    version_number: int
    review_url: str | None = None
    error: str | None = None


class DispatchClaim(LoopModel):
    """``GET /api/dispatch/next``: the claimed issue, its prompt and the lease to keep it."""

    issue: IssueRef
    prompt: str | None = None
    meta: PromptMeta | None = None
    claim_token: str | None = None
    lease_expires_at: datetime | None = None


class ScoreBreakdown(LoopModel):
    priority_weight: float = 0
    goal_bonus: float = 0
    age_bonus: float = 0
    type_bonus: float = 0


class QueueEntry(LoopModel):
    issue: Issue
    score: float
    breakdown: ScoreBreakdown = Field(default_factory=ScoreBreakdown)


class Lease(LoopModel):
    issue_id: str
    lease_expires_at: datetime


# --- dashboard and service ------------------------------------------------------------------


class IssueStats(LoopModel):
    total: int = 0
    by_status: dict[str, int] = Field(default_factory=dict)
    by_type: dict[str, int] = Field(default_factory=dict)


class GoalStats(LoopModel):
    total: int = 0
    active: int = 0
    achieved: int = 0


class DispatchStats(LoopModel):
    queue_depth: int = 0
    active_count: int = 0
    completed_last24h: int = Field(default=0, alias="completedLast24h")


class DashboardStats(LoopModel):
    issues: IssueStats = Field(default_factory=IssueStats)
    goals: GoalStats = Field(default_factory=GoalStats)
    dispatch: DispatchStats = Field(default_factory=DispatchStats)


class ActivityChild(LoopModel):
    issue: Issue
    relations: list[Relation] = Field(default_factory=list)


class ActivityChain(LoopModel):
    root: Issue
    children: list[ActivityChild] = Field(default_factory=list)
    latest_activity: datetime | None = None


class ReviewSummary(LoopModel):
    total_reviews: int = 0
    avg_clarity: float | None = None
    avg_completeness: float | None = None
    avg_relevance: float | None = None
    composite_score: float | None = None


class TemplateHealth(LoopModel):
    template: Template
    active_version: PromptVersion | None = None
    recent_versions: list[PromptVersion] = Field(default_factory=list)
    review_summary: ReviewSummary = Field(default_factory=ReviewSummary)
    needs_attention: bool = False


class Health(LoopModel):
    ok: bool
    service: str | None = None
    timestamp: datetime | None = None


class ServiceInfo(LoopModel):
    name: str
    version: str | None = None
