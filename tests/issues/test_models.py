"""Invariants the database itself holds, checked by bypassing the services."""
import pytest
from django.db import IntegrityError, transaction

from issues.models import Issue, IssueRelation, Label
from tests.factories import IssueFactory, LabelFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "field,value",
    [("status", "finished"), ("type", "epic"), ("priority", 7)],
)
def test_database_rejects_values_outside_the_enums(field, value):
    issue = IssueFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Issue.objects.filter(pk=issue.pk).update(**{field: value})


def test_database_rejects_a_duplicate_relation():
    a, b = IssueFactory(), IssueFactory()
    IssueRelation.objects.create(issue=a, related_issue=b, type="related")
    with pytest.raises(IntegrityError), transaction.atomic():
        IssueRelation.objects.create(issue=a, related_issue=b, type="related")
    # The same pair with another type is a different relation.
    IssueRelation.objects.create(issue=a, related_issue=b, type="duplicate")


def test_database_rejects_a_self_relation():
    a = IssueFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        IssueRelation.objects.create(issue=a, related_issue=a, type="related")


def test_database_rejects_an_issue_that_is_its_own_parent():
    a = IssueFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Issue.objects.filter(pk=a.pk).update(parent_id=a.pk)


def test_soft_deleted_rows_are_hidden_by_default_but_kept():
    issue = IssueFactory()
    Issue.objects.filter(pk=issue.pk).update(deleted_at="2026-01-01T00:00:00Z")
    assert not Issue.objects.filter(pk=issue.pk).exists()
    assert Issue.all_objects.filter(pk=issue.pk).exists()


def test_a_deleted_label_name_can_be_reused_but_not_a_live_one():
    label = LabelFactory(name="bug")
    with pytest.raises(IntegrityError), transaction.atomic():
        Label.objects.create(name="bug")
    Label.objects.filter(pk=label.pk).update(deleted_at="2026-01-01T00:00:00Z")
    Label.objects.create(name="bug")


def test_ids_are_opaque_cuid_like_strings():
    issue = IssueFactory()
    assert len(issue.pk) == 24 and issue.pk[0].isalpha() and issue.pk.isalnum()
