"""Issues, their relations and their comments: the work items agents read and update.

Thin views: validate the body with an ``<Thing>In`` serializer, call one service (writes) or one
selector (reads), render with an ``<Thing>Out`` serializer in upstream's envelope. Errors are
raised, never built here: ``loop_project.api.exception_handler`` turns them into the one format.
Path parameters are named ``id`` as in upstream's document.
"""
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
from issues.api.base import NO_CONTENT, READ, WRITE, actor, errors, path_id, plain, valid
from issues.api.filters import IssueFilter
from issues.models import Issue
from loop_project.api import data_response

# --- issues ----------------------------------------------------------------------------------


class IssueListApi(GenericAPIView):
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
        responses={200: s.IssueOut(many=True), **errors(*WRITE)},
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
            **errors(*WRITE, e422="Parent, project or label not found, or parent hierarchy violation"),
        },
    )
    def post(self, request: Request) -> Response:
        fields = plain(valid(s.IssueCreateIn, request.data))
        issue = services.create_issue(actor=actor(request), **fields)
        return data_response(s.IssueOut(issue).data, status.HTTP_201_CREATED)


class IssueDetailApi(APIView):
    @extend_schema(
        tags=["Issues"],
        operation_id="issues_retrieve",
        summary="Get issue by ID",
        description="The issue with its parent, children, labels and relations (as upstream), "
        "plus inverseRelations, threaded comments and the signal that opened it.",
        responses={200: s.IssueDetailResponseOut, **errors(*READ, e404="Issue not found")},
    )
    def get(self, request: Request, id: str) -> Response:
        issue = selectors.issue_detail(issue_id=path_id(id, "Issue"))
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
            **errors(
                *WRITE,
                e404="Issue not found",
                e409="Claim lost: the claimToken no longer holds this issue",
                e422="Parent, project or label not found, or parent hierarchy violation",
            ),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        issue_id = path_id(id, "Issue")
        changes = s.plain_issue_update_in(request.data)
        if changes is None:
            changes = plain(valid(s.IssueUpdateIn, request.data))
        label_ids = changes.pop("label_ids", None)
        claim_token = changes.pop("claim_token", None)
        issue = services.update_issue(
            issue_id=issue_id,
            actor=actor(request),
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
        responses={204: NO_CONTENT, **errors(*READ, e404="Issue not found")},
    )
    def delete(self, request: Request, id: str) -> Response:
        services.delete_issue(issue_id=path_id(id, "Issue"), actor=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- relations -------------------------------------------------------------------------------


class IssueRelationCreateApi(APIView):
    @extend_schema(
        tags=["Relations"],
        operation_id="issues_relations_create",
        summary="Create a relation between two issues",
        description="`A blocks B` and `B blocked_by A` mean the same thing for dispatch.",
        request=s.RelationIn,
        responses={
            201: s.IssueRelationResponseOut,
            **errors(
                *WRITE,
                e404="Issue not found",
                e409="The same relation already exists",
                e422="Related issue not found, self-relation, or a blocking cycle",
            ),
        },
    )
    def post(self, request: Request, id: str) -> Response:
        issue_id = path_id(id, "Issue")
        fields = valid(s.RelationIn, request.data)
        relation = services.add_relation(issue_id=issue_id, actor=actor(request), **fields)
        return data_response(s.IssueRelationOut(relation).data, status.HTTP_201_CREATED)


class RelationDetailApi(APIView):
    @extend_schema(
        tags=["Relations"],
        operation_id="relations_destroy",
        summary="Hard-delete a relation",
        responses={204: NO_CONTENT, **errors(*READ, e404="Relation not found")},
    )
    def delete(self, request: Request, id: str) -> Response:
        services.remove_relation(relation_id=path_id(id, "Relation"), actor=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- comments --------------------------------------------------------------------------------


class IssueCommentsApi(APIView):
    @extend_schema(
        tags=["Comments"],
        operation_id="issues_comments_list",
        summary="List comments for an issue",
        description="Top-level comments oldest first, each with its replies (not paged).",
        responses={200: s.CommentThreadListOut, **errors(*READ, e404="Issue not found")},
    )
    def get(self, request: Request, id: str) -> Response:
        threads = selectors.issue_comment_threads(issue_id=path_id(id, "Issue"))
        return data_response(s.CommentThreadOut(threads, many=True).data)

    @extend_schema(
        tags=["Comments"],
        operation_id="issues_comments_create",
        summary="Add a comment to an issue",
        request=s.CommentIn,
        responses={
            201: s.CommentResponseOut,
            **errors(*WRITE, e404="Issue not found", e422="Parent comment not found on this issue"),
        },
    )
    def post(self, request: Request, id: str) -> Response:
        issue_id = path_id(id, "Issue")
        fields = valid(s.CommentIn, request.data)
        comment = services.add_comment(issue_id=issue_id, **fields)
        return data_response(s.CommentOut(comment).data, status.HTTP_201_CREATED)
