"""Reviews: the EWMA score, the improvement task (exactly one open per template), and both under
concurrency on PostgreSQL."""
from __future__ import annotations

import threading

import pytest
from django.db import connection

from issues import services as issue_services
from issues.models import Issue
from loop_project.errors import LoopError, NotFound, RuleViolation
from templates_app import services
from templates_app.models import PromptReview, PromptTemplate, PromptVersion
from tests.factories import IssueFactory, ProjectFactory


def _setup(slug="reviewed", project=None) -> tuple[PromptTemplate, PromptVersion, Issue]:
    template = services.create_template(
        slug=slug, name="Reviewed", project_id=project.pk if project else None
    )
    version = services.create_version(
        template_id=template.pk, content="{{ issue.title }}", author_type="human", author_name="a"
    )
    return template, version, IssueFactory()


def _review(version, issue, scores=(4, 4, 4), **kwargs):
    clarity, completeness, relevance = scores
    return services.record_review(
        version_id=version.pk, issue_id=issue.pk, clarity=clarity, completeness=completeness,
        relevance=relevance, author_type=kwargs.pop("author_type", "agent"), **kwargs,
    )


def _improvement_issues() -> list[Issue]:
    return list(Issue.objects.filter(title__startswith="Improve prompt template:"))


@pytest.mark.django_db
def test_first_review_sets_the_composite_then_ewma_follows():
    _, version, issue = _setup()
    first = _review(version, issue, (5, 4, 3))  # composite 4.0
    assert first.review_score == pytest.approx(4.0) and first.review_count == 1
    second = _review(version, issue, (2, 2, 2))  # 0.3 * 2 + 0.7 * 4 = 3.4
    assert second.review_score == pytest.approx(3.4)
    third = _review(version, issue, (5, 5, 4))  # composite 14/3; 0.3 * 14/3 + 0.7 * 3.4 = 3.78
    assert third.review_score == pytest.approx(0.3 * 14 / 3 + 0.7 * 3.4)
    version.refresh_from_db()
    assert (version.review_score, version.review_count) == (pytest.approx(3.78), 3)
    assert PromptReview.objects.filter(version=version).count() == 3


@pytest.mark.django_db
def test_score_is_per_version():
    template, first, issue = _setup()
    second = services.create_version(
        template_id=template.pk, content="x", author_type="agent", author_name="a"
    )
    _review(first, issue, (1, 1, 1))
    outcome = _review(second, issue, (5, 5, 5))
    assert outcome.review_score == 5.0 and outcome.review_count == 1


@pytest.mark.django_db
def test_low_score_after_three_reviews_opens_one_improvement_task():
    template, version, issue = _setup(slug="weak")
    assert _review(version, issue, (2, 2, 2)).improvement_issue is None
    assert _review(version, issue, (2, 3, 2)).improvement_issue is None
    outcome = _review(version, issue, (3, 2, 2), feedback="Steps 2 and 3 contradict each other")
    created = outcome.improvement_issue
    assert created is not None
    assert created.title == "Improve prompt template: weak (avg review 2.2/5, 3 reviews since v1)"
    assert (created.type, created.status, created.priority) == ("task", "todo", 3)
    assert set(created.labels.values_list("name", flat=True)) == {"prompt-improvement", "meta"}
    assert "Steps 2 and 3 contradict each other" in created.description
    assert f"/api/templates/{template.pk}/versions" in created.description
    template.refresh_from_db()
    assert template.improvement_issue_id == created.pk
    # Further low reviews while it is open create nothing more.
    for _ in range(3):
        assert _review(version, issue, (1, 1, 1)).improvement_issue is None
    assert len(_improvement_issues()) == 1


@pytest.mark.django_db
def test_good_scores_below_fifteen_reviews_open_nothing():
    _, version, issue = _setup()
    for _ in range(14):
        assert _review(version, issue, (5, 4, 4)).improvement_issue is None
    assert _improvement_issues() == []


@pytest.mark.django_db
def test_fifteenth_review_opens_a_task_even_when_scores_are_good():
    _, version, issue = _setup(slug="popular")
    for _ in range(14):
        _review(version, issue, (5, 5, 5))
    created = _review(version, issue, (5, 5, 5)).improvement_issue
    assert created.title == "Improve prompt template: popular (avg review 5.0/5, 15 reviews since v1)"


@pytest.mark.django_db
def test_two_low_reviews_are_not_enough():
    _, version, issue = _setup()
    _review(version, issue, (1, 1, 1))
    assert _review(version, issue, (1, 1, 1)).improvement_issue is None


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["done", "canceled", "deleted"])
def test_a_new_task_is_opened_once_the_previous_one_is_closed(how):
    template, version, issue = _setup()
    for _ in range(3):
        _review(version, issue, (1, 2, 1))
    first = _improvement_issues()[0]
    if how == "deleted":
        issue_services.delete_issue(issue_id=first.pk, actor="tests")
    else:
        issue_services.update_issue(issue_id=first.pk, actor="tests", changes={"status": how})
    second = _review(version, issue, (1, 1, 1)).improvement_issue
    assert second is not None and second.pk != first.pk
    template.refresh_from_db()
    assert template.improvement_issue_id == second.pk


@pytest.mark.django_db
def test_improvement_task_goes_to_the_templates_project_and_reuses_labels():
    project = ProjectFactory()
    label = issue_services.create_label(name="meta")
    _, version, issue = _setup(project=project)
    for _ in range(3):
        _review(version, issue, (1, 1, 1))
    created = _improvement_issues()[0]
    assert created.project_id == project.pk
    assert label.pk in set(created.labels.values_list("id", flat=True))


@pytest.mark.django_db
def test_unknown_version_is_not_found_and_writes_nothing():
    _, _, issue = _setup()
    with pytest.raises(NotFound):
        services.record_review(version_id="nope", issue_id=issue.pk, clarity=3, completeness=3,
                               relevance=3, author_type="agent")
    assert not PromptReview.objects.exists()


@pytest.mark.django_db
def test_unknown_issue_is_a_rule_violation_and_writes_nothing():
    _, version, _ = _setup()
    with pytest.raises(RuleViolation) as excinfo:
        services.record_review(version_id=version.pk, issue_id="nope", clarity=3, completeness=3,
                               relevance=3, author_type="agent")
    assert excinfo.value.field == "issueId"
    version.refresh_from_db()
    assert version.review_count == 0 and not PromptReview.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("scores", "author_type"), [((0, 3, 3), "agent"), ((3, 6, 3), "agent"),
                                                     ((3, 3, True), "agent"), ((3, 3, 3), "robot")])
def test_out_of_range_input_is_refused(scores, author_type):
    _, version, issue = _setup()
    with pytest.raises(LoopError):
        _review(version, issue, scores, author_type=author_type)


# --- concurrency (PostgreSQL: real row locks, one connection per thread) ------------------------


def _in_threads(count: int, work) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_reviews_lose_no_update_and_open_one_improvement_task():
    _, version, issue = _setup(slug="contended")
    count = 12
    errors = _in_threads(count, lambda index: _review(version, issue, (1, 2, 1)))
    assert errors == []
    version.refresh_from_db()
    assert version.review_count == count
    assert PromptReview.objects.filter(version=version).count() == count
    # Every review has the same composite, so any interleaving leaves exactly that score.
    assert version.review_score == pytest.approx(4 / 3)
    assert len(_improvement_issues()) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_reviews_fold_every_score_into_the_ewma():
    _, version, issue = _setup(slug="ewma-contended")
    _review(version, issue, (5, 5, 5))
    count = 8
    errors = _in_threads(count, lambda index: _review(version, issue, (1, 1, 1)))
    assert errors == []
    version.refresh_from_db()
    # Whatever the order, 8 updates of 1.0 onto 5.0: 1 + 4 * 0.7^8.
    assert version.review_score == pytest.approx(1 + 4 * 0.7**count)
    assert version.review_count == count + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_usage_counts_lose_no_increment():
    _, version, _ = _setup(slug="busy")
    errors = _in_threads(10, lambda index: [services.record_usage(version_id=version.pk) for _ in range(5)])
    assert errors == []
    version.refresh_from_db()
    assert version.usage_count == 50


def _finished(status: str, *, minutes: float) -> Issue:
    """An issue claimed at noon and finished ``minutes`` later with ``status``."""
    from datetime import datetime, timedelta, timezone

    claimed = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
    issue = IssueFactory()
    Issue.objects.filter(pk=issue.pk).update(
        status=status, claimed_at=claimed, completed_at=claimed + timedelta(minutes=minutes)
    )
    return issue


@pytest.mark.django_db
def test_completion_rate_and_duration_come_from_the_reviewed_issues_outcomes():
    _, version, open_issue = _setup()
    _review(version, open_issue)  # not finished yet: no outcome to count
    version.refresh_from_db()
    assert (version.completion_rate, version.avg_duration_ms) == (None, None)
    done_fast, done_slow = _finished("done", minutes=1), _finished("done", minutes=3)
    canceled = _finished("canceled", minutes=9)
    for issue in (done_fast, done_slow, canceled, done_fast):  # a second review of one issue
        _review(version, issue)
    version.refresh_from_db()
    assert version.completion_rate == pytest.approx(2 / 3)
    assert version.avg_duration_ms == pytest.approx(2 * 60 * 1000)  # done issues only, each once


@pytest.mark.django_db
def test_a_low_completion_rate_raises_needs_attention_on_the_dashboard(api_client):
    template, version, _ = _setup(slug="failing")
    for status in ("canceled", "canceled", "done"):
        _review(version, _finished(status, minutes=5), scores=(5, 5, 5))
    body = api_client.get("/api/dashboard/prompts").json()
    [row] = [row for row in body["data"] if row["template"]["id"] == template.pk]
    assert row["activeVersion"]["completionRate"] == pytest.approx(1 / 3)
    assert row["needsAttention"] is True  # the scores alone (5.0) would not raise it
