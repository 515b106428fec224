"""The core REST resources: issues, relations, comments, labels, projects, goals, dashboard.

Thin views: validate the body with an ``<Thing>In`` serializer, call one service (writes) or one
selector (reads), render with an ``<Thing>Out`` serializer in upstream's envelope. Errors are
raised, never built here: ``loop_project.api.exception_handler`` turns them into the one format.
"""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from issues import selectors, services
from issues.api import serializers as s
from issues.api.fields import MAX_ID_LENGTH, text_problem
from issues.api.filters import IssueFilter
from issues.audit import actor_for_user
from issues.models import Goal, Issue, Label, Project
from loop_project.api import ErrorOut, LoopJSONParser, data_response
from loop_project.errors import NotFound

# --- schema helpers --------------------------------------------------------------------------

_ERROR_DESCRIPTIONS = {
    400: "The request does not fit the schema (wrong type, unknown value, too long, malformed "
    "JSON); `details.fieldErrors` names the field",
    401: "Missing or invalid API key",
    403: "The API key lacks the scope this operation needs",
    409: "Conflicts with existing state",
    422: "Well-formed but breaks a rule",
}


def _errors(*codes: int, **described: str) -> dict[int, OpenApiResponse]:
    """Error responses for the schema: each ``code`` with its usual description, or the one given
    as ``e404="Issue not found"``."""
    responses = {code: OpenApiResponse(ErrorOut, description=_ERROR_DESCRIPTIONS[code]) for code in codes}
    for key, description in described.items():
        responses[int(key.lstrip("e"))] = OpenApiResponse(ErrorOut, description=description)
    return responses


_READ = (401, 403)
_WRITE = (400, 401, 403)
_NO_CONTENT = OpenApiResponse(description="Deleted")


def _path_id(value: str, what: str) -> str:
    """A path id that cannot name a row (too long, NUL, unencodable) is simply not found; checking
    here keeps such strings away from the database driver."""
    if len(value) > MAX_ID_LENGTH or text_problem(value):
        raise NotFound(f"{what} not found")
    return value


def _actor(request: Request) -> str:
    return actor_for_user(request.user)


def _valid(serializer_class: type, data: Any, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _plain(value: Any) -> Any:
    """validated_data nests OrderedDicts; store plain JSON values."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class _Api(APIView):
    # Deeply nested JSON is a 400, not a RecursionError (see LoopJSONParser).
    parser_classes = [LoopJSONParser]


class _ListApi(GenericAPIView):
    """A paged list (``LoopPagination``) that may also accept POST."""

    parser_classes = [LoopJSONParser]


# --- issues ----------------------------------------------------------------------------------


class IssueListApi(_ListApi):
    filterset_class = IssueFilter
    serializer_class = s.IssueOut

    def get_queryset(self) -> QuerySet[Issue]:
        return selectors.issue_list()

    @extend_schema(
        tags=["Issues"],
        operation_id="issues_list",
        summary="List issues",
        description="Live issues, oldest first (as upstream), filtered by status and type "
        "(comma-separated lists), projectId, labelId, priority and parentId; paged by "
        "limit (1-200, default 50) and offset.",
        responses={200: s.IssueOut(many=True), **_errors(*_WRITE)},
    )
    def get(self, request: Request) -> Response:
        issues = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(s.IssueOut(issues, many=True).data)

    @extend_schema(
        tags=["Issues"],
        operation_id="issues_create",
        summary="Create an issue",
        request=s.IssueCreateIn,
        responses={
            201: s.IssueResponseOut,
            **_errors(*_WRITE, e422="Parent, project or label not found, or parent hierarchy violation"),
        },
    )
    def post(self, request: Request) -> Response:
        fields = _plain(_valid(s.IssueCreateIn, request.data))
        issue = services.create_issue(actor=_actor(request), **fields)
        return data_response(s.IssueOut(issue).data, status.HTTP_201_CREATED)


class IssueDetailApi(_Api):
    @extend_schema(
        tags=["Issues"],
        operation_id="issues_retrieve",
        summary="Get issue by ID",
        description="The issue with its parent, children, labels and relations (as upstream), "
        "plus inverseRelations, threaded comments and the signal that opened it.",
        responses={200: s.IssueDetailResponseOut, **_errors(*_READ, e404="Issue not found")},
    )
    def get(self, request: Request, id: str) -> Response:
        issue = selectors.issue_detail(issue_id=_path_id(id, "Issue"))
        return data_response(s.IssueDetailOut(issue).data)

    @extend_schema(
        tags=["Issues"],
        operation_id="issues_partial_update",
        summary="Update an issue",
        description="Partial update. Moving to done or canceled sets completedAt; reopening "
        "clears it. With claimToken the update only applies while that claim still holds "
        "(else 409). labelIds replaces the issue's labels.",
        request=s.IssueUpdateIn,
        responses={
            200: s.IssueResponseOut,
            **_errors(
                *_WRITE,
                e404="Issue not found",
                e409="Claim lost: the claimToken no longer holds this issue",
                e422="Parent, project or label not found, or parent hierarchy violation",
            ),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        issue_id = _path_id(id, "Issue")
        changes = _plain(_valid(s.IssueUpdateIn, request.data))
        label_ids = changes.pop("label_ids", None)
        claim_token = changes.pop("claim_token", None)
        issue = services.update_issue(
            issue_id=issue_id,
            actor=_actor(request),
            changes=changes,
            label_ids=label_ids,
            claim_token=claim_token,
        )
        return data_response(s.IssueOut(issue).data)

    @extend_schema(
        tags=["Issues"],
        operation_id="issues_destroy",
        summary="Soft-delete an issue",
        description="The issue disappears from lists, gets and dispatch; issues it blocked are "
        "unblocked.",
        responses={204: _NO_CONTENT, **_errors(*_READ, e404="Issue not found")},
    )
    def delete(self, request: Request, id: str) -> Response:
        services.delete_issue(issue_id=_path_id(id, "Issue"), actor=_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- relations -------------------------------------------------------------------------------


class IssueRelationCreateApi(_Api):
    @extend_schema(
        tags=["Relations"],
        operation_id="issues_relations_create",
        summary="Create a relation between two issues",
        description="`A blocks B` and `B blocked_by A` mean the same thing for dispatch.",
        request=s.RelationIn,
        responses={
            201: s.IssueRelationResponseOut,
            **_errors(
                *_WRITE,
                e404="Issue not found",
                e409="The same relation already exists",
                e422="Related issue not found, self-relation, or a blocking cycle",
            ),
        },
    )
    def post(self, request: Request, id: str) -> Response:
        issue_id = _path_id(id, "Issue")
        fields = _valid(s.RelationIn, request.data)
        relation = services.add_relation(issue_id=issue_id, actor=_actor(request), **fields)
        return data_response(s.IssueRelationOut(relation).data, status.HTTP_201_CREATED)


class RelationDetailApi(_Api):
    @extend_schema(
        tags=["Relations"],
        operation_id="relations_destroy",
        summary="Hard-delete a relation",
        responses={204: _NO_CONTENT, **_errors(*_READ, e404="Relation not found")},
    )
    def delete(self, request: Request, id: str) -> Response:
        services.remove_relation(relation_id=_path_id(id, "Relation"), actor=_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- comments --------------------------------------------------------------------------------


class IssueCommentsApi(_Api):
    @extend_schema(
        tags=["Comments"],
        operation_id="issues_comments_list",
        summary="List comments for an issue",
        description="Top-level comments oldest first, each with its replies (not paged).",
        responses={200: s.CommentThreadListOut, **_errors(*_READ, e404="Issue not found")},
    )
    def get(self, request: Request, id: str) -> Response:
        threads = selectors.issue_comment_threads(issue_id=_path_id(id, "Issue"))
        return data_response(s.CommentThreadOut(threads, many=True).data)

    @extend_schema(
        tags=["Comments"],
        operation_id="issues_comments_create",
        summary="Add a comment to an issue",
        request=s.CommentIn,
        responses={
            201: s.CommentResponseOut,
            **_errors(*_WRITE, e404="Issue not found", e422="Parent comment not found on this issue"),
        },
    )
    def post(self, request: Request, id: str) -> Response:
        issue_id = _path_id(id, "Issue")
        fields = _valid(s.CommentIn, request.data)
        comment = services.add_comment(issue_id=issue_id, **fields)
        return data_response(s.CommentOut(comment).data, status.HTTP_201_CREATED)


# --- labels ----------------------------------------------------------------------------------


class LabelListApi(_ListApi):
    serializer_class = s.LabelOut

    def get_queryset(self) -> QuerySet[Label]:
        return selectors.label_list()

    @extend_schema(
        tags=["Labels"],
        operation_id="labels_list",
        summary="List labels",
        description="Live labels by name, paged by limit (1-200, default 50) and offset.",
        responses={200: s.LabelOut(many=True), **_errors(*_WRITE)},
    )
    def get(self, request: Request) -> Response:
        labels = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.LabelOut(labels, many=True).data)

    @extend_schema(
        tags=["Labels"],
        operation_id="labels_create",
        summary="Create a label",
        request=s.LabelIn,
        responses={201: s.LabelResponseOut, **_errors(*_WRITE, e409="Label name already exists")},
    )
    def post(self, request: Request) -> Response:
        label = services.create_label(**_valid(s.LabelIn, request.data))
        return data_response(s.LabelOut(label).data, status.HTTP_201_CREATED)


class LabelDetailApi(_Api):
    @extend_schema(
        tags=["Labels"],
        operation_id="labels_destroy",
        summary="Soft-delete a label",
        description="The label disappears from lists and from the issues that carried it.",
        responses={204: _NO_CONTENT, **_errors(*_READ, e404="Label not found")},
    )
    def delete(self, request: Request, id: str) -> Response:
        services.delete_label(label_id=_path_id(id, "Label"))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- projects --------------------------------------------------------------------------------


class ProjectListApi(_ListApi):
    serializer_class = s.ProjectOut

    def get_queryset(self) -> QuerySet[Project]:
        return selectors.project_list()

    @extend_schema(
        tags=["Projects"],
        operation_id="projects_list",
        summary="List projects",
        description="Live projects, oldest first, paged by limit (1-200, default 50) and offset.",
        responses={200: s.ProjectOut(many=True), **_errors(*_WRITE)},
    )
    def get(self, request: Request) -> Response:
        projects = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.ProjectOut(projects, many=True).data)

    @extend_schema(
        tags=["Projects"],
        operation_id="projects_create",
        summary="Create a project",
        request=s.ProjectCreateIn,
        responses={201: s.ProjectResponseOut, **_errors(*_WRITE, e422="Goal not found")},
    )
    def post(self, request: Request) -> Response:
        project = services.create_project(**_valid(s.ProjectCreateIn, request.data))
        return data_response(s.ProjectOut(project).data, status.HTTP_201_CREATED)


class ProjectDetailApi(_Api):
    @extend_schema(
        tags=["Projects"],
        operation_id="projects_retrieve",
        summary="Get project by ID",
        description="The project with its goal and its live issues counted by status.",
        responses={200: s.ProjectDetailResponseOut, **_errors(*_READ, e404="Project not found")},
    )
    def get(self, request: Request, id: str) -> Response:
        project = selectors.project_detail(project_id=_path_id(id, "Project"))
        return data_response(s.ProjectDetailOut(project).data)

    @extend_schema(
        tags=["Projects"],
        operation_id="projects_partial_update",
        summary="Update a project",
        request=s.ProjectUpdateIn,
        responses={
            200: s.ProjectResponseOut,
            **_errors(*_WRITE, e404="Project not found", e422="Goal not found"),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        project_id = _path_id(id, "Project")
        changes = _valid(s.ProjectUpdateIn, request.data)
        project = services.update_project(project_id=project_id, changes=changes)
        return data_response(s.ProjectOut(project).data)

    @extend_schema(
        tags=["Projects"],
        operation_id="projects_destroy",
        summary="Soft-delete a project",
        responses={204: _NO_CONTENT, **_errors(*_READ, e404="Project not found")},
    )
    def delete(self, request: Request, id: str) -> Response:
        services.delete_project(project_id=_path_id(id, "Project"))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- goals -----------------------------------------------------------------------------------


class GoalListApi(_ListApi):
    serializer_class = s.GoalOut

    def get_queryset(self) -> QuerySet[Goal]:
        return selectors.goal_list()

    @extend_schema(
        tags=["Goals"],
        operation_id="goals_list",
        summary="List goals",
        description="Live goals, oldest first, paged by limit (1-200, default 50) and offset.",
        responses={200: s.GoalOut(many=True), **_errors(*_WRITE)},
    )
    def get(self, request: Request) -> Response:
        goals = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.GoalOut(goals, many=True).data)

    @extend_schema(
        tags=["Goals"],
        operation_id="goals_create",
        summary="Create a goal",
        request=s.GoalCreateIn,
        responses={201: s.GoalResponseOut, **_errors(*_WRITE, e422="Project not found")},
    )
    def post(self, request: Request) -> Response:
        goal = services.create_goal(**_valid(s.GoalCreateIn, request.data))
        return data_response(s.GoalOut(goal).data, status.HTTP_201_CREATED)


class GoalDetailApi(_Api):
    @extend_schema(
        tags=["Goals"],
        operation_id="goals_retrieve",
        summary="Get goal by ID",
        responses={200: s.GoalResponseOut, **_errors(*_READ, e404="Goal not found")},
    )
    def get(self, request: Request, id: str) -> Response:
        goal = selectors.goal_detail(goal_id=_path_id(id, "Goal"))
        return data_response(s.GoalOut(goal).data)

    @extend_schema(
        tags=["Goals"],
        operation_id="goals_partial_update",
        summary="Update a goal",
        request=s.GoalUpdateIn,
        responses={
            200: s.GoalResponseOut,
            **_errors(*_WRITE, e404="Goal not found", e422="Project not found"),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        goal_id = _path_id(id, "Goal")
        goal = services.update_goal(goal_id=goal_id, changes=_valid(s.GoalUpdateIn, request.data))
        return data_response(s.GoalOut(goal).data)

    @extend_schema(
        tags=["Goals"],
        operation_id="goals_destroy",
        summary="Soft-delete a goal",
        responses={204: _NO_CONTENT, **_errors(*_READ, e404="Goal not found")},
    )
    def delete(self, request: Request, id: str) -> Response:
        services.delete_goal(goal_id=_path_id(id, "Goal"))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- dashboard -------------------------------------------------------------------------------


class DashboardStatsApi(_Api):
    @extend_schema(
        tags=["Dashboard"],
        operation_id="dashboard_stats",
        summary="System health metrics",
        description="Live issues by status and type, goals by status, and dispatch counts: "
        "queueDepth (todo + backlog), activeCount (in_progress), completedLast24h.",
        responses={200: s.DashboardStatsResponseOut, **_errors(*_READ)},
    )
    def get(self, request: Request) -> Response:
        return data_response(s.DashboardStatsOut(selectors.dashboard_stats()).data)


class DashboardActivityApi(_Api):
    @extend_schema(
        tags=["Dashboard"],
        operation_id="dashboard_activity",
        summary="Signal chains for activity timeline",
        description="Root (parentless) issues with their children and the children's relations, "
        "most recent activity first. `total` is the number of chains returned.",
        parameters=[
            OpenApiParameter(
                "limit", int, description="How many chains (1-200, default 20)", required=False
            )
        ],
        responses={200: s.ActivityListOut, **_errors(*_WRITE)},
    )
    def get(self, request: Request) -> Response:
        params = _valid(s.ActivityIn, request.query_params)
        chains = selectors.dashboard_activity(limit=params["limit"])
        return Response(
            {"data": s.ActivityChainOut(chains, many=True).data, "total": len(chains)}
        )
