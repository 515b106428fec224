"""The floor: a DRF view that runs Loop's claim statement (dispatch/sql.py) and nothing else — no
authentication, no template selection, no hydration, no serializer. Whatever Loop's /next costs
above this is what Loop adds; this is as fast as a claim over this HTTP stack can be.

Never part of Loop's URLs: it exists only in bench/ and is served only by the benchmark.
"""
from __future__ import annotations

import json
import secrets
from datetime import timedelta

from django.db import connection
from django.urls import path
from django.utils import timezone
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch import sql
from issues.models import Issue

# Position of the id in the claim statement's RETURNING list (every column, in model order).
_ID_INDEX = [field.column for field in Issue._meta.concrete_fields].index("id")
_CHANGES = json.dumps({"status": ["todo", "in_progress"]})


class FloorClaim(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        now = timezone.now()
        lease = now + timedelta(minutes=30)
        params = {
            "token": secrets.token_urlsafe(24),
            "agent": "floor",
            "now": now,
            "lease_expires_at": lease,
            "actor": "agent:floor",
            "changes": _CHANGES,
            "lease_text": lease.isoformat(),
        }
        with connection.cursor() as cursor:
            cursor.execute(sql.claim_next(with_project=False), params)
            row = cursor.fetchone()
        if row is None:
            return Response(status=204)
        return Response({"id": row[_ID_INDEX], "claimToken": params["token"]})


urlpatterns = [path("bench/floor/claim", FloorClaim.as_view())]
