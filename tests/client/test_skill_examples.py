"""Every example in the skill runs, in order, against a live Loop, and leaves the chain the skill
describes: signal → hypothesis → plan → ordered tasks → monitor → follow-up signal."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from loop_client import skill

from tests.client import skill_examples
from tests.client.test_packaging import _console_script

SKILL = skill.read()


def test_examples_are_well_formed():
    examples = skill_examples.extract(SKILL)
    assert len(examples) >= 20
    # Shell snippets are all runnable examples: no ```sh or ```console block escapes the run.
    assert {f.lang for f in skill_examples.fences(SKILL)} <= {"bash", "text"}
    # Every `<!-- sets -->` follows an example, and every variable an example uses is either
    # given (URL, key) or set by an earlier example.
    assert SKILL.count("<!-- sets ") == sum(1 for e in examples if e.sets)
    known = set(skill_examples.GIVEN)
    for example in examples:
        missing = example.uses - known
        assert not missing, f"example {example.index} uses {missing} before it is set"
        known |= set(example.sets)


@pytest.mark.django_db(transaction=True)
def test_every_skill_example_runs_against_a_live_server(live_loop, settings):
    settings.LOOP_SIGNAL_INITIAL_STATUS = "todo"
    loop_bin = Path(_console_script("loop")).parent
    env = {
        **os.environ,
        "PATH": f"{loop_bin}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
        + os.environ.get("PATH", ""),
        "LOOP_API_URL": live_loop.url,
        "LOOP_API_KEY": live_loop.key,
        "COLUMNS": "120",
    }
    captured: dict[str, str] = {}
    for example in skill_examples.extract(SKILL):
        result = skill_examples.run(example, {**env, **captured})
        where = f"example {example.index}:\n{example.code}\nstdout: {result.stdout[:2000]}"
        assert result.returncode == 0, f"{where}\nstderr: {result.stderr[:2000]}"
        if example.sets:
            document = json.loads(result.stdout)
            for name, path in example.sets.items():
                value = skill_examples.dig(document, path)
                assert isinstance(value, str) and value, f"{where}\n{path} is {value!r}"
                captured[name] = value
    assert_the_chain_the_skill_describes(captured)


def assert_the_chain_the_skill_describes(ids: dict[str, str]) -> None:
    from issues.models import Comment, Issue, IssueEvent, IssueRelation
    from signals_app.models import Signal
    from templates_app.models import PromptReview

    signal = Issue.objects.get(pk=ids["SIGNAL_ID"])
    hypothesis = Issue.objects.get(pk=ids["HYPOTHESIS_ID"])
    plan = Issue.objects.get(pk=ids["PLAN_ID"])
    task_a = Issue.objects.get(pk=ids["TASK_A"])
    task_b = Issue.objects.get(pk=ids["TASK_B"])
    monitor = Issue.objects.get(type="monitor")

    assert (signal.type, signal.status) == ("signal", "done")
    assert (hypothesis.type, hypothesis.status, hypothesis.parent_id) == (
        "hypothesis",
        "done",
        signal.id,
    )
    assert hypothesis.hypothesis["confidence"] == 0.95
    assert (plan.type, plan.status, plan.parent_id) == ("plan", "done", None)
    assert IssueRelation.objects.filter(
        issue=plan, related_issue=hypothesis, type="related"
    ).exists()
    assert {task_a.parent_id, task_b.parent_id, monitor.parent_id} == {plan.id}
    assert IssueRelation.objects.filter(issue=task_b, related_issue=task_a, type="blocked_by")
    assert set(
        IssueRelation.objects.filter(issue=monitor, type="blocked_by").values_list(
            "related_issue_id", flat=True
        )
    ) == {task_a.id, task_b.id}

    assert task_a.status == "done" and "BIGINT" in task_a.agent_summary
    assert task_a.commits[0]["sha"] == "9f1c2ab"
    assert task_a.pull_requests[0]["number"] == 412
    assert Comment.objects.filter(issue=task_a, author_name="my-agent", author_type="agent")
    assert task_b.status == "canceled"
    assert IssueEvent.objects.filter(issue=task_b, kind="released").exists()
    assert monitor.status == "done" and monitor.id == ids["ISSUE_ID"]

    follow_up = Signal.objects.get(type="monitor_regression")
    assert follow_up.payload["monitorIssueId"] == monitor.id
    assert follow_up.payload["firstSignalId"] == signal.id
    assert follow_up.issue.status == "todo"

    review = PromptReview.objects.get()
    assert (review.issue_id, review.version_id) == (signal.id, ids["VERSION_ID"])
    assert (review.clarity, review.completeness, review.relevance) == (4, 3, 5)
    # Nothing the walkthrough claimed was left claimed.
    assert not Issue.objects.filter(status="in_progress").exists()
