"""``POST /api/signals``: raise a signal; Loop opens an issue for it in the same transaction."""

from __future__ import annotations

from typing import Any

from loop_client.sdk.models import SignalIngest
from loop_client.sdk.resources._base import UNSET, Resource, Unset, body


class SignalsResource(Resource):
    def ingest(
        self,
        *,
        source: str,
        type: str,
        severity: str = "medium",
        payload: dict[str, Any] | None = None,
        source_id: str | Unset = UNSET,
        project_id: str | Unset = UNSET,
    ) -> SignalIngest:
        """Create a signal and its issue. Not retried: a repeat would open a second issue."""
        request = body(
            source=source,
            type=type,
            severity=severity,
            payload=payload or {},
            sourceId=source_id,
            projectId=project_id,
        )
        return self._send_one(SignalIngest, "POST", "/api/signals", request)
