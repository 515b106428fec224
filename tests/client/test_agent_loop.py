"""The reference agent (examples/agent_loop.py) drives whole loops against a live server."""

from __future__ import annotations

import importlib.util
import io
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest
from django.core.management import call_command
from django.utils import timezone

from issues.models import Issue
from templates_app.models import PromptReview

pytestmark = pytest.mark.django_db(transaction=True)

AGENT_PATH = Path(__file__).resolve().parents[2] / "examples" / "agent_loop.py"
FINISHED = {"done", "canceled"}


@pytest.fixture(scope="module")
def agent_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("agent_loop", AGENT_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["agent_loop"] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def assert_chains_intact(loop, report) -> None:
    """Every chain the agent built is linked as Loop's prompts ask, and blocked work finished
    only after what blocked it."""
    for chain in report.chains:
        source = loop.issues.get(chain.source_id)
        created = [loop.issues.get(issue_id) for issue_id in chain.created]
        if source.type == "signal":
            [hypothesis] = created
            assert hypothesis.type == "hypothesis" and hypothesis.parent_id == source.id
        elif source.type == "hypothesis":
            [plan] = created
            assert plan.type == "plan" and plan.parent_id is None
            assert any(
                r.type == "related" and {r.issue_id, r.related_issue_id} == {plan.id, source.id}
                for r in plan.all_relations()
            )
        elif source.type == "plan":
            *tasks, monitor = created
            assert [t.type for t in tasks] == ["task"] * 3 and monitor.type == "monitor"
            assert all(t.parent_id == source.id for t in created)
            for before, after in zip(tasks, tasks[1:], strict=False):
                assert after.blocker_ids() == {before.id}
                assert after.completed_at >= before.completed_at
            assert monitor.blocker_ids() == {t.id for t in tasks}
            assert monitor.completed_at >= max(t.completed_at for t in tasks)
        else:  # pragma: no cover - the agent only builds from these three
            pytest.fail(f"unexpected chain source type {source.type}")


def test_agent_closes_a_critical_signal_loop_and_its_follow_up(live_loop, agent_module):
    loop = live_loop.client()
    signal = loop.signals.ingest(
        source="sentry",
        type="error",
        severity="critical",
        payload={"message": "Payments 500 on checkout"},
    )

    report = agent_module.ReferenceAgent(loop).run()

    assert report.stopped_because == "queue empty"
    # signal → hypothesis → plan → 3 tasks → monitor, which raises one follow-up signal whose own
    # chain ends quietly (a follow-up never raises another).
    assert dict(report.by_type) == {
        "signal": 2,
        "hypothesis": 2,
        "plan": 2,
        "task": 6,
        "monitor": 2,
    }
    assert report.completed == report.claimed == 14 and report.lost_claims == 0
    assert len(report.follow_up_signals) == 1
    follow_up = loop.issues.get(report.follow_up_signals[0])
    assert follow_up.type == "signal" and follow_up.signal_payload["followUpOf"] == signal.issue.id
    assert report.reviews == report.claimed == PromptReview.objects.count()
    assert report.heartbeats >= report.claimed
    assert {i.status for i in loop.issues.iter()} == {"done"}
    assert all(i.agent_summary for i in loop.issues.iter())
    assert_chains_intact(loop, report)


def test_agent_drives_the_seeded_demo_to_the_end(live_loop, agent_module):
    call_command("seed_demo", stdout=io.StringIO())
    loop = live_loop.client()
    # What a person does first: accept triage and schedule the backlog (as `loop triage accept`),
    # and let the stale claims of the demo's crashed agents expire back into the queue.
    for waiting in list(loop.issues.iter(status=["triage", "backlog"])):
        loop.issues.update(waiting.id, status="todo")
    Issue.objects.filter(status="in_progress").update(
        lease_expires_at=timezone.now() - timedelta(hours=1)
    )
    call_command("reclaim_stale", stdout=io.StringIO())
    reviews_before = PromptReview.objects.count()

    report = agent_module.ReferenceAgent(loop, max_issues=300).run()

    assert report.stopped_because == "queue empty"
    assert report.lost_claims == 0 and report.released == 0
    statuses = {i.status for i in loop.issues.iter()}
    assert statuses <= FINISHED, statuses
    assert not Issue.objects.exclude(status__in=FINISHED).exists()
    assert PromptReview.objects.count() == reviews_before + report.reviews
    assert report.reviews == report.claimed
    assert report.by_type["signal"] >= 4 and report.by_type["task"] >= 4
    assert_chains_intact(loop, report)
    # The demo's own chain kept its links: its monitor waited for both of its blockers.
    seeded_monitor = Issue.objects.get(title__startswith="Monitor: mobile checkout conversion")
    detail = loop.issues.get(seeded_monitor.pk)
    assert detail.status == "done" and len(detail.blocker_ids()) == 2
    assert all(loop.issues.get(b).completed_at <= detail.completed_at for b in detail.blocker_ids())


def test_agent_main_prints_a_report(live_loop, agent_module, capsys):
    loop = live_loop.client()
    loop.issues.create(title="Tidy the README", type="task", status="todo")
    code = agent_module.main(["--api-url", live_loop.url, "--api-key", live_loop.key, "--json"])
    assert code == 0
    out = capsys.readouterr().out
    assert '"claimed": 1' in out and '"stoppedBecause": "queue empty"' in out
