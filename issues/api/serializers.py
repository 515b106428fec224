"""Wire shapes for the core schema. camelCase lives only here; ``<Thing>Out`` serializers render
rows exactly as upstream's OpenAPI components (Issue, Label, IssueRelation, Comment, Project,
Goal); ``<Thing>In`` serializers (below the outputs) validate request bodies."""
from __future__ import annotations

from rest_framework import serializers

from issues.models import Comment, Goal, Issue, IssueRelation, Label, Project


class HypothesisOut(serializers.Serializer):
    statement = serializers.CharField()
    confidence = serializers.FloatField(min_value=0, max_value=1)
    evidence = serializers.ListField(child=serializers.CharField())
    validationCriteria = serializers.CharField()
    prediction = serializers.CharField(required=False)


class IssueOut(serializers.ModelSerializer):
    parentId = serializers.CharField(source="parent_id", allow_null=True)
    projectId = serializers.CharField(source="project_id", allow_null=True)
    signalSource = serializers.CharField(source="signal_source", allow_null=True)
    signalPayload = serializers.JSONField(source="signal_payload", allow_null=True)
    hypothesis = serializers.JSONField(allow_null=True)
    agentSessionId = serializers.CharField(source="agent_session_id", allow_null=True)
    agentSummary = serializers.CharField(source="agent_summary", allow_null=True)
    commits = serializers.JSONField(allow_null=True)
    pullRequests = serializers.JSONField(source="pull_requests", allow_null=True)
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
