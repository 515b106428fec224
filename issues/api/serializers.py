"""Wire shapes for the core schema. camelCase lives only here; ``<Thing>Out`` serializers render
rows exactly as upstream's OpenAPI components (Issue, Label, IssueRelation, Comment, Project,
Goal); ``<Thing>In`` serializers (below the outputs) validate request bodies."""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from issues.api.fields import (
    IdField,
    text_problem,
    JsonObjectField,
    StrictCharField,
    StrictChoiceField,
    StrictFloatField,
    StrictIntegerField,
)
from issues.models import Comment, Goal, Issue, IssueRelation, Label, Project
from loop_project.api import wire_datetime, wire_text


class HypothesisOut(serializers.Serializer):
    statement = serializers.CharField()
    confidence = serializers.FloatField(min_value=0, max_value=1)
    evidence = serializers.ListField(child=serializers.CharField())
    validationCriteria = serializers.CharField()
    prediction = serializers.CharField(required=False)


class CommitRefOut(serializers.Serializer):
    sha = serializers.CharField()
    message = serializers.CharField()
    url = serializers.CharField(required=False)
    author = serializers.CharField(required=False)
    timestamp = serializers.CharField(required=False)


class PullRequestRefOut(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField(required=False)
    state = serializers.CharField(required=False)
    mergedAt = serializers.CharField(required=False, allow_null=True)


# The agent-written JSON columns are rendered exactly as stored (a typed serializer would drop or
# choke on keys it does not know); the schema still documents their shape.
@extend_schema_field(HypothesisOut(allow_null=True))
class HypothesisJSONField(serializers.JSONField):
    pass


@extend_schema_field(CommitRefOut(many=True, allow_null=True))
class CommitsJSONField(serializers.JSONField):
    pass


@extend_schema_field(PullRequestRefOut(many=True, allow_null=True))
class PullRequestsJSONField(serializers.JSONField):
    pass


@extend_schema_field({"type": "object", "additionalProperties": {}, "nullable": True})
class JSONObjectOutField(serializers.JSONField):
    pass


def issue_representation(issue: Issue) -> dict[str, Any]:
    """``IssueOut``'s JSON for one issue, built directly. Issues are rendered on every hot path
    (dispatch completions, lists, the queue page: 50 per page), and DRF's field-by-field
    machinery costs ~1 ms per issue; this is the same output for a fraction of that
    (tests/issues/test_serializers.py compares the two on varied issues)."""
    return {
        "id": wire_text(issue.pk),
        "number": issue.number,
        "title": wire_text(issue.title),
        "description": wire_text(issue.description),
        "type": wire_text(issue.type),
        "status": wire_text(issue.status),
        "priority": None if issue.priority is None else int(issue.priority),
        "parentId": wire_text(issue.parent_id),
        "projectId": wire_text(issue.project_id),
        "signalSource": wire_text(issue.signal_source),
        "signalPayload": issue.signal_payload,
        "hypothesis": issue.hypothesis,
        "agentSessionId": wire_text(issue.agent_session_id),
        "agentSummary": wire_text(issue.agent_summary),
        "commits": issue.commits,
        "pullRequests": issue.pull_requests,
        "completedAt": wire_datetime(issue.completed_at),
        "createdAt": wire_datetime(issue.created_at),
        "updatedAt": wire_datetime(issue.updated_at),
        "deletedAt": wire_datetime(issue.deleted_at),
    }


class IssueOut(serializers.ModelSerializer):
    """The declared fields document the shape (OpenAPI); rendering goes through
    ``issue_representation``."""

    parentId = serializers.CharField(source="parent_id", allow_null=True)
    projectId = serializers.CharField(source="project_id", allow_null=True)
    signalSource = serializers.CharField(source="signal_source", allow_null=True)
    signalPayload = JSONObjectOutField(source="signal_payload", allow_null=True)
    hypothesis = HypothesisJSONField(allow_null=True)
    agentSessionId = serializers.CharField(source="agent_session_id", allow_null=True)
    agentSummary = serializers.CharField(source="agent_summary", allow_null=True)
    commits = CommitsJSONField(allow_null=True)
    pullRequests = PullRequestsJSONField(source="pull_requests", allow_null=True)
    completedAt = serializers.DateTimeField(source="completed_at", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    deletedAt = serializers.DateTimeField(source="deleted_at", allow_null=True)

    class Meta:
        model = Issue
        fields = [
            "id", "number", "title", "description", "type", "status", "priority", "parentId",
            "projectId", "signalSource", "signalPayload", "hypothesis", "agentSessionId",
            "agentSummary", "commits", "pullRequests", "completedAt", "createdAt", "updatedAt",
            "deletedAt",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Issue) -> dict[str, Any]:
        return issue_representation(instance)


class LabelOut(serializers.ModelSerializer):
    createdAt = serializers.DateTimeField(source="created_at")
    deletedAt = serializers.DateTimeField(source="deleted_at", allow_null=True)

    class Meta:
        model = Label
        fields = ["id", "name", "color", "createdAt", "deletedAt"]
        read_only_fields = fields


class IssueRelationOut(serializers.ModelSerializer):
    issueId = serializers.CharField(source="issue_id")
    relatedIssueId = serializers.CharField(source="related_issue_id")
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = IssueRelation
        fields = ["id", "type", "issueId", "relatedIssueId", "createdAt"]
        read_only_fields = fields


class CommentOut(serializers.ModelSerializer):
    issueId = serializers.CharField(source="issue_id")
    authorName = serializers.CharField(source="author_name")
    authorType = serializers.CharField(source="author_type")
    parentId = serializers.CharField(source="parent_id", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Comment
        fields = ["id", "body", "issueId", "authorName", "authorType", "parentId", "createdAt"]
        read_only_fields = fields


class ProjectOut(serializers.ModelSerializer):
    goalId = serializers.CharField(source="goal_id", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    deletedAt = serializers.DateTimeField(source="deleted_at", allow_null=True)

    class Meta:
        model = Project
        fields = ["id", "name", "description", "status", "health", "goalId", "createdAt", "updatedAt", "deletedAt"]
        read_only_fields = fields


class GoalOut(serializers.ModelSerializer):
    targetValue = serializers.FloatField(source="target_value", allow_null=True)
    currentValue = serializers.FloatField(source="current_value", allow_null=True)
    projectId = serializers.CharField(source="project_id", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    deletedAt = serializers.DateTimeField(source="deleted_at", allow_null=True)

    class Meta:
        model = Goal
        fields = [
            "id", "title", "description", "metric", "targetValue", "currentValue", "unit",
            "status", "projectId", "createdAt", "updatedAt", "deletedAt",
        ]
        read_only_fields = fields


# --- additive output shapes -------------------------------------------------------------------


class IssueSignalOut(serializers.Serializer):
    """The signal that opened an issue (upstream's Signal component), shown on the issue detail."""

    id = serializers.CharField()
    source = serializers.CharField()
    sourceId = serializers.CharField(source="source_id", allow_null=True)
    type = serializers.CharField()
    severity = serializers.ChoiceField(choices=["low", "medium", "high", "critical"])
    payload = serializers.JSONField()
    issueId = serializers.CharField(source="issue_id")
    createdAt = serializers.DateTimeField(source="created_at")


class CommentThreadOut(CommentOut):
    """A top-level comment with every reply under it (replies to replies included, oldest first;
    each reply's ``parentId`` says what it answers)."""

    replies = CommentOut(many=True, source="thread_replies")

    class Meta(CommentOut.Meta):
        fields = [*CommentOut.Meta.fields, "replies"]
        read_only_fields = fields


# Renders what issues.selectors.issue_detail loads up front (live_parent, live_children, ...).
class IssueDetailOut(IssueOut):
    """An issue with its context: upstream's parent, children, labels and relations, plus
    inverseRelations (relations other issues hold to this one: "A blocks B" shows on B here), the
    threaded comments and the signal that opened the issue."""

    parent = IssueOut(source="live_parent", allow_null=True)
    children = IssueOut(many=True, source="live_children")
    labels = LabelOut(many=True, source="live_labels")
    relations = IssueRelationOut(many=True, source="outgoing_relations")
    inverseRelations = IssueRelationOut(many=True, source="incoming_relations")
    comments = CommentThreadOut(many=True, source="comment_threads")
    signal = IssueSignalOut(source="origin_signal", allow_null=True)

    # Field by field: the detail view is not a hot path, and it has nested fields of its own.
    to_representation = serializers.ModelSerializer.to_representation

    class Meta(IssueOut.Meta):
        fields = [
            *IssueOut.Meta.fields,
            "parent", "children", "labels", "relations", "inverseRelations", "comments", "signal",
        ]
        read_only_fields = fields


class IssueCountsOut(serializers.Serializer):
    """Live issues per status (every status present, zero included)."""

    triage = serializers.IntegerField()
    backlog = serializers.IntegerField()
    todo = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    done = serializers.IntegerField()
    canceled = serializers.IntegerField()


class ProjectDetailOut(ProjectOut):
    goal = GoalOut(source="live_goal", allow_null=True)
    issueCounts = IssueCountsOut(source="issue_counts")

    class Meta(ProjectOut.Meta):
        fields = [*ProjectOut.Meta.fields, "goal", "issueCounts"]
        read_only_fields = fields


# --- dashboard --------------------------------------------------------------------------------


class IssueTypeCountsOut(serializers.Serializer):
    signal = serializers.IntegerField()
    hypothesis = serializers.IntegerField()
    plan = serializers.IntegerField()
    task = serializers.IntegerField()
    monitor = serializers.IntegerField()


class IssueStatsOut(serializers.Serializer):
    total = serializers.IntegerField()
    byStatus = IssueCountsOut(source="by_status")
    byType = IssueTypeCountsOut(source="by_type")


class GoalStatsOut(serializers.Serializer):
    total = serializers.IntegerField()
    active = serializers.IntegerField()
    achieved = serializers.IntegerField()
    abandoned = serializers.IntegerField()


class DispatchStatsOut(serializers.Serializer):
    queueDepth = serializers.IntegerField(source="queue_depth", help_text="todo + backlog")
    activeCount = serializers.IntegerField(source="active_count", help_text="in_progress")
    completedLast24h = serializers.IntegerField(
        source="completed_last_24h", help_text="done, completedAt within the last 24 hours"
    )


class DashboardStatsOut(serializers.Serializer):
    issues = IssueStatsOut()
    goals = GoalStatsOut()
    dispatch = DispatchStatsOut()


class ActivityChildOut(serializers.Serializer):
    issue = IssueOut(source="*")
    relations = IssueRelationOut(many=True, source="outgoing_relations")


class ActivityChainOut(serializers.Serializer):
    """A root (parentless) issue with its children, most recently active chains first."""

    root = IssueOut(source="*")
    children = ActivityChildOut(many=True, source="live_children")
    latestActivity = serializers.DateTimeField(
        source="latest_activity", help_text="Latest updatedAt of the root and its children"
    )


# --- envelopes (for the schema; views build them with loop_project.api.data_response) ---------


def _data_envelope(name: str, serializer: serializers.BaseSerializer) -> type[serializers.Serializer]:
    """``{"data": <serializer>}`` as a named serializer class, so the schema shows the envelope."""
    return type(name, (serializers.Serializer,), {"data": serializer, "__module__": __name__})


IssueResponseOut = _data_envelope("IssueResponseOut", IssueOut())
IssueDetailResponseOut = _data_envelope("IssueDetailResponseOut", IssueDetailOut())
IssueRelationResponseOut = _data_envelope("IssueRelationResponseOut", IssueRelationOut())
CommentResponseOut = _data_envelope("CommentResponseOut", CommentOut())
CommentThreadListOut = _data_envelope("CommentThreadListOut", CommentThreadOut(many=True))
LabelResponseOut = _data_envelope("LabelResponseOut", LabelOut())
ProjectResponseOut = _data_envelope("ProjectResponseOut", ProjectOut())
ProjectDetailResponseOut = _data_envelope("ProjectDetailResponseOut", ProjectDetailOut())
GoalResponseOut = _data_envelope("GoalResponseOut", GoalOut())
DashboardStatsResponseOut = _data_envelope("DashboardStatsResponseOut", DashboardStatsOut())


class ActivityListOut(serializers.Serializer):
    data = ActivityChainOut(many=True)
    total = serializers.IntegerField(help_text="Number of chains returned (this list is not paged)")


# --- inputs -----------------------------------------------------------------------------------
# Built from issues.api.fields: a value of the wrong JSON type, an unknown enum value, a string too
# long, a NUL character → 400 naming the field. Unknown keys are ignored, as upstream does.
# ``source=`` maps each wire name to the service's keyword, so validated_data is snake_case.


class HypothesisIn(serializers.Serializer):
    statement = StrictCharField(allow_blank=True)
    confidence = StrictFloatField(min_value=0, max_value=1)
    evidence = serializers.ListField(child=StrictCharField(allow_blank=True), max_length=1000)
    validationCriteria = StrictCharField(allow_blank=True)
    prediction = StrictCharField(allow_blank=True, required=False)


class CommitRefIn(serializers.Serializer):
    sha = StrictCharField(allow_blank=True, max_length=200)
    message = StrictCharField(allow_blank=True)
    url = StrictCharField(allow_blank=True, required=False)
    author = StrictCharField(allow_blank=True, required=False)
    timestamp = StrictCharField(allow_blank=True, required=False)


class PullRequestRefIn(serializers.Serializer):
    number = StrictIntegerField(min_value=0, max_value=2**53)
    title = StrictCharField(allow_blank=True)
    url = StrictCharField(allow_blank=True, required=False)
    state = StrictCharField(allow_blank=True, required=False)
    mergedAt = StrictCharField(allow_blank=True, allow_null=True, required=False)


ISSUE_TYPES = Issue.Type.choices
ISSUE_STATUSES = Issue.Status.choices


class _IssueWriteFields(serializers.Serializer):
    """Fields POST and PATCH share (PATCH makes them all optional)."""

    description = StrictCharField(allow_blank=True, allow_null=True, required=False)
    priority = StrictIntegerField(min_value=0, max_value=4)
    parentId = IdField(source="parent_id", allow_null=True, required=False)
    projectId = IdField(source="project_id", allow_null=True, required=False)
    signalSource = StrictCharField(
        source="signal_source", max_length=100, allow_blank=True, allow_null=True, required=False
    )
    signalPayload = JsonObjectField(source="signal_payload", allow_null=True, required=False)
    hypothesis = HypothesisIn(allow_null=True, required=False)
    labelIds = serializers.ListField(
        source="label_ids", child=IdField(), required=False, max_length=100
    )
    agentSessionId = StrictCharField(
        source="agent_session_id", max_length=200, allow_blank=True, allow_null=True, required=False
    )
    agentSummary = StrictCharField(
        source="agent_summary", allow_blank=True, allow_null=True, required=False
    )
    commits = CommitRefIn(many=True, allow_null=True, required=False, max_length=1000)
    pullRequests = PullRequestRefIn(
        source="pull_requests", many=True, allow_null=True, required=False, max_length=1000
    )


class IssueCreateIn(_IssueWriteFields):
    title = StrictCharField(min_length=1, max_length=500, trim_whitespace=True)
    type = StrictChoiceField(choices=ISSUE_TYPES)
    status = StrictChoiceField(choices=ISSUE_STATUSES, default=Issue.Status.TRIAGE)
    priority = StrictIntegerField(min_value=0, max_value=4, default=Issue.Priority.NONE)


class IssueUpdateIn(_IssueWriteFields):
    title = StrictCharField(min_length=1, max_length=500, trim_whitespace=True, required=False)
    type = StrictChoiceField(choices=ISSUE_TYPES, required=False)
    status = StrictChoiceField(choices=ISSUE_STATUSES, required=False)
    priority = StrictIntegerField(min_value=0, max_value=4, required=False)
    claimToken = StrictCharField(
        source="claim_token",
        max_length=64,
        required=False,
        help_text="Your claim from GET /api/dispatch/next: the update is refused (409) if the "
        "claim was lost, so an expired agent cannot overwrite the current holder's work.",
    )


# The completion PATCH every claim ends with: {"status": "done", "claimToken": ..., plus maybe
# "agentSummary"/"agentSessionId"}. Wire key -> (validated key, max length, blank and null allowed).
_PLAIN_UPDATE_TEXT = {
    "claimToken": ("claim_token", 64, False),
    "agentSessionId": ("agent_session_id", 200, True),
    "agentSummary": ("agent_summary", None, True),
}
_PLAIN_UPDATE_ORDER = [key for key in IssueUpdateIn._declared_fields
                       if key == "status" or key in _PLAIN_UPDATE_TEXT]
_PLAIN_UPDATE_KEYS = frozenset(_PLAIN_UPDATE_ORDER)
_STATUS_VALUES = frozenset(Issue.Status.values)


def plain_issue_update_in(data: Any) -> dict[str, Any] | None:
    """``IssueUpdateIn(data=data).validated_data`` for a plainly valid completion body, without
    DRF's per-request field copies (a tenth of a claim cycle's CPU); None for anything else, which
    then goes through ``IssueUpdateIn`` for its checks and exact error messages.
    tests/issues/test_serializers.py holds the two to the same answers."""
    if type(data) is not dict or not data.keys() <= _PLAIN_UPDATE_KEYS:
        return None
    validated: dict[str, Any] = {}
    for key in _PLAIN_UPDATE_ORDER:
        if key not in data:
            continue
        value = data[key]
        if key == "status":
            if type(value) is not str or value not in _STATUS_VALUES:
                return None
            validated["status"] = value
            continue
        name, max_length, optional = _PLAIN_UPDATE_TEXT[key]
        if value is None or value == "":
            if not optional:
                return None
        elif (
            type(value) is not str
            or (max_length is not None and len(value) > max_length)
            or text_problem(value) is not None
        ):
            return None
        validated[name] = value
    return validated


class RelationIn(serializers.Serializer):
    type = StrictChoiceField(choices=IssueRelation.Type.values)
    relatedIssueId = IdField(source="related_issue_id", help_text="ID of the related issue")


class CommentIn(serializers.Serializer):
    body = StrictCharField(min_length=1)
    authorName = StrictCharField(source="author_name", min_length=1, max_length=200)
    authorType = StrictChoiceField(source="author_type", choices=Comment.AuthorType.values)
    parentId = IdField(
        source="parent_id",
        allow_null=True,
        required=False,
        help_text="Parent comment ID for threaded replies",
    )


class LabelIn(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=100, trim_whitespace=True)
    color = StrictCharField(min_length=1, max_length=50)


class ProjectCreateIn(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=500, trim_whitespace=True)
    description = StrictCharField(allow_blank=True, allow_null=True, required=False)
    status = StrictChoiceField(choices=Project.Status.choices, default=Project.Status.BACKLOG)
    health = StrictChoiceField(choices=Project.Health.choices, default=Project.Health.ON_TRACK)
    goalId = IdField(source="goal_id", allow_null=True, required=False)


class ProjectUpdateIn(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=500, trim_whitespace=True, required=False)
    description = StrictCharField(allow_blank=True, allow_null=True, required=False)
    status = StrictChoiceField(choices=Project.Status.choices, required=False)
    health = StrictChoiceField(choices=Project.Health.choices, required=False)
    goalId = IdField(source="goal_id", allow_null=True, required=False)


class _GoalWriteFields(serializers.Serializer):
    description = StrictCharField(allow_blank=True, allow_null=True, required=False)
    metric = StrictCharField(max_length=200, allow_blank=True, allow_null=True, required=False)
    targetValue = StrictFloatField(source="target_value", allow_null=True, required=False)
    currentValue = StrictFloatField(source="current_value", allow_null=True, required=False)
    unit = StrictCharField(max_length=50, allow_blank=True, allow_null=True, required=False)
    projectId = IdField(source="project_id", allow_null=True, required=False)


class GoalCreateIn(_GoalWriteFields):
    title = StrictCharField(min_length=1, max_length=500, trim_whitespace=True)
    status = StrictChoiceField(choices=Goal.Status.choices, default=Goal.Status.ACTIVE)


class GoalUpdateIn(_GoalWriteFields):
    title = StrictCharField(min_length=1, max_length=500, trim_whitespace=True, required=False)
    status = StrictChoiceField(choices=Goal.Status.choices, required=False)


class ActivityIn(serializers.Serializer):
    """Query parameters of GET /api/dashboard/activity (strings, so the stock field)."""

    limit = serializers.IntegerField(min_value=1, max_value=200, default=20)
