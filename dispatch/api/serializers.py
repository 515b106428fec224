"""Wire shapes for dispatch. camelCase lives only here. ``<Thing>In`` validates a request,
``<Thing>Out`` renders a response; the issue itself is ``issues.api.serializers.IssueOut``."""
from __future__ import annotations

from typing import Any

from rest_framework import serializers

from dispatch.selectors import QueuePage
from dispatch.services import Claim
from issues.api.serializers import IssueOut, issue_representation
from loop_project.api import wire_datetime
from issues.models import Issue
from loop_project.api import PageParams


# --- /api/dispatch/next --------------------------------------------------------------------------


class DispatchNextIn(serializers.Serializer):
    projectId = serializers.CharField(
        required=False, max_length=64, help_text="Restrict dispatch to issues in this project"
    )


class DispatchIssueOut(serializers.ModelSerializer):
    class Meta:
        model = Issue
        fields = ["id", "number", "title", "type", "status", "priority"]
        read_only_fields = fields


class PromptMetaOut(serializers.Serializer):
    templateSlug = serializers.CharField(source="template_slug")
    templateId = serializers.CharField(source="template_id")
    versionId = serializers.CharField(source="version_id")
    versionNumber = serializers.IntegerField(source="version_number")
    reviewUrl = serializers.CharField(source="review_url")
    error = serializers.CharField(
        allow_null=True,
        help_text="Why the template failed to render (prompt is then null; the claim stands).",
    )


class ClaimOut(serializers.Serializer):
    issue = DispatchIssueOut()
    prompt = serializers.CharField(
        allow_null=True, help_text="Hydrated prompt, or null if no template matched or it failed"
    )
    meta = PromptMetaOut(allow_null=True)
    claimToken = serializers.CharField(
        source="claim_token",
        help_text="Show it to heartbeat, release or complete (PATCH) the issue; a stale one gets 409.",
    )
    leaseExpiresAt = serializers.DateTimeField(
        source="lease_expires_at",
        help_text="The claim returns to the queue at this time unless extended by a heartbeat.",
    )


def claim_representation(claim: Claim) -> dict[str, Any]:
    """``ClaimOut``'s JSON built directly: it is on every dispatch, where DRF's field machinery
    cost about a millisecond (tests/dispatch/test_api.py compares the two)."""
    issue, meta = claim.issue, claim.meta
    return {
        "issue": {
            "id": issue.pk,
            "number": issue.number,
            "title": issue.title,
            "type": issue.type,
            "status": issue.status,
            "priority": issue.priority,
        },
        "prompt": claim.prompt,
        "meta": None if meta is None else {
            "templateSlug": meta.template_slug,
            "templateId": meta.template_id,
            "versionId": meta.version_id,
            "versionNumber": meta.version_number,
            "reviewUrl": meta.review_url,
            "error": meta.error,
        },
        "claimToken": claim.claim_token,
        "leaseExpiresAt": wire_datetime(claim.lease_expires_at),
    }


class DispatchNextOut(ClaimOut):
    """The claim at the top level (upstream's server, MCP) and again under ``data`` (upstream's
    SDK and CLI), so every upstream client finds it."""

    data = ClaimOut(source="*")

    def to_representation(self, instance: Claim) -> dict[str, Any]:
        claim = claim_representation(instance)
        return {**claim, "data": dict(claim)}


# --- /api/dispatch/queue -------------------------------------------------------------------------


class DispatchQueueIn(PageParams):
    """``limit`` (1-200, default 50) and ``offset`` as every list, plus the project filter."""

    projectId = serializers.CharField(required=False, max_length=64)


class ScoreBreakdownOut(serializers.Serializer):
    priorityWeight = serializers.IntegerField(source="priority_weight")
    goalBonus = serializers.IntegerField(source="goal_bonus")
    ageBonus = serializers.IntegerField(source="age_bonus")
    typeBonus = serializers.IntegerField(source="type_bonus")


class QueueEntryOut(serializers.Serializer):
    issue = IssueOut()
    score = serializers.IntegerField()
    breakdown = ScoreBreakdownOut()


class QueuePageOut(serializers.Serializer):
    data = QueueEntryOut(many=True, source="entries")
    total = serializers.IntegerField(
        help_text="Eligible issues: exact up to 10,000, PostgreSQL's estimate beyond (see totalExact)."
    )
    totalExact = serializers.BooleanField(
        source="total_exact", help_text="False when total is an estimate (a very long queue)."
    )

    def to_representation(self, instance: QueuePage) -> dict[str, Any]:
        # Up to 200 issues with their breakdowns: built directly, as the declared fields would
        # (tests/dispatch/test_serializers.py compares the two).
        return {
            "data": [
                {
                    "issue": issue_representation(entry.issue),
                    "score": entry.score,
                    "breakdown": {
                        "priorityWeight": entry.breakdown.priority_weight,
                        "goalBonus": entry.breakdown.goal_bonus,
                        "ageBonus": entry.breakdown.age_bonus,
                        "typeBonus": entry.breakdown.type_bonus,
                    },
                }
                for entry in instance.entries
            ],
            "total": instance.total,
            "totalExact": instance.total_exact,
        }


# --- heartbeat / release -------------------------------------------------------------------------


class HeartbeatIn(serializers.Serializer):
    claimToken = serializers.CharField(max_length=64)


class LeaseOut(serializers.Serializer):
    issueId = serializers.CharField(source="issue_id")
    leaseExpiresAt = serializers.DateTimeField(source="lease_expires_at")


class LeaseEnvelopeOut(serializers.Serializer):
    data = LeaseOut(source="*")


class ReleaseIn(serializers.Serializer):
    claimToken = serializers.CharField(max_length=64)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class IssueEnvelopeOut(serializers.Serializer):
    data = IssueOut(source="*")
