"""``/api/issues``: list, read, create, update, soft-delete."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from loop_client.sdk.errors import ConflictError, claim_lost
from loop_client.sdk.models import CommitRef, Hypothesis, Issue, IssueDetail, PullRequestRef
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


def _csv(value: str | Iterable[str] | None) -> str | None:
    """Status and type filters take one value or several (sent comma-separated)."""
    if value is None or isinstance(value, str):
        return value
    return ",".join(value)


def _dump(value: Any) -> Any:
    """Models given as arguments go on the wire in their wire shape, unset fields left out (the
    API refuses null for optional members such as ``hypothesis.prediction``)."""
    if isinstance(value, Hypothesis | CommitRef | PullRequestRef):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, list):
        return [_dump(item) for item in value]
    return value


class IssuesResource(Resource):
    def list(
        self,
        *,
        status: str | Iterable[str] | None = None,
        type: str | Iterable[str] | None = None,
        project_id: str | None = None,
        label_id: str | None = None,
        priority: int | None = None,
        parent_id: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
    ) -> Page[Issue]:
        """One page of issues, newest first, filtered as given."""
        params = {
            "status": _csv(status),
            "type": _csv(type),
            "projectId": project_id,
            "labelId": label_id,
            "priority": priority,
            "parentId": parent_id,
        }
        return self._page(Issue, "/api/issues", limit=limit, offset=offset, params=params)

    def iter(
        self,
        *,
        status: str | Iterable[str] | None = None,
        type: str | Iterable[str] | None = None,
        project_id: str | None = None,
        label_id: str | None = None,
        priority: int | None = None,
        parent_id: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        max_items: int | None = None,
        on_page: Callable[[Page[Issue]], None] | None = None,
    ) -> Iterator[Issue]:
        """Every matching issue, fetching pages as the iteration needs them."""

        def fetch(limit: int, offset: int) -> Page[Issue]:
            return self.list(
                status=status,
                type=type,
                project_id=project_id,
                label_id=label_id,
                priority=priority,
                parent_id=parent_id,
                limit=limit,
                offset=offset,
            )

        return self._iterate(fetch, page_size=page_size, max_items=max_items, on_page=on_page)

    def get(self, issue_id: str) -> IssueDetail:
        """The issue with its parent, children, labels and relations."""
        return self._get_one(IssueDetail, path("api/issues", issue_id))

    def create(
        self,
        *,
        title: str,
        type: str = "task",
        description: str | Unset = UNSET,
        status: str | Unset = UNSET,
        priority: int | Unset = UNSET,
        parent_id: str | Unset = UNSET,
        project_id: str | Unset = UNSET,
        label_ids: Sequence[str] | Unset = UNSET,
        hypothesis: Hypothesis | dict[str, Any] | Unset = UNSET,
        signal_source: str | Unset = UNSET,
        signal_payload: dict[str, Any] | Unset = UNSET,
        agent_summary: str | Unset = UNSET,
        agent_session_id: str | Unset = UNSET,
        commits: Sequence[CommitRef | dict[str, Any]] | Unset = UNSET,
        pull_requests: Sequence[PullRequestRef | dict[str, Any]] | Unset = UNSET,
    ) -> Issue:
        payload = body(
            title=title,
            type=type,
            description=description,
            status=status,
            priority=priority,
            parentId=parent_id,
            projectId=project_id,
            labelIds=UNSET if isinstance(label_ids, Unset) else list(label_ids),
            hypothesis=_dump(hypothesis),
            signalSource=signal_source,
            signalPayload=signal_payload,
            agentSummary=agent_summary,
            agentSessionId=agent_session_id,
            commits=UNSET if isinstance(commits, Unset) else _dump(list(commits)),
            pullRequests=UNSET if isinstance(pull_requests, Unset) else _dump(list(pull_requests)),
        )
        return self._send_one(Issue, "POST", "/api/issues", payload)

    def update(
        self,
        issue_id: str,
        *,
        title: str | Unset = UNSET,
        description: str | Unset = UNSET,
        type: str | Unset = UNSET,
        status: str | Unset = UNSET,
        priority: int | Unset = UNSET,
        parent_id: str | None | Unset = UNSET,
        project_id: str | None | Unset = UNSET,
        hypothesis: Hypothesis | dict[str, Any] | Unset = UNSET,
        signal_source: str | Unset = UNSET,
        signal_payload: dict[str, Any] | Unset = UNSET,
        agent_summary: str | Unset = UNSET,
        agent_session_id: str | Unset = UNSET,
        commits: Sequence[CommitRef | dict[str, Any]] | Unset = UNSET,
        pull_requests: Sequence[PullRequestRef | dict[str, Any]] | Unset = UNSET,
        claim_token: str | Unset = UNSET,
    ) -> Issue:
        """Change the fields passed (``None`` clears parent or project).

        With ``claim_token`` the server applies the change only while that claim still holds the
        issue; otherwise it changes nothing and :class:`ClaimLostError` is raised."""
        payload = body(
            title=title,
            description=description,
            type=type,
            status=status,
            priority=priority,
            parentId=parent_id,
            projectId=project_id,
            hypothesis=_dump(hypothesis),
            signalSource=signal_source,
            signalPayload=signal_payload,
            agentSummary=agent_summary,
            agentSessionId=agent_session_id,
            commits=UNSET if isinstance(commits, Unset) else _dump(list(commits)),
            pullRequests=UNSET if isinstance(pull_requests, Unset) else _dump(list(pull_requests)),
            claimToken=claim_token,
        )
        try:
            return self._send_one(Issue, "PATCH", path("api/issues", issue_id), payload)
        except ConflictError as exc:
            if isinstance(claim_token, Unset):
                raise
            raise claim_lost(exc) from exc

    def delete(self, issue_id: str) -> None:
        """Soft-delete: the issue disappears from lists, reads and dispatch."""
        self._http.request("DELETE", path("api/issues", issue_id))
