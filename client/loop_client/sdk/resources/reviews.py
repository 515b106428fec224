"""``POST /api/prompt-reviews``: rate the prompt an issue was dispatched with."""

from __future__ import annotations

from loop_client.sdk.models import PromptReview
from loop_client.sdk.resources._base import UNSET, Resource, body


class ReviewsResource(Resource):
    def create(
        self,
        *,
        version_id: str,
        issue_id: str,
        clarity: int,
        completeness: int,
        relevance: int,
        feedback: str | None = None,
        author_type: str = "agent",
    ) -> PromptReview:
        """Scores are 1-5. A low running score makes Loop open an issue to improve the template."""
        payload = body(
            versionId=version_id,
            issueId=issue_id,
            clarity=clarity,
            completeness=completeness,
            relevance=relevance,
            feedback=UNSET if feedback is None else feedback,
            authorType=author_type,
        )
        return self._send_one(PromptReview, "POST", "/api/prompt-reviews", payload)
