"""Loop's MCP tools, defined once. The stdio server (``loop-mcp``) and the hosted ``/mcp``
endpoint both list and run exactly these, through :mod:`loop_client.mcp_server.runtime`.

Every tool is a plain function over the SDK: it receives a :class:`ToolContext` (a
:class:`~loop_client.LoopClient` plus the agent's name) and its validated input model, and
returns a :class:`ToolOutput`. Tools speak only the REST API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from loop_client.sdk.client import LoopClient
from loop_client.sdk.errors import NotFoundError
from loop_client.sdk.models import FINISHED_STATUSES, IssueRef
from loop_client.sdk.resources._base import UNSET

IssueTypeName = Literal["signal", "hypothesis", "plan", "task", "monitor"]
IssueStatusName = Literal["triage", "backlog", "todo", "in_progress", "done", "canceled"]
SeverityName = Literal["low", "medium", "high", "critical"]

# Enough to act on an issue without flooding the model's context with every field.
SUMMARY_FIELDS = ("id", "number", "title", "type", "status", "priority", "parentId", "projectId")
MAX_UNBLOCKED_CHECKS = 20


@dataclass(frozen=True)
class ToolContext:
    client: LoopClient
    agent_name: str = "agent"
    # The project this server works for (``--project`` / ``?project=``): where get_next_task
    # claims from and where new issues and signals go when the call names no project.
    default_project_id: str | None = None

    def project(self, given: str | None) -> str | None:
        return given or self.default_project_id


@dataclass
class ToolOutput:
    data: dict[str, Any]
    # Extra text shown to the model beside the JSON (e.g. the prompt, unescaped).
    text: str | None = None


class ToolInput(BaseModel):
    # Unknown arguments are refused, so a misspelt `issue_id` is reported instead of ignored.
    model_config = ConfigDict(extra="forbid")


In = TypeVar("In", bound=ToolInput)


@dataclass(frozen=True)
class ToolSpec(Generic[In]):
    name: str
    title: str
    description: str
    input_model: type[In]
    handler: Callable[[ToolContext, In], ToolOutput]
    read_only: bool = False
    idempotent: bool = False
    destructive: bool = False
    claim_scoped: bool = False


TOOLS: dict[str, ToolSpec[Any]] = {}


def tool(
    name: str,
    *,
    title: str,
    description: str,
    input_model: type[In],
    read_only: bool = False,
    idempotent: bool = False,
    destructive: bool = False,
    claim_scoped: bool = False,
) -> Callable[[Callable[[ToolContext, In], ToolOutput]], Callable[[ToolContext, In], ToolOutput]]:
    def register(
        handler: Callable[[ToolContext, In], ToolOutput],
    ) -> Callable[[ToolContext, In], ToolOutput]:
        TOOLS[name] = ToolSpec(
            name=name,
            title=title,
            description=description,
            input_model=input_model,
            handler=handler,
            read_only=read_only,
            idempotent=idempotent,
            destructive=destructive,
            claim_scoped=claim_scoped,
        )
        return handler

    return register


def summary(issue: IssueRef) -> dict[str, Any]:
    wire = issue.to_wire()
    return {key: wire[key] for key in SUMMARY_FIELDS if key in wire}


def _given(value: Any) -> Any:
    """Tool inputs use None for "not given"; the SDK uses UNSET."""
    return UNSET if value is None else value


# --- dispatch -------------------------------------------------------------------------------


class GetNextTaskIn(ToolInput):
    projectId: str | None = Field(None, description="Only take work from this project.")


@tool(
    "get_next_task",
    title="Get next task",
    description=(
        "Claim the top unblocked issue from Loop's queue. Returns the issue, its prompt (your "
        "instructions), claimToken, leaseExpiresAt and meta.versionId; issue is null when the "
        "queue is empty: stop then."
    ),
    input_model=GetNextTaskIn,
)
def get_next_task(ctx: ToolContext, args: GetNextTaskIn) -> ToolOutput:
    claim = ctx.client.dispatch.next(project_id=ctx.project(args.projectId))
    if claim is None:
        return ToolOutput(
            {"issue": None, "message": "No tasks available. The dispatch queue is empty."}
        )
    data = claim.to_wire()
    data["instructions"] = (
        f"You hold issue #{claim.issue.number} until {data.get('leaseExpiresAt')}. "
        "Follow the prompt. "
        "When finished call complete_task with issueId, claimToken and a summary"
        + (", then submit_prompt_review with meta.versionId." if claim.meta else ".")
    )
    return ToolOutput(data, text=claim.prompt)


class CommitIn(ToolInput):
    sha: str
    message: str
    url: str | None = None
    author: str | None = None
    timestamp: str | None = None


class PullRequestIn(ToolInput):
    number: int
    title: str
    url: str | None = None
    state: str | None = None
    mergedAt: str | None = None


class CompleteTaskIn(ToolInput):
    issueId: str = Field(description="The issue you finished.")
    summary: str = Field(
        min_length=1, description="What you did and what you found (stored as agentSummary)."
    )
    claimToken: str | None = Field(
        None,
        description="The claimToken from get_next_task; refused if your claim was lost.",
    )
    status: Literal["done", "canceled"] = Field(
        "done", description="canceled when the work should not be done."
    )
    commits: list[CommitIn] | None = Field(None, description="Commits made for this issue.")
    pullRequests: list[PullRequestIn] | None = Field(
        None, description="Pull requests opened for this issue."
    )


@tool(
    "complete_task",
    title="Complete task",
    description=(
        "Finish a claimed issue as done (or canceled) with a summary, optional commits and pull "
        "requests. With the claimToken a lost claim is refused. Returns the issue and what it "
        "unblocked."
    ),
    input_model=CompleteTaskIn,
    idempotent=True,
    claim_scoped=True,
)
def complete_task(ctx: ToolContext, args: CompleteTaskIn) -> ToolOutput:
    issue = ctx.client.dispatch.complete(
        args.issueId,
        claim_token=args.claimToken,
        summary=args.summary,
        status=args.status,
        commits=UNSET
        if args.commits is None
        else [c.model_dump(exclude_none=True) for c in args.commits],
        pull_requests=UNSET
        if args.pullRequests is None
        else [p.model_dump(exclude_none=True) for p in args.pullRequests],
    )
    return ToolOutput(
        {"issue": summary(issue), "unblockedIssues": _newly_unblocked(ctx.client, issue.id)}
    )


def _newly_unblocked(client: LoopClient, issue_id: str) -> list[dict[str, Any]]:
    """Issues that waited for ``issue_id`` and now wait for nothing unfinished."""
    detail = client.issues.get(issue_id)
    status_cache: dict[str, str | None] = {issue_id: detail.status}

    def status_of(other_id: str) -> str | None:
        if other_id not in status_cache:
            try:
                status_cache[other_id] = client.issues.get(other_id).status
            except NotFoundError:
                status_cache[other_id] = None  # deleted blockers block nothing
        return status_cache[other_id]

    unblocked = []
    for blocked_id in sorted(detail.blocked_ids())[:MAX_UNBLOCKED_CHECKS]:
        try:
            blocked = client.issues.get(blocked_id)
        except NotFoundError:
            continue
        if blocked.is_finished:
            continue
        if all(
            status_of(b) in FINISHED_STATUSES or status_of(b) is None for b in blocked.blocker_ids()
        ):
            unblocked.append(summary(blocked))
    return unblocked


class HeartbeatTaskIn(ToolInput):
    issueId: str = Field(description="The issue you are working on.")
    claimToken: str = Field(description="The claimToken from get_next_task.")


@tool(
    "heartbeat_task",
    title="Extend lease",
    description=(
        "Extend the lease on an issue you claimed; call it before leaseExpiresAt on long work. "
        "An error means the claim is lost: stop working on that issue."
    ),
    input_model=HeartbeatTaskIn,
    idempotent=True,
    claim_scoped=True,
)
def heartbeat_task(ctx: ToolContext, args: HeartbeatTaskIn) -> ToolOutput:
    lease = ctx.client.dispatch.heartbeat(args.issueId, claim_token=args.claimToken)
    return ToolOutput(lease.to_wire())


class ReleaseTaskIn(ToolInput):
    issueId: str = Field(description="The claimed issue to hand back.")
    claimToken: str = Field(description="The claimToken from get_next_task.")
    reason: str | None = Field(
        None, description="Why you are giving it back (kept in the audit trail)."
    )


@tool(
    "release_task",
    title="Release task",
    description=(
        "Hand a claimed issue back to the queue (status todo) unfinished, with a reason; another "
        "agent can then claim it."
    ),
    input_model=ReleaseTaskIn,
    claim_scoped=True,
)
def release_task(ctx: ToolContext, args: ReleaseTaskIn) -> ToolOutput:
    issue = ctx.client.dispatch.release(
        args.issueId, claim_token=args.claimToken, reason=args.reason
    )
    return ToolOutput({"issue": summary(issue)})


# --- issues ---------------------------------------------------------------------------------


class CreateIssueIn(ToolInput):
    title: str = Field(min_length=1, max_length=500)
    type: IssueTypeName = Field("task", description="Kind of work.")
    description: str | None = None
    priority: int | None = Field(
        None, ge=0, le=4, description="0 none, 1 urgent, 2 high, 3 medium, 4 low."
    )
    status: IssueStatusName | None = Field(
        None, description="Initial status; use todo to make it dispatchable."
    )
    parentId: str | None = Field(None, description="Parent issue (one level of hierarchy only).")
    projectId: str | None = None
    labelIds: list[str] | None = None
    blockedBy: list[str] | None = Field(
        None, description="Ids of issues that must finish before this one is dispatched."
    )


@tool(
    "create_issue",
    title="Create issue",
    description=(
        "Create an issue (signal, hypothesis, plan, task or monitor). parentId nests it under "
        "an issue (one level); blockedBy keeps it out of dispatch until those issues finish."
    ),
    input_model=CreateIssueIn,
)
def create_issue(ctx: ToolContext, args: CreateIssueIn) -> ToolOutput:
    issue = ctx.client.issues.create(
        title=args.title,
        type=args.type,
        description=_given(args.description),
        priority=_given(args.priority),
        status=_given(args.status),
        parent_id=_given(args.parentId),
        project_id=_given(ctx.project(args.projectId)),
        label_ids=_given(args.labelIds),
    )
    relations = [
        ctx.client.relations.create(issue.id, type="blocked_by", related_issue_id=blocker).to_wire()
        for blocker in args.blockedBy or []
    ]
    data = summary(issue)
    if relations:
        data["relations"] = relations
    return ToolOutput(data)


class UpdateIssueIn(ToolInput):
    issueId: str
    title: str | None = Field(None, min_length=1, max_length=500)
    description: str | None = None
    type: IssueTypeName | None = None
    status: IssueStatusName | None = None
    priority: int | None = Field(
        None, ge=0, le=4, description="0 none, 1 urgent, 2 high, 3 medium, 4 low."
    )
    parentId: str | None = None
    projectId: str | None = None
    agentSummary: str | None = None
    claimToken: str | None = Field(None, description="Your claim on the issue, if you hold one.")


@tool(
    "update_issue",
    title="Update issue",
    description=(
        "Change the given fields of an issue (status, priority, type, title, description, "
        "parent, project, agentSummary). To finish claimed work use complete_task."
    ),
    input_model=UpdateIssueIn,
    idempotent=True,
)
def update_issue(ctx: ToolContext, args: UpdateIssueIn) -> ToolOutput:
    issue = ctx.client.issues.update(
        args.issueId,
        title=_given(args.title),
        description=_given(args.description),
        type=_given(args.type),
        status=_given(args.status),
        priority=_given(args.priority),
        parent_id=_given(args.parentId),
        project_id=_given(args.projectId),
        agent_summary=_given(args.agentSummary),
        claim_token=_given(args.claimToken),
    )
    return ToolOutput(summary(issue))


class ListIssuesIn(ToolInput):
    status: IssueStatusName | None = None
    type: IssueTypeName | None = None
    projectId: str | None = None
    parentId: str | None = None
    labelId: str | None = None
    priority: int | None = Field(None, ge=0, le=4)
    limit: int = Field(20, ge=1, le=200, description="Page size (1-200).")
    offset: int = Field(0, ge=0, description="Issues to skip, for the next page.")


@tool(
    "list_issues",
    title="List issues",
    description=(
        "List issues, oldest first, filtered by status, type, project, parent, label or priority."
    ),
    input_model=ListIssuesIn,
    read_only=True,
    idempotent=True,
)
def list_issues(ctx: ToolContext, args: ListIssuesIn) -> ToolOutput:
    page = ctx.client.issues.list(
        status=args.status,
        type=args.type,
        project_id=args.projectId,
        parent_id=args.parentId,
        label_id=args.labelId,
        priority=args.priority,
        limit=args.limit,
        offset=args.offset,
    )
    return ToolOutput(
        {"issues": [summary(i) for i in page.data], "total": page.total, "hasMore": page.has_more}
    )


class GetIssueIn(ToolInput):
    issueId: str
    includeComments: bool = Field(True, description="Also return the comment threads.")


@tool(
    "get_issue",
    title="Get issue",
    description=("One issue in full: fields, parent, children, labels, relations and comments."),
    input_model=GetIssueIn,
    read_only=True,
    idempotent=True,
)
def get_issue(ctx: ToolContext, args: GetIssueIn) -> ToolOutput:
    issue = ctx.client.issues.get(args.issueId)
    data = issue.to_wire()
    if not args.includeComments:
        data.pop("comments", None)
    elif not issue.has_comments:
        data["comments"] = [c.to_wire() for c in ctx.client.comments.list(args.issueId)]
    return ToolOutput(data)


class CreateCommentIn(ToolInput):
    issueId: str
    body: str = Field(min_length=1)
    parentId: str | None = Field(None, description="Reply to this comment.")
    authorName: str | None = Field(None, description="Defaults to this agent's name.")


@tool(
    "create_comment",
    title="Comment on issue",
    description=(
        "Comment on an issue as this agent: progress notes, findings, questions for people."
    ),
    input_model=CreateCommentIn,
)
def create_comment(ctx: ToolContext, args: CreateCommentIn) -> ToolOutput:
    comment = ctx.client.comments.create(
        args.issueId,
        body=args.body,
        author_name=args.authorName or ctx.agent_name,
        author_type="agent",
        parent_id=_given(args.parentId),
    )
    return ToolOutput(comment.to_wire())


# --- signals, reviews, dashboard --------------------------------------------------------------


class IngestSignalIn(ToolInput):
    source: str = Field(
        min_length=1, description='Where it comes from, e.g. "agent", "ci", "sentry".'
    )
    type: str = Field(
        min_length=1, description='What happened, e.g. "error", "metric_change", "user_feedback".'
    )
    severity: SeverityName = "medium"
    payload: dict[str, Any] = Field(
        default_factory=dict, description='Details; "message" or "title" becomes the issue title.'
    )
    sourceId: str | None = Field(None, description="The source's own id for the event.")
    projectId: str | None = None


@tool(
    "ingest_signal",
    title="Ingest signal",
    description=(
        "Report something Loop should look at (an error, a metric change, a finding). Creates a "
        "signal and the issue that tracks it; severity sets its priority."
    ),
    input_model=IngestSignalIn,
)
def ingest_signal(ctx: ToolContext, args: IngestSignalIn) -> ToolOutput:
    result = ctx.client.signals.ingest(
        source=args.source,
        type=args.type,
        severity=args.severity,
        payload=args.payload,
        source_id=_given(args.sourceId),
        project_id=_given(ctx.project(args.projectId)),
    )
    return ToolOutput({"signal": result.signal.to_wire(), "issue": summary(result.issue)})


class SubmitPromptReviewIn(ToolInput):
    issueId: str = Field(description="The issue the prompt was for.")
    versionId: str = Field(description="meta.versionId from get_next_task.")
    clarity: int = Field(ge=1, le=5, description="1-5: were the instructions unambiguous?")
    completeness: int = Field(ge=1, le=5, description="1-5: did it give everything needed?")
    relevance: int = Field(ge=1, le=5, description="1-5: did it fit this issue?")
    feedback: str | None = Field(None, description="What would make the prompt better.")


@tool(
    "submit_prompt_review",
    title="Review prompt",
    description=(
        "Rate the prompt an issue came with, 1-5 for clarity, completeness and relevance "
        "(versionId: meta.versionId from get_next_task). Poor scores make Loop open a task to "
        "improve the template."
    ),
    input_model=SubmitPromptReviewIn,
)
def submit_prompt_review(ctx: ToolContext, args: SubmitPromptReviewIn) -> ToolOutput:
    review = ctx.client.reviews.create(
        version_id=args.versionId,
        issue_id=args.issueId,
        clarity=args.clarity,
        completeness=args.completeness,
        relevance=args.relevance,
        feedback=args.feedback,
        author_type="agent",
    )
    return ToolOutput(review.to_wire())


class GetDashboardIn(ToolInput):
    pass


@tool(
    "get_dashboard",
    title="Dashboard",
    description=("Issue counts by status and type, goal progress and the dispatch queue's depth."),
    input_model=GetDashboardIn,
    read_only=True,
    idempotent=True,
)
def get_dashboard(ctx: ToolContext, args: GetDashboardIn) -> ToolOutput:
    return ToolOutput(ctx.client.dashboard.stats().to_wire())


# --- profiles ---------------------------------------------------------------------------------

# Every listed tool's schema rides along in the agent's context on every turn, so a server can
# offer fewer. `core` is what an agent working the queue needs; `all` is everything above.
CORE_TOOLS = (
    "get_next_task",
    "heartbeat_task",
    "complete_task",
    "create_comment",
    "create_issue",
    "submit_prompt_review",
)
PROFILES: dict[str, tuple[str, ...]] = {"core": CORE_TOOLS, "all": tuple(TOOLS)}
DEFAULT_PROFILE = "all"


def profile_tools(profile: str) -> tuple[str, ...]:
    """The tool names ``profile`` offers; ValueError names the valid profiles."""
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown tool profile {profile!r}: use {' or '.join(PROFILES)}") from None
