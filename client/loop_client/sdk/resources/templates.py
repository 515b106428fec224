"""``/api/templates``: prompt templates, their versions, promotion, reviews and previews."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from loop_client.sdk.models import (
    PromptReview,
    PromptVersion,
    Template,
    TemplateDetail,
    TemplatePreview,
)
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


class TemplatesResource(Resource):
    def list(self, *, limit: int = DEFAULT_PAGE_SIZE, offset: int = 0) -> Page[Template]:
        return self._page(Template, "/api/templates", limit=limit, offset=offset)

    def iter(
        self,
        *,
        page_size: int = MAX_PAGE_SIZE,
        max_items: int | None = None,
        on_page: Callable[[Page[Template]], None] | None = None,
    ) -> Iterator[Template]:
        return self._iterate(
            lambda limit, offset: self.list(limit=limit, offset=offset),
            page_size=page_size,
            max_items=max_items,
            on_page=on_page,
        )

    def get(self, template_id: str) -> TemplateDetail:
        """The template with its active version."""
        return self._get_one(TemplateDetail, path("api/templates", template_id))

    def create(
        self,
        *,
        slug: str,
        name: str,
        description: str | Unset = UNSET,
        conditions: dict[str, Any] | Unset = UNSET,
        specificity: int | Unset = UNSET,
        project_id: str | Unset = UNSET,
    ) -> Template:
        """A template with no version yet; its first version becomes active on creation."""
        payload = body(
            slug=slug,
            name=name,
            description=description,
            conditions=conditions,
            specificity=specificity,
            projectId=project_id,
        )
        return self._send_one(Template, "POST", "/api/templates", payload)

    def update(
        self,
        template_id: str,
        *,
        name: str | Unset = UNSET,
        description: str | Unset = UNSET,
        conditions: dict[str, Any] | Unset = UNSET,
        specificity: int | Unset = UNSET,
        project_id: str | None | Unset = UNSET,
    ) -> Template:
        payload = body(
            name=name,
            description=description,
            conditions=conditions,
            specificity=specificity,
            projectId=project_id,
        )
        return self._send_one(Template, "PATCH", path("api/templates", template_id), payload)

    def delete(self, template_id: str) -> None:
        self._http.request("DELETE", path("api/templates", template_id))

    # --- versions ---

    def versions(
        self, template_id: str, *, limit: int = DEFAULT_PAGE_SIZE, offset: int = 0
    ) -> Page[PromptVersion]:
        return self._page(
            PromptVersion,
            path("api/templates", template_id, "versions"),
            limit=limit,
            offset=offset,
        )

    def iter_versions(
        self, template_id: str, *, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[PromptVersion]:
        return self._iterate(
            lambda limit, offset: self.versions(template_id, limit=limit, offset=offset),
            page_size=page_size,
            max_items=None,
            on_page=None,
        )

    def create_version(
        self,
        template_id: str,
        *,
        content: str,
        author_name: str,
        author_type: str = "human",
        changelog: str | Unset = UNSET,
    ) -> PromptVersion:
        """A new version (number = latest + 1); a draft unless the template has no active one."""
        payload = body(
            content=content, authorName=author_name, authorType=author_type, changelog=changelog
        )
        return self._send_one(
            PromptVersion, "POST", path("api/templates", template_id, "versions"), payload
        )

    def promote(self, template_id: str, version_id: str) -> PromptVersion:
        """Make the version active and retire the one it replaces."""
        return self._send_one(
            PromptVersion,
            "POST",
            path("api/templates", template_id, "versions", version_id, "promote"),
            # Promoting an already-active version is refused (422), never applied twice.
            idempotent=False,
        )

    # --- reviews and preview ---

    def reviews(
        self, template_id: str, *, limit: int = DEFAULT_PAGE_SIZE, offset: int = 0
    ) -> Page[PromptReview]:
        """Reviews of every version of the template."""
        return self._page(
            PromptReview, path("api/templates", template_id, "reviews"), limit=limit, offset=offset
        )

    def iter_reviews(
        self, template_id: str, *, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[PromptReview]:
        return self._iterate(
            lambda limit, offset: self.reviews(template_id, limit=limit, offset=offset),
            page_size=page_size,
            max_items=None,
            on_page=None,
        )

    def preview(self, issue_id: str) -> TemplatePreview:
        """The template and rendered prompt dispatch would choose for the issue; claims nothing."""
        payload = self._http.request("GET", path("api/templates/preview", issue_id))
        # Like dispatch, the answer is at the top level and again under `data`.
        if (
            isinstance(payload, dict)
            and "issue" not in payload
            and isinstance(payload.get("data"), dict)
        ):
            payload = payload["data"]
        if isinstance(payload, dict):
            payload = {key: value for key, value in payload.items() if key != "data"}
        return TemplatePreview.model_validate(payload)
