"""The hand-built claim answer must be exactly what the declared DRF fields render."""
from __future__ import annotations

import pytest
from rest_framework import serializers

from dispatch.api.serializers import ClaimOut, DispatchNextOut
from dispatch.services import claim_next_issue
from tests.dispatch.helpers import make_active_template
from tests.factories import IssueFactory

pytestmark = pytest.mark.django_db


def field_by_field(claim) -> dict:
    top = dict(serializers.Serializer.to_representation(ClaimOut(), claim))
    return {**top, "data": dict(top)}


@pytest.mark.parametrize("content", ["Do #{{ issue.number }}", "{{ broken "])
def test_claim_answer_matches_the_declared_fields(content):
    make_active_template(content=content)
    IssueFactory(title="Fix it", type="signal", priority=1)
    claim = claim_next_issue(agent_name="worker-1")
    assert DispatchNextOut(claim).data == field_by_field(claim)


def test_claim_answer_without_a_template_matches_the_declared_fields(no_templates):
    IssueFactory()
    claim = claim_next_issue(agent_name="worker-1")
    assert claim.meta is None
    assert DispatchNextOut(claim).data == field_by_field(claim)


def test_queue_page_matches_the_declared_fields():
    from dispatch.api.serializers import QueuePageOut
    from dispatch.selectors import dispatch_queue
    from issues.api.serializers import IssueOut

    IssueFactory(priority=2, type="task")
    IssueFactory(priority=1, type="signal", signal_payload={"a": 1})
    page = dispatch_queue(limit=10)
    declared = dict(serializers.Serializer.to_representation(QueuePageOut(), page))
    # The declared nested IssueOut renders through the same fast path; compare it field by field.
    for entry, rendered in zip(page.entries, declared["data"], strict=True):
        rendered["issue"] = dict(serializers.ModelSerializer.to_representation(IssueOut(), entry.issue))
    assert QueuePageOut(page).data == declared
    assert declared["totalExact"] is True and declared["total"] == 2
