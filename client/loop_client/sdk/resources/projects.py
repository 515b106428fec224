"""``/api/projects`` and ``/api/goals``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from loop_client.sdk.models import Goal, Project, ProjectDetail
from loop_client.sdk.resources._base import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    UNSET,
    Page,
    Resource,
    Unset,
    body,
    path,
)


class ProjectsResource(Resource):
    def list(self, *, limit: int = DEFAULT_PAGE_SIZE, offset: int = 0) -> Page[Project]:
        return self._page(Project, "/api/projects", limit=limit, offset=offset)

    def iter(
        self,
        *,
        page_size: int = MAX_PAGE_SIZE,
        max_items: int | None = None,
        on_page: Callable[[Page[Project]], None] | None = None,
    ) -> Iterator[Project]:
        return self._iterate(
            lambda limit, offset: self.list(limit=limit, offset=offset),
            page_size=page_size,
            max_items=max_items,
            on_page=on_page,
        )

    def get(self, project_id: str) -> ProjectDetail:
        """The project with its goal and issue counts by status."""
        return self._get_one(ProjectDetail, path("api/projects", project_id))

    def create(
        self,
        *,
        name: str,
        description: str | Unset = UNSET,
        status: str | Unset = UNSET,
        health: str | Unset = UNSET,
        goal_id: str | Unset = UNSET,
    ) -> Project:
        payload = body(
            name=name, description=description, status=status, health=health, goalId=goal_id
        )
        return self._send_one(Project, "POST", "/api/projects", payload)

    def update(
        self,
        project_id: str,
        *,
        name: str | Unset = UNSET,
        description: str | Unset = UNSET,
        status: str | Unset = UNSET,
        health: str | Unset = UNSET,
        goal_id: str | None | Unset = UNSET,
    ) -> Project:
        payload = body(
            name=name, description=description, status=status, health=health, goalId=goal_id
        )
        return self._send_one(Project, "PATCH", path("api/projects", project_id), payload)

    def delete(self, project_id: str) -> None:
        self._http.request("DELETE", path("api/projects", project_id))


class GoalsResource(Resource):
    def list(self, *, limit: int = DEFAULT_PAGE_SIZE, offset: int = 0) -> Page[Goal]:
        return self._page(Goal, "/api/goals", limit=limit, offset=offset)

    def iter(
        self,
        *,
        page_size: int = MAX_PAGE_SIZE,
        max_items: int | None = None,
        on_page: Callable[[Page[Goal]], None] | None = None,
    ) -> Iterator[Goal]:
        return self._iterate(
            lambda limit, offset: self.list(limit=limit, offset=offset),
            page_size=page_size,
            max_items=max_items,
            on_page=on_page,
        )

    def get(self, goal_id: str) -> Goal:
        return self._get_one(Goal, path("api/goals", goal_id))

    def create(
        self,
        *,
        title: str,
        description: str | Unset = UNSET,
        metric: str | Unset = UNSET,
        target_value: float | Unset = UNSET,
        current_value: float | Unset = UNSET,
        unit: str | Unset = UNSET,
        status: str | Unset = UNSET,
        project_id: str | Unset = UNSET,
    ) -> Goal:
        payload = body(
            title=title,
            description=description,
            metric=metric,
            targetValue=target_value,
            currentValue=current_value,
            unit=unit,
            status=status,
            projectId=project_id,
        )
        return self._send_one(Goal, "POST", "/api/goals", payload)

    def update(
        self,
        goal_id: str,
        *,
        title: str | Unset = UNSET,
        description: str | None | Unset = UNSET,
        metric: str | None | Unset = UNSET,
        target_value: float | None | Unset = UNSET,
        current_value: float | None | Unset = UNSET,
        unit: str | None | Unset = UNSET,
        status: str | Unset = UNSET,
        project_id: str | None | Unset = UNSET,
    ) -> Goal:
        payload = body(
            title=title,
            description=description,
            metric=metric,
            targetValue=target_value,
            currentValue=current_value,
            unit=unit,
            status=status,
            projectId=project_id,
        )
        return self._send_one(Goal, "PATCH", path("api/goals", goal_id), payload)

    def delete(self, goal_id: str) -> None:
        self._http.request("DELETE", path("api/goals", goal_id))
