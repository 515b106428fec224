"""Dispatch endpoints: thin views over ``dispatch.services`` and ``dispatch.selectors``."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.api.serializers import (
    DispatchNextIn,
    DispatchNextOut,
    DispatchQueueIn,
    HeartbeatIn,
    IssueEnvelopeOut,
    LeaseEnvelopeOut,
    QueuePageOut,
    ReleaseIn,
)
from dispatch.selectors import dispatch_queue
from dispatch.services import claim_next_issue, heartbeat, release_claim
from issues.audit import actor_for_user
from loop_project.api import ErrorOut

_UNAUTHORIZED = OpenApiResponse(ErrorOut, description="Missing or invalid API key")
_FORBIDDEN = OpenApiResponse(ErrorOut, description="The API key lacks the scope")
_INVALID = OpenApiResponse(ErrorOut, description="Invalid parameter (field named in details)")


class DispatchNextApi(APIView):
    required_scope = "dispatch"

    @extend_schema(
        tags=["Dispatch"],
        operation_id="dispatch_next",
        summary="Claim the highest-scoring unblocked issue",
        description=(
            "Atomically claims the top eligible todo issue (FOR UPDATE SKIP LOCKED on PostgreSQL), "
            "sets it in_progress under a lease, selects and renders its prompt template. The "
            "answer is at the top level and again under `data`. 204 when nothing is eligible."
        ),
        parameters=[DispatchNextIn],
        responses={
            200: DispatchNextOut,
            204: OpenApiResponse(description="No eligible issue"),
            400: _INVALID,
            401: _UNAUTHORIZED,
            403: _FORBIDDEN,
        },
    )
    def get(self, request: Request) -> Response:
        params = DispatchNextIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        claim = claim_next_issue(
            agent_name=request.user.name, project_id=params.validated_data.get("projectId")
        )
        if claim is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(DispatchNextOut(claim).data)


class DispatchQueueApi(APIView):
    @extend_schema(
        tags=["Dispatch"],
        operation_id="dispatch_queue",
        summary="Preview the dispatch queue",
        description=(
            "Eligible issues in exact dispatch order (page 1 is what the next claims hand out), "
            "each with its score and breakdown. Does not claim."
        ),
        parameters=[DispatchQueueIn],
        responses={200: QueuePageOut, 400: _INVALID, 401: _UNAUTHORIZED, 403: _FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        params = DispatchQueueIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = dispatch_queue(
            project_id=params.validated_data.get("projectId"),
            limit=params.validated_data["limit"],
            offset=params.validated_data["offset"],
        )
        return Response(QueuePageOut(page).data)


class DispatchHeartbeatApi(APIView):
    required_scope = "dispatch"

    @extend_schema(
        tags=["Dispatch"],
        operation_id="dispatch_heartbeat",
        summary="Extend the lease of a claimed issue",
        request=HeartbeatIn,
        responses={
            200: LeaseEnvelopeOut,
            400: _INVALID,
            401: _UNAUTHORIZED,
            403: _FORBIDDEN,
            404: OpenApiResponse(ErrorOut, description="Issue not found"),
            409: OpenApiResponse(ErrorOut, description="Claim lost (released, completed or expired)"),
        },
    )
    def post(self, request: Request, issue_id: str) -> Response:
        body = HeartbeatIn(data=request.data)
        body.is_valid(raise_exception=True)
        lease = heartbeat(
            issue_id=issue_id,
            claim_token=body.validated_data["claimToken"],
            actor=actor_for_user(request.user),
        )
        return Response(LeaseEnvelopeOut(lease).data)


class DispatchReleaseApi(APIView):
    required_scope = "dispatch"

    @extend_schema(
        tags=["Dispatch"],
        operation_id="dispatch_release",
        summary="Hand a claimed issue back to the queue",
        request=ReleaseIn,
        responses={
            200: IssueEnvelopeOut,
            400: _INVALID,
            401: _UNAUTHORIZED,
            403: _FORBIDDEN,
            404: OpenApiResponse(ErrorOut, description="Issue not found"),
            409: OpenApiResponse(ErrorOut, description="Claim lost (released, completed or expired)"),
        },
    )
    def post(self, request: Request, issue_id: str) -> Response:
        body = ReleaseIn(data=request.data)
        body.is_valid(raise_exception=True)
        issue = release_claim(
            issue_id=issue_id,
            actor=actor_for_user(request.user),
            claim_token=body.validated_data["claimToken"],
            reason=body.validated_data["reason"],
        )
        return Response(IssueEnvelopeOut(issue).data)
