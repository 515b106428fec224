"""``/api/labels``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from loop_client.sdk.models import Label
from loop_client.sdk.resources._base import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, Resource, path


class LabelsResource(Resource):
    def list(self, *, limit: int = DEFAULT_PAGE_SIZE, offset: int = 0) -> Page[Label]:
        return self._page(Label, "/api/labels", limit=limit, offset=offset)

    def iter(
        self,
        *,
        page_size: int = MAX_PAGE_SIZE,
        max_items: int | None = None,
        on_page: Callable[[Page[Label]], None] | None = None,
    ) -> Iterator[Label]:
        return self._iterate(
            lambda limit, offset: self.list(limit=limit, offset=offset),
            page_size=page_size,
            max_items=max_items,
            on_page=on_page,
        )

    def create(self, *, name: str, color: str) -> Label:
        return self._send_one(Label, "POST", "/api/labels", {"name": name, "color": color})

    def delete(self, label_id: str) -> None:
        self._http.request("DELETE", path("api/labels", label_id))
