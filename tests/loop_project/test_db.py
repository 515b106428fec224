"""PreparedQuery: compiled once, run with new values, rows identical to the ORM's."""
from __future__ import annotations

import pytest
from django.db import connection, transaction

from issues.models import Issue
from loop_project.db import PreparedQuery
from tests.factories import IssueFactory

pytestmark = pytest.mark.django_db

BY_PK = PreparedQuery(lambda pk: Issue.all_objects.filter(pk=pk), "pk")
LIVE_BY_TITLE = PreparedQuery(
    lambda title: Issue.objects.filter(title=title).order_by("number"), "title"
)


def _fields(issue: Issue) -> dict:
    return {field.attname: getattr(issue, field.attname) for field in Issue._meta.concrete_fields}


def test_rows_equal_what_the_orm_loads_json_and_datetimes_included():
    issue = IssueFactory(signal_payload={"a": [1, {"b": None}]}, hypothesis={"confidence": 0.5},
                         commits=[{"sha": "x", "message": "m"}])
    prepared = BY_PK.first(pk=issue.pk)
    assert _fields(prepared) == _fields(Issue.all_objects.get(pk=issue.pk))
    assert prepared._state.adding is False and prepared._state.db == connection.alias


def test_values_are_bound_per_call_and_the_query_is_built_once():
    builds = []

    def build(title):
        builds.append(title)
        return Issue.objects.filter(title=title).order_by("number")

    by_title = PreparedQuery(build, "title")
    first, second = IssueFactory(title="same"), IssueFactory(title="same")
    IssueFactory(title="other")
    assert [i.pk for i in by_title.all(title="same")] == [first.pk, second.pk]
    assert [i.title for i in by_title.all(title="other")] == ["other"]
    assert by_title.first(title="missing") is None
    assert len(builds) == 1


def test_the_default_manager_filter_is_kept():
    issue = IssueFactory(title="gone")
    Issue.all_objects.filter(pk=issue.pk).update(deleted_at=issue.created_at)
    assert LIVE_BY_TITLE.all(title="gone") == []
    assert BY_PK.first(pk=issue.pk).pk == issue.pk


def test_select_for_update_compiles_inside_a_transaction():
    issue = IssueFactory()
    locked = PreparedQuery(lambda pk: Issue.objects.select_for_update().filter(pk=pk), "pk")
    with transaction.atomic():
        assert locked.first(pk=issue.pk).pk == issue.pk


def test_partial_rows_and_related_rows_load_as_the_orm_loads_them():
    parent = IssueFactory(title="parent")
    child = IssueFactory(parent=parent, title="child")
    only = PreparedQuery(lambda pk: Issue.objects.filter(pk=pk).only("id", "title"), "pk")
    loaded = only.first(pk=child.pk)
    assert loaded.title == "child" and loaded.get_deferred_fields() >= {"description", "status"}
    joined = PreparedQuery(lambda pk: Issue.objects.select_related("parent").filter(pk=pk), "pk")
    with_parent = joined.first(pk=child.pk)
    assert with_parent.parent.title == "parent"  # no second query: loaded with the row
    assert _fields(with_parent.parent) == _fields(Issue.objects.get(pk=parent.pk))


def test_insert_of_a_row_with_an_auto_increment_key_returns_the_key():
    from issues.models import IssueEvent
    from loop_project.db import insert

    issue = IssueFactory()
    event = IssueEvent(issue=issue, kind="updated", actor="system", changes={"a": [1, None]})
    insert(event)
    stored = IssueEvent.objects.get(pk=event.pk)
    assert (stored.issue_id, stored.kind, stored.changes, stored.note) == (
        issue.pk, "updated", {"a": [1, None]}, "")
    assert stored.created_at == event.created_at and event._state.adding is False


def test_fetch_whole_rows_builds_what_the_orm_loads():
    from loop_project.db import fetch_whole_rows

    issue = IssueFactory(signal_payload={"k": [1]}, hypothesis={"confidence": 0.9})
    columns = ", ".join(f.column for f in Issue._meta.concrete_fields)
    [loaded] = fetch_whole_rows(Issue, f"SELECT {columns} FROM issues_issue WHERE id = %s", [issue.pk])
    assert _fields(loaded) == _fields(Issue.all_objects.get(pk=issue.pk))
    assert fetch_whole_rows(Issue, f"SELECT {columns} FROM issues_issue WHERE id = %s", ["none"]) == []


def test_update_writes_only_the_named_fields_and_stamps_auto_now():
    from django.db import DatabaseError

    from loop_project.db import update

    issue = IssueFactory(title="before", priority=1)
    stamp = issue.updated_at
    Issue.all_objects.filter(pk=issue.pk).update(priority=3)  # changed behind our back
    issue.title, issue.priority, issue.hypothesis = "after", 2, {"confidence": 0.4}
    update(issue, ["title", "hypothesis", "updated_at"])
    stored = Issue.all_objects.get(pk=issue.pk)
    assert (stored.title, stored.priority, stored.hypothesis) == ("after", 3, {"confidence": 0.4})
    assert stored.updated_at == issue.updated_at > stamp
    Issue.all_objects.filter(pk=issue.pk).delete()
    with pytest.raises(DatabaseError):
        update(issue, ["title"])
