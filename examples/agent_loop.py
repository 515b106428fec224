#!/usr/bin/env python3
"""A scripted reference agent for Loop: no LLM, every decision deterministic.

It shows the shape every Loop agent has, using only the SDK (``pip install ./client``):

    while the queue has work:
        claim = dispatch.next()                  # atomically claims the top unblocked issue
        keep the lease alive (heartbeat)         # so no other agent takes it meanwhile
        rate the prompt it came with             # POST /api/prompt-reviews
        do the work for the issue's type         # below
        complete it with a summary + claimToken  # a lost claim is refused, never overwritten

The work per type follows Loop's loop:

    signal      triage: open a hypothesis as its child
    hypothesis  plan: open a top-level plan, related to the hypothesis
    plan        decompose: open tasks as its children, each blocked_by the one before, and a
                monitor blocked_by all of them
    task        execute: mark it done with a summary (a real agent would change code here)
    monitor     check: when the chain started from a critical signal that is not itself a
                follow-up, raise a follow-up signal ("did not recover"); otherwise close it

That is what Loop's default prompts ask for. Loop nests one level only, so the chain is
signal ⊃ hypothesis, then plan ⊃ tasks + monitor, the two halves joined by a `related` relation.

Run it:  LOOP_API_URL=http://127.0.0.1:8000 LOOP_API_KEY=loop_... python examples/agent_loop.py
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from loop_client import UNSET, ClaimLostError, LoopClient, LoopError
from loop_client.sdk.models import DispatchClaim, Hypothesis, Issue, IssueDetail

logger = logging.getLogger("agent_loop")

AGENT_NAME = "reference-agent"
FOLLOW_UP_KEY = "followUpOf"
PLAN_STEPS = ("Investigate", "Fix", "Verify")
MIN_HEARTBEAT_SECONDS = 1.0


@dataclass
class Chain:
    """What the agent built from one issue, for the report (and the end-to-end test)."""

    source_id: str
    created: list[str] = field(default_factory=list)


@dataclass
class AgentReport:
    claimed: int = 0
    completed: int = 0
    canceled: int = 0
    released: int = 0
    lost_claims: int = 0
    reviews: int = 0
    heartbeats: int = 0
    follow_up_signals: list[str] = field(default_factory=list)
    by_type: Counter[str] = field(default_factory=Counter)
    chains: list[Chain] = field(default_factory=list)
    stopped_because: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "claimed": self.claimed,
            "completed": self.completed,
            "canceled": self.canceled,
            "released": self.released,
            "lostClaims": self.lost_claims,
            "reviews": self.reviews,
            "heartbeats": self.heartbeats,
            "followUpSignals": self.follow_up_signals,
            "byType": dict(self.by_type),
            "stoppedBecause": self.stopped_because,
        }


class LeaseKeeper:
    """Heartbeats a claim: once at once, then every third of the lease, from a thread, until
    stopped. A lost claim is remembered so the agent does not finish work it no longer owns."""

    def __init__(
        self, client: LoopClient, claim: DispatchClaim, on_beat: Callable[[], None]
    ) -> None:
        self._client = client
        self._claim = claim
        self._on_beat = on_beat
        self._stop = threading.Event()
        self.lost = False
        remaining = MIN_HEARTBEAT_SECONDS * 3
        if claim.lease_expires_at is not None:
            remaining = (claim.lease_expires_at - datetime.now(UTC)).total_seconds()
        self._interval = max(MIN_HEARTBEAT_SECONDS, remaining / 3)
        self._thread = threading.Thread(
            target=self._run, name=f"lease-{claim.issue.number}", daemon=True
        )

    def __enter__(self) -> LeaseKeeper:
        self.beat()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def beat(self) -> None:
        if self.lost or self._claim.claim_token is None:
            return
        try:
            self._client.dispatch.heartbeat(
                self._claim.issue.id, claim_token=self._claim.claim_token
            )
            self._on_beat()
        except ClaimLostError:
            self.lost = True
            logger.warning("lost the claim on #%s", self._claim.issue.number)
        except LoopError as exc:  # a missed beat is not fatal; the lease still has time
            logger.warning("heartbeat for #%s failed: %s", self._claim.issue.number, exc)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.beat()


def score_prompt(prompt: str, issue: Issue) -> tuple[int, int, int, str]:
    """Rate a prompt 1-5 on clarity, completeness and relevance, by fixed rules."""
    lines = prompt.splitlines()
    structure = sum(1 for line in lines if line.lstrip().startswith(("#", "1.", "- ", "* ")))
    clarity = 5 if structure >= 3 else 4 if structure >= 1 else 3
    notes = []
    completeness = 3
    if issue.id in prompt or f"#{issue.number}" in prompt:
        completeness += 1
    else:
        notes.append("does not name the issue id or number")
    if any(word in prompt.lower() for word in ("/api/", "patch", "complete", "report")):
        completeness += 1
    else:
        notes.append("does not say how to report back")
    title_start = issue.title[:24].lower()
    if title_start and title_start in prompt.lower():
        relevance = 5
    elif issue.type in prompt.lower():
        relevance = 4
        notes.append("does not quote the issue title")
    else:
        relevance = 2
        notes.append("reads as generic for this issue")
    feedback = "Clear and specific." if not notes else "Prompt " + "; ".join(notes) + "."
    return clarity, completeness, relevance, feedback


class ReferenceAgent:
    def __init__(
        self,
        client: LoopClient,
        *,
        name: str = AGENT_NAME,
        project_id: str | None = None,
        max_issues: int = 500,
    ) -> None:
        self.client = client
        self.name = name
        self.project_id = project_id
        self.max_issues = max_issues
        self.report = AgentReport()
        # Issues this agent gave back after a failure; seeing one again means give up on it.
        self._failed: set[str] = set()

    # --- the loop --------------------------------------------------------------------------

    def run(self) -> AgentReport:
        while self.report.claimed < self.max_issues:
            claim = self.client.dispatch.next(project_id=self.project_id)
            if claim is None:
                self.report.stopped_because = "queue empty"
                break
            self.report.claimed += 1
            self.report.by_type[claim.issue.type] += 1
            logger.info(
                "claimed #%s [%s] %s", claim.issue.number, claim.issue.type, claim.issue.title
            )
            self.handle(claim)
        else:
            self.report.stopped_because = f"reached --max-issues {self.max_issues}"
        logger.info("stopping: %s", self.report.stopped_because)
        return self.report

    def handle(self, claim: DispatchClaim) -> None:
        token = claim.claim_token
        with LeaseKeeper(self.client, claim, on_beat=self._count_beat) as lease:
            issue = self.client.issues.get(claim.issue.id)
            # Rate the prompt while the issue is still ours, before acting on it.
            self.review(claim, issue)
            if issue.id in self._failed:
                self._finish(
                    issue,
                    token,
                    lease,
                    "Canceled by the reference agent: it failed on this issue before.",
                    "canceled",
                )
                return
            try:
                summary = self.work(issue)
            except ClaimLostError:
                self.report.lost_claims += 1
                return
            except LoopError as exc:
                logger.error("could not handle #%s: %s", issue.number, exc)
                self._failed.add(issue.id)
                if not lease.lost and token:
                    self.client.dispatch.release(
                        issue.id, claim_token=token, reason=f"reference agent failed: {exc}"
                    )
                    self.report.released += 1
                return
            self._finish(issue, token, lease, summary, "done")

    def _finish(
        self, issue: Issue, token: str | None, lease: LeaseKeeper, summary: str, status: str
    ) -> None:
        if lease.lost:
            self.report.lost_claims += 1
            return
        try:
            self.client.dispatch.complete(
                issue.id, claim_token=token, summary=summary, status=status
            )
        except ClaimLostError:
            self.report.lost_claims += 1
            logger.warning(
                "claim on #%s was lost before completion; dropping the result", issue.number
            )
            return
        if status == "done":
            self.report.completed += 1
        else:
            self.report.canceled += 1
        logger.info("  %s #%s: %s", status, issue.number, summary)

    def _count_beat(self) -> None:
        self.report.heartbeats += 1

    def review(self, claim: DispatchClaim, issue: Issue) -> None:
        if claim.meta is None or not claim.prompt:
            return
        clarity, completeness, relevance, feedback = score_prompt(claim.prompt, issue)
        self.client.reviews.create(
            version_id=claim.meta.version_id,
            issue_id=issue.id,
            clarity=clarity,
            completeness=completeness,
            relevance=relevance,
            feedback=feedback,
            author_type="agent",
        )
        self.report.reviews += 1

    # --- work by issue type ----------------------------------------------------------------

    def work(self, issue: IssueDetail) -> str:
        handlers: dict[str, Callable[[IssueDetail], str]] = {
            "signal": self.triage,
            "hypothesis": self.plan,
            "plan": self.decompose,
            "task": self.execute,
            "monitor": self.check,
        }
        handler = handlers.get(issue.type)
        if handler is None:
            raise LoopError(f"no rule for issue type {issue.type!r}")
        return handler(issue)

    def _root_of(self, issue: Issue) -> str:
        """Where new issues hang: under this issue's parent if it has one, else under it."""
        return issue.parent_id or issue.id

    def triage(self, signal: IssueDetail) -> str:
        payload = signal.signal_payload or {}
        evidence = [f"Signal: {signal.title}"]
        for key in ("message", "culprit", "metric", "count"):
            if key in payload:
                evidence.append(f"{key}: {payload[key]}")
        hypothesis = self.client.issues.create(
            title=f"Hypothesis: one root cause explains {_short(signal.title)}",
            type="hypothesis",
            status="todo",
            priority=signal.priority or 3,
            parent_id=self._root_of(signal),
            project_id=signal.project_id or UNSET,
            hypothesis=Hypothesis(
                statement=f"{_short(signal.title)} has one root cause that one change can fix.",
                confidence=0.6,
                evidence=evidence,
                validation_criteria=(
                    f"No new {signal.signal_source or 'matching'} signals of this kind for 7 days."
                ),
                prediction="The signal stops recurring after the fix ships.",
            ),
        )
        self.report.chains.append(Chain(source_id=signal.id, created=[hypothesis.id]))
        return f"Triaged: real and actionable; opened hypothesis #{hypothesis.number}."

    def plan(self, hypothesis: IssueDetail) -> str:
        statement = hypothesis.hypothesis.statement if hypothesis.hypothesis else hypothesis.title
        # Top level, so its tasks can be its children (one level of nesting).
        plan = self.client.issues.create(
            title=f"Plan: {_short(hypothesis.title.removeprefix('Hypothesis: '))}",
            type="plan",
            status="todo",
            priority=hypothesis.priority or 3,
            project_id=hypothesis.project_id or UNSET,
            description=f"Test the hypothesis: {statement}\n"
            + "\n".join(f"{n}. {step}" for n, step in enumerate(PLAN_STEPS, start=1)),
        )
        self.client.relations.create(plan.id, type="related", related_issue_id=hypothesis.id)
        self.report.chains.append(Chain(source_id=hypothesis.id, created=[plan.id]))
        return f"Planned: opened plan #{plan.number} to test the hypothesis."

    def decompose(self, plan: IssueDetail) -> str:
        parent = self._root_of(plan)
        subject = _short(plan.title.removeprefix("Plan: "))
        chain = Chain(source_id=plan.id)
        previous: Issue | None = None
        numbers: list[str] = []
        for step in PLAN_STEPS:
            task = self.client.issues.create(
                title=f"{step}: {subject}",
                type="task",
                status="todo",
                priority=plan.priority or 3,
                parent_id=parent,
                project_id=plan.project_id or UNSET,
            )
            if parent != plan.id:
                self.client.relations.create(task.id, type="related", related_issue_id=plan.id)
            if previous is not None:
                # Order the work: each step waits for the one before it.
                self.client.relations.create(
                    task.id, type="blocked_by", related_issue_id=previous.id
                )
            chain.created.append(task.id)
            numbers.append(f"#{task.number}")
            previous = task
        monitor = self.client.issues.create(
            title=f"Monitor: {subject}",
            type="monitor",
            status="todo",
            priority=plan.priority or 3,
            parent_id=parent,
            project_id=plan.project_id or UNSET,
            description="Confirm the signal does not come back once the fix has shipped.",
        )
        for task_id in chain.created:
            self.client.relations.create(monitor.id, type="blocked_by", related_issue_id=task_id)
        if parent != plan.id:
            self.client.relations.create(monitor.id, type="related", related_issue_id=plan.id)
        chain.created.append(monitor.id)
        self.report.chains.append(chain)
        return f"Decomposed into {' → '.join(numbers)}, then monitor #{monitor.number}."

    def execute(self, task: IssueDetail) -> str:
        # A real agent would change code here and attach commits / pull requests.
        return f"Done: {task.title} (scripted reference agent; no code changed)."

    def root_signal(self, monitor: IssueDetail) -> IssueDetail | None:
        """The signal a monitor's chain started from: monitor → plan → (related) hypothesis →
        its parent signal. None when the chain did not start from a signal."""
        if not monitor.parent_id:
            return None
        plan = self.client.issues.get(monitor.parent_id)
        if plan.type == "signal":
            return plan
        for relation in plan.all_relations():
            if relation.type != "related":
                continue
            other_id = (
                relation.related_issue_id if relation.issue_id == plan.id else relation.issue_id
            )
            other = self.client.issues.get(other_id)
            if other.type == "hypothesis" and other.parent_id:
                parent = self.client.issues.get(other.parent_id)
                if parent.type == "signal":
                    return parent
        return None

    def check(self, monitor: IssueDetail) -> str:
        root = self.root_signal(monitor)
        is_critical_signal = root is not None and root.priority == 1
        already_follow_up = root is not None and FOLLOW_UP_KEY in (root.signal_payload or {})
        if root is None or not is_critical_signal or already_follow_up:
            return "Checked: the signal has not come back; closing the monitor."
        result = self.client.signals.ingest(
            source=self.name,
            type="monitor_regression",
            severity="medium",
            payload={
                "message": f"Still seen after the fixes: {_short(root.title)}",
                FOLLOW_UP_KEY: root.id,
                "monitorIssueId": monitor.id,
            },
            project_id=monitor.project_id or UNSET,
        )
        self.report.follow_up_signals.append(result.issue.id)
        return f"Not recovered: raised follow-up signal #{result.issue.number}."


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Loop's scripted reference agent.")
    parser.add_argument(
        "--api-url", default=os.environ.get("LOOP_API_URL"), help="Loop URL (env LOOP_API_URL)."
    )
    parser.add_argument(
        "--api-key", default=os.environ.get("LOOP_API_KEY"), help="API key (env LOOP_API_KEY)."
    )
    parser.add_argument("--project", help="Only take work from this project id.")
    parser.add_argument(
        "--name", default=AGENT_NAME, help="Agent name (source of follow-up signals)."
    )
    parser.add_argument("--max-issues", type=int, default=500, help="Stop after this many claims.")
    parser.add_argument("--json", action="store_true", help="Print the final report as JSON.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    with LoopClient(api_url=args.api_url, api_key=args.api_key) as client:
        agent = ReferenceAgent(
            client, name=args.name, project_id=args.project, max_issues=args.max_issues
        )
        try:
            report = agent.run()
        except LoopError as exc:
            logger.error("stopped: %s", exc)
            return 1
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(
            f"{report.claimed} claimed, {report.completed} done, {report.canceled} canceled, "
            f"{report.reviews} prompts reviewed, "
            f"{len(report.follow_up_signals)} follow-up signals; "
            f"{report.stopped_because}."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
