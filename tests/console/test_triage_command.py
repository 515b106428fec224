"""``manage.py triage``: interactive (driven through stdin) and for scripts."""
from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from issues.models import Comment, Issue, IssueEvent
from tests.factories import IssueFactory


def triage(*args: str, stdin: str | None = None) -> str:
    out = io.StringIO()
    kwargs = {"stdin": io.StringIO(stdin)} if stdin is not None else {}
    call_command("triage", *args, "--user", "tess", stdout=out, stderr=io.StringIO(), **kwargs)
    return out.getvalue()


@pytest.fixture
def waiting(db) -> list[Issue]:
    """Three issues in triage (oldest first) and one that is not."""
    issues = [IssueFactory(status="triage", title=f"Report {n}", priority=0) for n in range(3)]
    IssueFactory(status="todo", title="Already accepted")
    return issues


def test_accept_to_todo_with_a_priority(waiting):
    first = waiting[0]
    output = triage(stdin="a\nt\n2\nq\n")
    first.refresh_from_db()
    assert (first.status, first.priority) == ("todo", 2)
    event = IssueEvent.objects.filter(issue=first).latest("id")
    assert event.actor == "user:tess"
    assert event.changes == {"status": ["triage", "todo"], "priority": [0, 2]}
    assert f"#{first.number} → todo, priority high" in output
    assert "1 accepted, 0 declined, 0 skipped" in output


def test_accept_defaults_to_todo_and_medium(waiting):
    triage(stdin="a\n\n\nq\n")
    waiting[0].refresh_from_db()
    assert (waiting[0].status, waiting[0].priority) == ("todo", 3)


def test_accept_to_backlog(waiting):
    triage(stdin="a\nb\n4\nq\n")
    waiting[0].refresh_from_db()
    assert (waiting[0].status, waiting[0].priority) == ("backlog", 4)


def test_decline_asks_until_there_is_a_reason_and_leaves_it_as_a_comment(waiting):
    first = waiting[0]
    output = triage(stdin="d\n\nDuplicate of #3\nq\n")
    first.refresh_from_db()
    assert first.status == "canceled"
    assert "A reason is required." in output
    assert IssueEvent.objects.filter(issue=first).latest("id").note == "Duplicate of #3"
    comment = Comment.objects.get(issue=first)
    assert (comment.author_name, comment.author_type) == ("tess", "human")
    assert "Duplicate of #3" in comment.body


def test_skip_leaves_the_issue_and_goes_on(waiting):
    output = triage(stdin="s\na\nt\n1\ns\n")
    statuses = [Issue.objects.get(pk=i.pk).status for i in waiting]
    assert statuses == ["triage", "todo", "triage"]
    assert "1 accepted, 0 declined, 2 skipped" in output


def test_unknown_answers_are_asked_again(waiting):
    output = triage(stdin="x\nq\n")
    assert "Please answer one of" in output
    assert all(Issue.objects.get(pk=i.pk).status == "triage" for i in waiting)


def test_end_of_input_stops_without_changing_anything(waiting):
    triage(stdin="a\nt\n")  # the priority question never gets an answer
    assert all(Issue.objects.get(pk=i.pk).status == "triage" for i in waiting)


def test_the_card_shows_what_is_needed_to_decide(db):
    IssueFactory(status="triage", title="Coupon bug", description="Three tickets", signal_source="support",
                 signal_payload={"ticket": "ZD-1"})
    output = triage(stdin="q\n")
    assert "Coupon bug" in output and "Three tickets" in output and "from support" in output
    assert "ticket=ZD-1" in output


def test_nothing_to_triage(db):
    assert "Nothing to triage." in triage(stdin="")


def test_non_interactive_lists_the_triage_queue(waiting):
    output = triage("--non-interactive")
    lines = output.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == [f"#{i.number}" for i in waiting]
    assert all(Issue.objects.get(pk=i.pk).status == "triage" for i in waiting)


def test_non_interactive_accepts_and_declines(waiting):
    first, second, third = waiting
    triage("--non-interactive", "--accept", str(first.number), str(second.number), "--to", "backlog",
           "--priority", "2", "--decline", str(third.number), "--reason", "Not reproducible")
    for issue in waiting:
        issue.refresh_from_db()
    assert [(i.status, i.priority) for i in (first, second)] == [("backlog", 2), ("backlog", 2)]
    assert third.status == "canceled"
    assert Comment.objects.get(issue=third).body.endswith("Not reproducible")


def test_non_interactive_is_all_or_nothing(waiting):
    todo = Issue.objects.get(title="Already accepted")
    with pytest.raises(CommandError, match=f"#{todo.number}"):
        triage("--non-interactive", "--accept", str(waiting[0].number), str(todo.number))
    waiting[0].refresh_from_db()
    assert waiting[0].status == "triage"


def test_non_interactive_decline_needs_a_reason(waiting):
    with pytest.raises(CommandError, match="--reason"):
        triage("--non-interactive", "--decline", str(waiting[0].number))


def test_an_issue_cannot_be_both_accepted_and_declined(waiting):
    number = str(waiting[0].number)
    with pytest.raises(CommandError, match="both"):
        triage("--non-interactive", "--accept", number, "--decline", number, "--reason", "x")


def test_accept_without_non_interactive_is_refused(waiting):
    with pytest.raises(CommandError, match="--non-interactive"):
        triage("--accept", str(waiting[0].number))
