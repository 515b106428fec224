import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from issues import services as issue_services
from issues.models import Comment, Issue, IssueEvent, IssueRelation
from issues.ranking import dispatch_rank
from loop_project.errors import RuleViolation, ServiceUnavailable
from signals_app.models import Signal
from signals_app.services import (
    INITIAL_STATUSES,
    ingest_signal,
    is_occurrence_milestone,
    signal_title,
)
from tests.factories import GoalFactory, IssueFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def ingest(**overrides):
    fields = {
        "source": "ci",
        "type": "build_failed",
        "severity": "high",
        "payload": {"message": "main is red"},
        "actor": "agent:test",
    }
    fields.update(overrides)
    return ingest_signal(**fields)


def test_ingest_stores_signal_and_opens_signal_issue():
    result = ingest()
    assert (result.created, result.grouped, result.duplicate) == (True, False, False)
    signal, issue = result.signal, result.issue
    assert Signal.objects.get().issue_id == issue.pk == signal.issue_id
    assert issue.type == Issue.Type.SIGNAL
    assert issue.title == "[ci] build_failed: main is red"
    assert issue.priority == Issue.Priority.HIGH
    assert issue.signal_source == "ci" and issue.signal_payload == {"message": "main is red"}
    assert issue.status == "todo"  # LOOP_SIGNAL_INITIAL_STATUS default
    assert IssueEvent.objects.filter(issue=issue, kind="created", actor="agent:test").exists()


@pytest.mark.parametrize(
    ("severity", "priority"), [("critical", 1), ("high", 2), ("medium", 3), ("low", 4)]
)
def test_severity_sets_priority(severity, priority):
    assert ingest(severity=severity).issue.priority == priority


@pytest.mark.parametrize(
    ("payload", "title"),
    [
        ({"message": "disk full", "title": "ignored"}, "[ci] build_failed: disk full"),
        ({"title": "Flaky test"}, "[ci] build_failed: Flaky test"),
        ({"message": "", "title": 3}, "[ci] build_failed: build_failed"),
        ({}, "[ci] build_failed: build_failed"),
    ],
)
def test_title_summary_falls_back_from_message_to_title_to_type(payload, title):
    assert signal_title(source="ci", type="build_failed", payload=payload) == title


def test_overlong_title_is_cut_to_the_column():
    issue = ingest(payload={"message": "x" * 2000}).issue
    assert len(issue.title) == 500 and issue.title.endswith("…")


@pytest.mark.parametrize("status", INITIAL_STATUSES)
def test_initial_status_follows_setting(settings, status):
    settings.LOOP_SIGNAL_INITIAL_STATUS = status
    assert ingest().issue.status == status


def test_invalid_initial_status_is_refused_not_stored(settings):
    settings.LOOP_SIGNAL_INITIAL_STATUS = "done"
    with pytest.raises(ServiceUnavailable, match="LOOP_SIGNAL_INITIAL_STATUS"):
        ingest()
    assert not Signal.objects.exists() and not Issue.objects.exists()


def test_unknown_project_is_a_rule_violation_and_stores_nothing():
    with pytest.raises(RuleViolation) as excinfo:
        ingest(project_id="missing")
    assert excinfo.value.field == "projectId"
    assert not Signal.objects.exists() and not Issue.objects.exists()


def test_project_is_set_on_the_issue():
    project = ProjectFactory()
    assert ingest(project_id=project.pk).issue.project_id == project.pk


@pytest.mark.parametrize("with_goal", [False, True])
def test_dispatch_rank_is_the_shared_formula(with_goal):
    project = ProjectFactory()
    if with_goal:
        GoalFactory(project=project)
    issue = Issue.objects.get(pk=ingest(project_id=project.pk, severity="critical").issue.pk)
    expected = dispatch_rank(
        created_at=issue.created_at, priority=1, issue_type="signal", has_active_goal=with_goal
    )
    assert issue.dispatch_rank == pytest.approx(expected, abs=1e-5)
    assert issue.number > 0 and not issue.is_blocked and issue.completed_at is None


def test_redelivery_returns_the_stored_signal_and_stores_nothing():
    first = ingest(delivery_id="d-1")
    second = ingest(delivery_id="d-1", payload={"message": "different"})
    assert second.duplicate and not second.created and not second.grouped
    assert second.signal.pk == first.signal.pk and second.issue.pk == first.issue.pk
    assert Signal.objects.count() == 1 and Issue.objects.count() == 1


def test_same_delivery_id_from_another_source_is_a_new_signal():
    ingest(delivery_id="d-1")
    assert ingest(source="other", delivery_id="d-1").created
    assert Signal.objects.count() == 2


def test_same_fingerprint_groups_onto_the_open_issue():
    first = ingest(fingerprint="ci:main")
    second = ingest(fingerprint="ci:main", severity="low")
    assert second.grouped and not second.created
    assert second.issue.pk == first.issue.pk
    issue = Issue.objects.get()
    assert issue.occurrence_count == 2
    assert issue.last_seen_at == second.issue.last_seen_at and issue.last_seen_at is not None
    # The grouped signal is still stored, linked to the same issue.
    assert list(Signal.objects.values_list("issue_id", flat=True)) == [issue.pk, issue.pk]
    event = IssueEvent.objects.get(issue=issue, kind="occurrence")
    assert event.changes == {"occurrence_count": [1, 2]}
    assert second.signal.pk in event.note


def test_grouping_never_lowers_priority_but_a_more_severe_occurrence_raises_it():
    first = ingest(fingerprint="fp", severity="medium")
    assert ingest(fingerprint="fp", severity="low").issue.priority == 3
    escalated = ingest(fingerprint="fp", severity="critical").issue
    assert escalated.pk == first.issue.pk and escalated.priority == 1
    assert Issue.objects.get().priority == 1


def test_different_fingerprints_open_different_issues():
    assert ingest(fingerprint="a").issue.pk != ingest(fingerprint="b").issue.pk


def test_no_fingerprint_never_groups():
    ingest()
    ingest()
    assert Issue.objects.count() == 2


def test_milestone_occurrences_leave_a_comment(settings):
    ingest(fingerprint="noisy")
    for _ in range(9):
        ingest(fingerprint="noisy")
    issue = Issue.objects.get()
    assert issue.occurrence_count == 10
    comment = Comment.objects.get(issue=issue)
    assert "10 times" in comment.body and comment.author_name == "loop"
    assert Signal.objects.filter(issue=issue).count() == 10


@pytest.mark.parametrize(
    ("count", "milestone"),
    [(1, False), (2, False), (9, False), (10, True), (11, False), (20, False), (100, True),
     (1000, True), (1001, False), (10000, True)],
)
def test_occurrence_milestones(count, milestone):
    assert is_occurrence_milestone(count) is milestone


@pytest.mark.parametrize("final_status", ["done", "canceled"])
def test_fingerprint_after_issue_closed_opens_a_related_regression(final_status):
    first = ingest(fingerprint="ci:main")
    issue_services.update_issue(
        issue_id=first.issue.pk, actor="agent:fixer", changes={"status": final_status}
    )
    again = ingest(fingerprint="ci:main")
    assert again.created and not again.grouped
    assert again.regression_of.pk == first.issue.pk
    assert again.issue.pk != first.issue.pk and again.issue.fingerprint == "ci:main"
    assert f"#{first.issue.number}" in again.issue.description
    relation = IssueRelation.objects.get(issue=again.issue)
    assert (relation.type, relation.related_issue_id) == ("related", first.issue.pk)
    # ... and the regression issue is itself the open one the next repeat groups onto.
    assert ingest(fingerprint="ci:main").issue.pk == again.issue.pk


def test_fingerprint_of_a_deleted_issue_starts_afresh_without_a_relation():
    first = ingest(fingerprint="fp")
    issue_services.delete_issue(issue_id=first.issue.pk, actor="system")
    again = ingest(fingerprint="fp")
    assert again.created and again.regression_of is None
    assert not IssueRelation.objects.exists()


def test_open_issue_with_fingerprint_but_no_signal_is_still_found():
    # An issue given a fingerprint by another write path still holds the fingerprint's slot.
    existing = IssueFactory(type=Issue.Type.SIGNAL, fingerprint="external")
    result = ingest(fingerprint="external")
    assert result.grouped and result.issue.pk == existing.pk


def test_grouped_signal_with_unknown_project_is_refused():
    ingest(fingerprint="fp")
    with pytest.raises(RuleViolation):
        ingest(fingerprint="fp", project_id="missing")
    assert Signal.objects.count() == 1


def test_new_signal_costs_four_statements():
    with CaptureQueriesContext(connection) as queries:
        ingest()
    # issue number, issue, audit event, signal (savepoint statements excluded)
    writes = [q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(writes) <= 4, [q["sql"] for q in writes]


def test_grouped_signal_costs_four_statements():
    ingest(fingerprint="fp")
    with CaptureQueriesContext(connection) as queries:
        ingest(fingerprint="fp")
    # lookup (locking), occurrence update, audit event, signal
    writes = [q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(writes) <= 4, [q["sql"] for q in writes]


def test_redelivery_costs_one_statement_and_carries_its_issue():
    first = ingest(delivery_id="d-1")
    with CaptureQueriesContext(connection) as queries:
        again = ingest(delivery_id="d-1")
        # select_related: the issue came with the signal, reading it costs nothing more
        assert again.signal.issue.pk == first.issue.pk
        assert again.issue.signal_payload == {"message": "main is red"}
    assert len(queries.captured_queries) == 1, [q["sql"] for q in queries.captured_queries]


def test_compiled_reads_give_what_the_orm_reads():
    first = ingest(delivery_id="d-1", fingerprint="ci:fp", payload={"message": "x", "n": [1.5]})
    again = ingest(delivery_id="d-1")
    for fetched, model in ((again.signal, Signal), (again.issue, Issue)):
        stored = model._base_manager.get(pk=fetched.pk)
        fields = [f.attname for f in model._meta.concrete_fields]
        assert [getattr(fetched, f) for f in fields] == [getattr(stored, f) for f in fields]
        assert not fetched._state.adding
    grouped = ingest(fingerprint="ci:fp")
    assert grouped.grouped and grouped.issue.pk == first.issue.pk


def test_inserted_rows_are_what_was_built():
    result = ingest(source_id="evt-9", delivery_id="d-9", fingerprint="ci:fp")
    for built, model in ((result.signal, Signal), (result.issue, Issue)):
        stored = model._base_manager.get(pk=built.pk)
        fields = [f.attname for f in model._meta.concrete_fields]
        assert [getattr(built, f) for f in fields] == [getattr(stored, f) for f in fields]
        assert not built._state.adding


def test_nothing_listens_to_saves_of_the_rows_ingest_inserts():
    # loop_project.db.insert writes rows without Model.save(), so no pre/post_save is sent; a
    # receiver added for these models would have to be called from ingest explicitly.
    from django.db.models.signals import post_save, pre_save

    for model in (Issue, Signal, IssueEvent):
        assert not pre_save.has_listeners(model) and not post_save.has_listeners(model)


def test_ingested_issues_draw_numbers_as_every_other_issue_does():
    # On PostgreSQL ingest draws the number inside its INSERT; it must be the same sequence
    # issues.numbering hands out, so numbers stay unique and in creation order.
    numbers = []
    for index in range(3):
        numbers.append(ingest(delivery_id=f"d-{index}").issue.number)
        numbers.append(issue_services.create_issue(actor="agent:test", title=f"t{index}").number)
    numbers.append(ingest(fingerprint="ci:fp").issue.number)
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    stored = dict(Issue.all_objects.values_list("pk", "number"))
    assert sorted(stored.values()) == numbers


def test_grouped_signal_is_stored_with_the_counted_occurrence():
    first = ingest(fingerprint="ci:fp")
    again = ingest(fingerprint="ci:fp", payload={"message": "again"})
    stored = Issue.objects.get(pk=first.issue.pk)
    assert stored.occurrence_count == again.issue.occurrence_count == 2
    assert stored.last_seen_at == again.issue.last_seen_at == stored.updated_at
    assert Signal.objects.get(pk=again.signal.pk).issue_id == first.issue.pk
    assert not again.signal._state.adding


def test_insert_params_are_what_the_fields_prepare():
    from loop_project.db import insert_params, insert_sql

    result = ingest(source_id="evt-1", delivery_id="d-1", fingerprint="ci:fp", project_id=None)
    for obj in (result.signal, result.issue):
        _, fields = insert_sql(type(obj))
        fast = insert_params(obj, fields)
        prepared = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
        for field, mine, theirs in zip(fields, fast, prepared, strict=True):
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                assert type(mine) is type(theirs), field.name  # stamped anew by each pre_save
            elif field.get_internal_type() != "JSONField":  # adapters, compared by content
                assert (mine, type(mine)) == (theirs, type(theirs)), field.name
            else:
                assert getattr(mine, "obj", mine) == getattr(theirs, "obj", theirs), field.name
