"""Labels, projects and goals: how issues are organised and what they work towards.
Same shape as ``issues.api.views``."""
from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from issues import selectors, services
from issues.api import serializers as s
from issues.api.base import NO_CONTENT, READ, WRITE, errors, path_id, valid
from issues.models import Goal, Label, Project
from loop_project.api import data_response

# --- labels ----------------------------------------------------------------------------------


class LabelListApi(GenericAPIView):
    serializer_class = s.LabelOut

    def get_queryset(self) -> QuerySet[Label]:
        return selectors.label_list()

    @extend_schema(
        tags=["Labels"],
        operation_id="labels_list",
        summary="List labels",
        description="Live labels by name, paged by limit (1-200, default 50) and offset.",
        responses={200: s.LabelOut(many=True), **errors(*WRITE)},
    )
    def get(self, request: Request) -> Response:
        labels = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.LabelOut(labels, many=True).data)

    @extend_schema(
        tags=["Labels"],
        operation_id="labels_create",
        summary="Create a label",
        request=s.LabelIn,
        responses={201: s.LabelResponseOut, **errors(*WRITE, e409="Label name already exists")},
    )
    def post(self, request: Request) -> Response:
        label = services.create_label(**valid(s.LabelIn, request.data))
        return data_response(s.LabelOut(label).data, status.HTTP_201_CREATED)


class LabelDetailApi(APIView):
    @extend_schema(
        tags=["Labels"],
        operation_id="labels_destroy",
        summary="Soft-delete a label",
        description="The label disappears from lists and from the issues that carried it.",
        responses={204: NO_CONTENT, **errors(*READ, e404="Label not found")},
    )
    def delete(self, request: Request, id: str) -> Response:
        services.delete_label(label_id=path_id(id, "Label"))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- projects --------------------------------------------------------------------------------


class ProjectListApi(GenericAPIView):
    serializer_class = s.ProjectOut

    def get_queryset(self) -> QuerySet[Project]:
        return selectors.project_list()

    @extend_schema(
        tags=["Projects"],
        operation_id="projects_list",
        summary="List projects",
        description="Live projects, oldest first, paged by limit (1-200, default 50) and offset.",
        responses={200: s.ProjectOut(many=True), **errors(*WRITE)},
    )
    def get(self, request: Request) -> Response:
        projects = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.ProjectOut(projects, many=True).data)

    @extend_schema(
        tags=["Projects"],
        operation_id="projects_create",
        summary="Create a project",
        request=s.ProjectCreateIn,
        responses={201: s.ProjectResponseOut, **errors(*WRITE, e422="Goal not found")},
    )
    def post(self, request: Request) -> Response:
        project = services.create_project(**valid(s.ProjectCreateIn, request.data))
        return data_response(s.ProjectOut(project).data, status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    @extend_schema(
        tags=["Projects"],
        operation_id="projects_retrieve",
        summary="Get project by ID",
        description="The project with its goal and its live issues counted by status.",
        responses={200: s.ProjectDetailResponseOut, **errors(*READ, e404="Project not found")},
    )
    def get(self, request: Request, id: str) -> Response:
        project = selectors.project_detail(project_id=path_id(id, "Project"))
        return data_response(s.ProjectDetailOut(project).data)

    @extend_schema(
        tags=["Projects"],
        operation_id="projects_partial_update",
        summary="Update a project",
        request=s.ProjectUpdateIn,
        responses={
            200: s.ProjectResponseOut,
            **errors(*WRITE, e404="Project not found", e422="Goal not found"),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        project_id = path_id(id, "Project")
        changes = valid(s.ProjectUpdateIn, request.data)
        project = services.update_project(project_id=project_id, changes=changes)
        return data_response(s.ProjectOut(project).data)

    @extend_schema(
        tags=["Projects"],
        operation_id="projects_destroy",
        summary="Soft-delete a project",
        responses={204: NO_CONTENT, **errors(*READ, e404="Project not found")},
    )
    def delete(self, request: Request, id: str) -> Response:
        services.delete_project(project_id=path_id(id, "Project"))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- goals -----------------------------------------------------------------------------------


class GoalListApi(GenericAPIView):
    serializer_class = s.GoalOut

    def get_queryset(self) -> QuerySet[Goal]:
        return selectors.goal_list()

    @extend_schema(
        tags=["Goals"],
        operation_id="goals_list",
        summary="List goals",
        description="Live goals, oldest first, paged by limit (1-200, default 50) and offset.",
        responses={200: s.GoalOut(many=True), **errors(*WRITE)},
    )
    def get(self, request: Request) -> Response:
        goals = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.GoalOut(goals, many=True).data)

    @extend_schema(
        tags=["Goals"],
        operation_id="goals_create",
        summary="Create a goal",
        request=s.GoalCreateIn,
        responses={201: s.GoalResponseOut, **errors(*WRITE, e422="Project not found")},
    )
    def post(self, request: Request) -> Response:
        goal = services.create_goal(**valid(s.GoalCreateIn, request.data))
        return data_response(s.GoalOut(goal).data, status.HTTP_201_CREATED)


class GoalDetailApi(APIView):
    @extend_schema(
        tags=["Goals"],
        operation_id="goals_retrieve",
        summary="Get goal by ID",
        responses={200: s.GoalResponseOut, **errors(*READ, e404="Goal not found")},
    )
    def get(self, request: Request, id: str) -> Response:
        goal = selectors.goal_detail(goal_id=path_id(id, "Goal"))
        return data_response(s.GoalOut(goal).data)

    @extend_schema(
        tags=["Goals"],
        operation_id="goals_partial_update",
        summary="Update a goal",
        request=s.GoalUpdateIn,
        responses={
            200: s.GoalResponseOut,
            **errors(*WRITE, e404="Goal not found", e422="Project not found"),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        goal_id = path_id(id, "Goal")
        goal = services.update_goal(goal_id=goal_id, changes=valid(s.GoalUpdateIn, request.data))
        return data_response(s.GoalOut(goal).data)

    @extend_schema(
        tags=["Goals"],
        operation_id="goals_destroy",
        summary="Soft-delete a goal",
        responses={204: NO_CONTENT, **errors(*READ, e404="Goal not found")},
    )
    def delete(self, request: Request, id: str) -> Response:
        services.delete_goal(goal_id=path_id(id, "Goal"))
        return Response(status=status.HTTP_204_NO_CONTENT)
