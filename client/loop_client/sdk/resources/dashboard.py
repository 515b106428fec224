"""``/api/dashboard``: system stats, signal chains and template health."""

from __future__ import annotations

from loop_client.sdk.models import ActivityChain, DashboardStats, TemplateHealth
from loop_client.sdk.resources._base import Resource, unwrap


class DashboardResource(Resource):
    def stats(self) -> DashboardStats:
        return self._get_one(DashboardStats, "/api/dashboard/stats")

    def activity(self, *, limit: int = 20) -> list[ActivityChain]:
        """Recent chains: each parentless issue with its children and their relations."""
        payload = self._http.request("GET", "/api/dashboard/activity", params={"limit": limit})
        return [ActivityChain.model_validate(item) for item in unwrap(payload)]

    def prompts(self) -> list[TemplateHealth]:
        """Every template with its active version, recent versions and review summary."""
        payload = self._http.request("GET", "/api/dashboard/prompts")
        return [TemplateHealth.model_validate(item) for item in unwrap(payload)]
