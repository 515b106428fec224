"""``/api/dispatch``: claim the next issue, keep the lease alive, hand it back, finish it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from loop_client.sdk.errors import ConflictError, UnexpectedResponseError, claim_lost
from loop_client.sdk.models import (
    CommitRef,
    DispatchClaim,
    Issue,
    Lease,
    PullRequestRef,
    QueueEntry,
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
    unwrap,
)
from loop_client.sdk.resources.issues import IssuesResource


class DispatchResource(Resource):
    def __init__(self, http: Any, issues: IssuesResource) -> None:
        super().__init__(http)
        self._issues = issues

    def next(self, *, project_id: str | None = None) -> DispatchClaim | None:
        """Claim the highest-scoring unblocked todo issue, or ``None`` when the queue is empty.

        Never retried: a claim whose answer was lost would otherwise be taken twice (the first
        one then sits in progress until its lease expires)."""
        payload = self._http.request(
            "GET", "/api/dispatch/next", params={"projectId": project_id}, idempotent=False
        )
        if payload is None:
            return None
        # The server answers the claim at the top level and again under `data`; read either.
        claim = (
            payload.get("data") if isinstance(payload, dict) and "issue" not in payload else payload
        )
        if not isinstance(claim, dict) or "issue" not in claim:
            raise UnexpectedResponseError(f"Expected a dispatch claim, got {payload!r:.200}")
        claim = {key: value for key, value in claim.items() if key != "data"}
        return DispatchClaim.model_validate(claim)

    def queue(
        self, *, project_id: str | None = None, limit: int = DEFAULT_PAGE_SIZE, offset: int = 0
    ) -> Page[QueueEntry]:
        """Eligible issues in the order dispatch hands them out, with scores. Claims nothing."""
        return self._page(
            QueueEntry,
            "/api/dispatch/queue",
            limit=limit,
            offset=offset,
            params={"projectId": project_id},
        )

    def iter_queue(
        self,
        *,
        project_id: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        max_items: int | None = None,
        on_page: Callable[[Page[QueueEntry]], None] | None = None,
    ) -> Iterator[QueueEntry]:
        def fetch(limit: int, offset: int) -> Page[QueueEntry]:
            return self.queue(project_id=project_id, limit=limit, offset=offset)

        return self._iterate(fetch, page_size=page_size, max_items=max_items, on_page=on_page)

    def heartbeat(self, issue_id: str, *, claim_token: str) -> Lease:
        """Extend the lease. Raises :class:`ClaimLostError` if the claim no longer holds."""
        try:
            # Safe to repeat: a second heartbeat only pushes the expiry a little further.
            payload = self._http.request(
                "POST",
                path("api/dispatch", issue_id, "heartbeat"),
                json={"claimToken": claim_token},
                idempotent=True,
            )
        except ConflictError as exc:
            raise claim_lost(exc) from exc
        return Lease.model_validate(unwrap(payload))

    def release(self, issue_id: str, *, claim_token: str, reason: str | None = None) -> Issue:
        """Give the issue back to the queue (status todo) without finishing it."""
        try:
            payload = self._http.request(
                "POST",
                path("api/dispatch", issue_id, "release"),
                json=body(claimToken=claim_token, reason=UNSET if reason is None else reason),
            )
        except ConflictError as exc:
            raise claim_lost(exc) from exc
        return Issue.model_validate(unwrap(payload))

    def complete(
        self,
        issue_id: str,
        *,
        claim_token: str | None,
        summary: str,
        status: str = "done",
        commits: Sequence[CommitRef | dict[str, Any]] | Unset = UNSET,
        pull_requests: Sequence[PullRequestRef | dict[str, Any]] | Unset = UNSET,
        agent_session_id: str | Unset = UNSET,
    ) -> Issue:
        """Finish a claimed issue (``done``, or ``canceled``) and record what the agent did.

        With the claim token the server refuses (409, :class:`ClaimLostError`) if the claim has
        been lost meanwhile, so a late agent never overwrites another agent's work."""
        return self._issues.update(
            issue_id,
            status=status,
            agent_summary=summary,
            commits=commits,
            pull_requests=pull_requests,
            agent_session_id=agent_session_id,
            claim_token=UNSET if claim_token is None else claim_token,
        )
