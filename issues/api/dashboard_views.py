"""Dashboard reads: system counts and recent activity chains (``issues.selectors``)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from issues import selectors
from issues.api import serializers as s
from issues.api.base import READ, WRITE, errors, valid
from loop_project.api import data_response

# --- dashboard -------------------------------------------------------------------------------


class DashboardStatsApi(APIView):
    @extend_schema(
        tags=["Dashboard"],
        operation_id="dashboard_stats",
        summary="System health metrics",
        description="Live issues by status and type, goals by status, and dispatch counts: "
        "queueDepth (todo + backlog), activeCount (in_progress), completedLast24h.",
        responses={200: s.DashboardStatsResponseOut, **errors(*READ)},
    )
    def get(self, request: Request) -> Response:
        return data_response(s.DashboardStatsOut(selectors.dashboard_stats()).data)


class DashboardActivityApi(APIView):
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
        responses={200: s.ActivityListOut, **errors(*WRITE)},
    )
    def get(self, request: Request) -> Response:
        params = valid(s.ActivityIn, request.query_params)
        chains = selectors.dashboard_activity(limit=params["limit"])
        return Response(
            {"data": s.ActivityChainOut(chains, many=True).data, "total": len(chains)}
        )
