"""``/api/issues/{id}/comments`` and ``/api/issues/{id}/relations`` + ``/api/relations/{id}``."""

from __future__ import annotations

from loop_client.sdk.models import Comment, Relation
from loop_client.sdk.resources._base import UNSET, Resource, Unset, path, unwrap
from loop_client.sdk.resources._base import body as request_body


class CommentsResource(Resource):
    def list(self, issue_id: str) -> list[Comment]:
        """Top-level comments of an issue, oldest first, each with its ``replies``."""
        payload = self._http.request("GET", path("api/issues", issue_id, "comments"))
        return [Comment.model_validate(item) for item in unwrap(payload)]

    def create(
        self,
        issue_id: str,
        *,
        body: str,
        author_name: str,
        author_type: str = "agent",
        parent_id: str | Unset = UNSET,
    ) -> Comment:
        payload = request_body(
            body=body, authorName=author_name, authorType=author_type, parentId=parent_id
        )
        return self._send_one(Comment, "POST", path("api/issues", issue_id, "comments"), payload)


class RelationsResource(Resource):
    def create(self, issue_id: str, *, type: str, related_issue_id: str) -> Relation:
        """Link two issues. ``create(b, type="blocked_by", related_issue_id=a)``: b waits for a."""
        payload = {"type": type, "relatedIssueId": related_issue_id}
        return self._send_one(Relation, "POST", path("api/issues", issue_id, "relations"), payload)

    def delete(self, relation_id: str) -> None:
        self._http.request("DELETE", path("api/relations", relation_id))
