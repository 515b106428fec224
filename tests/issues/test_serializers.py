"""The hand-built issue representation must be exactly what DRF's declared fields render."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from rest_framework import serializers

from issues.api.serializers import IssueOut, issue_representation
from loop_project.api import wire_datetime
from issues.models import Issue
from tests.factories import IssueFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def field_by_field(issue: Issue) -> dict:
    return dict(serializers.ModelSerializer.to_representation(IssueOut(), issue))


def varied_issues() -> list[Issue]:
    project = ProjectFactory()
    parent = IssueFactory(type=Issue.Type.PLAN, status=Issue.Status.DONE)
    parent.completed_at = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)
    parent.save(update_fields=["completed_at"])
    deleted = IssueFactory()
    # Not UTC in memory: both renderings must convert it.
    deleted.deleted_at = datetime(2026, 5, 1, tzinfo=timezone(timedelta(hours=2)))
    deleted.save(update_fields=["deleted_at"])
    return [
        parent,
        IssueFactory(description=None, priority=Issue.Priority.NONE),
        IssueFactory(
            parent=parent,
            project=project,
            type=Issue.Type.SIGNAL,
            priority=Issue.Priority.URGENT,
            description="multi\nline — ünïcode",
            signal_source="sentry",
            signal_payload={"nested": {"list": [1, 2.5, None, True]}, "message": "boom"},
            hypothesis={"statement": "s", "confidence": 0.7, "evidence": ["e"], "extra": 1},
            agent_session_id="session-1",
            agent_summary="tried it",
            commits=[{"sha": "abc", "message": "fix"}],
            pull_requests=[{"number": 3, "title": "t", "mergedAt": None}],
        ),
        deleted,
    ]


def test_issue_representation_matches_the_declared_fields_for_saved_and_reloaded_issues():
    for issue in varied_issues():
        assert issue_representation(issue) == field_by_field(issue)
        reloaded = Issue.all_objects.get(pk=issue.pk)
        assert issue_representation(reloaded) == field_by_field(reloaded)


def test_issue_out_renders_through_the_fast_path_with_the_same_keys_as_declared():
    issue = IssueFactory()
    assert list(IssueOut(issue).data) == IssueOut.Meta.fields
    assert IssueOut([issue], many=True).data[0] == field_by_field(issue)


def test_wire_datetime_is_utc_with_z():
    moment = datetime(2026, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert wire_datetime(moment) == "2026-05-01T10:00:00Z"
    assert wire_datetime(None) is None


TOKEN = "t" * 64
COMPLETION_BODIES = [
    {"status": "done", "claimToken": "abc"},
    {"claimToken": "abc", "status": "canceled", "agentSummary": "did X", "agentSessionId": "s-1"},
    {"status": "in_progress"},
    {"agentSummary": None, "agentSessionId": ""},
    {"agentSummary": "", "claimToken": TOKEN},
    {},
    # Everything below is refused or coerced by IssueUpdateIn, or carries other fields: the fast
    # path must step aside and leave it to the serializer.
    {"status": "finished"},
    {"status": 3},
    {"status": None},
    {"status": "done\x00"},
    {"claimToken": ""},
    {"claimToken": None},
    {"claimToken": TOKEN + "x"},
    {"claimToken": 12},
    {"agentSessionId": "s" * 201},
    {"agentSummary": "bad \ud800 surrogate"},
    {"agentSummary": ["list"]},
    {"status": "done", "title": "also a title"},
    {"status": "done", "unknownKey": 1},
    ["status", "done"],
    "done",
    None,
]


@pytest.mark.parametrize("body", COMPLETION_BODIES)
def test_plain_completion_bodies_validate_exactly_as_the_serializer_does(body):
    from issues.api.serializers import IssueUpdateIn, plain_issue_update_in

    fast = plain_issue_update_in(body)
    serializer = IssueUpdateIn(data=body)
    if fast is None:
        return  # the view falls back to the serializer itself
    assert serializer.is_valid(), serializer.errors
    assert list(fast.items()) == list(serializer.validated_data.items())


def test_the_common_completion_body_takes_the_fast_path():
    from issues.api.serializers import plain_issue_update_in

    assert plain_issue_update_in({"status": "done", "claimToken": "abc"}) == {
        "status": "done", "claim_token": "abc"}
