"""The demo loop's story: a checkout team two weeks into running Loop.

A conversion drop (PostHog) became a hypothesis, a plan and tasks, some done, one claimed, two
blocked, and a monitor waiting for them; Sentry keeps reporting a crash grouped onto one issue; CI
and a GitHub issue add fresh signals; support reports wait in triage; an agent is stuck with an
expired lease; agents reviewed their prompts and proposed a better task prompt.
"""

from __future__ import annotations

import hashlib

from issues import services as issues
from issues.models import Goal, Issue, IssueRelation, Project
from loop_project.console.demo.seeder import ADMIN, LABELS, WORKER_1, WORKER_2, Backdate, DemoSeeder
from signals_app.models import Signal
from templates_app import services as templates
from templates_app.models import PromptTemplate
from templates_app.selection import select_template


class DemoStory(DemoSeeder):
    def run(self) -> dict[str, int]:
        self.labels = {
            name: issues.get_or_create_label(name=name, color=color)
            for name, color in LABELS.items()
        }
        checkout = issues.create_project(
            name="Checkout",
            status=Project.Status.ACTIVE,
            health=Project.Health.AT_RISK,
            description="Everything between the cart and the order confirmation.",
        )
        goal = issues.create_goal(
            title="Lift checkout conversion to 3.2%",
            project_id=checkout.pk,
            status=Goal.Status.ACTIVE,
            metric="checkout conversion",
            current_value=2.6,
            target_value=3.2,
            unit="%",
            description="Conversion fell after the address-autocomplete launch; win it back.",
        )
        issues.update_project(project_id=checkout.pk, changes={"goal_id": goal.pk})
        platform = issues.create_project(
            name="Platform",
            status=Project.Status.ACTIVE,
            description="CI, infrastructure and the payment-provider integrations.",
        )

        # Claims first, while the queue holds only what we mean each agent to take.
        cache_task = self.task(
            "Cache address lookups at the edge",
            checkout,
            priority=1,
            labels=["performance", "backend"],
            days=0.6,
            description="Address lookups take 900 ms p95 from mobile. Cache by postcode prefix.",
        )
        self.claim(cache_task, WORKER_2)
        webhook_task = self.task(
            "Retry Stripe webhook deliveries with jitter",
            platform,
            priority=2,
            labels=["payments", "backend"],
            days=1.2,
            description="Bursty retries from Stripe hit our rate limiter during deploys.",
        )
        self.claim(webhook_task, WORKER_1, stale_minutes=25)

        self.history(checkout, platform)
        self.conversion_story(checkout, cache_task)
        self.open_signals(checkout, platform)
        self.triage_and_backlog(checkout, platform)
        self.prompt_feedback()
        self.wind_back_clock()
        return {
            "issues": Issue.objects.count(),
            "signals": Signal.objects.count(),
            "relations": IssueRelation.objects.count(),
            "templates": PromptTemplate.objects.count(),
        }

    def history(self, checkout: Project, platform: Project) -> None:
        """Two weeks of finished work, so throughput has a shape."""
        tax = self.signal(
            "sentry",
            "error",
            "high",
            days=12.8,
            project=checkout,
            fingerprint="sentry:7731",
            payload={
                "message": "ZeroDivisionError: tax rate for region 'XK' is 0",
                "culprit": "checkout/tax.py in rate_for",
                "level": "error",
                "environment": "production",
                "release": "web@2024.6.1",
                "count": 41,
            },
        )
        self.finish(
            tax,
            days=12.1,
            summary="Region XK ships without VAT; rate_for divided by the "
            "zero rate. Guarded the division and added XK to the tax fixtures.",
            commits=[("a1c9e04", "fix(tax): treat zero-rate regions as tax free")],
            pull=(412, "merged"),
        )
        for days, finished, title, project, labels in [
            (12.0, 11.2, "Pin the decimal context in currency tests", platform, ["flaky-test"]),
            (11.5, 10.6, "Upgrade Stripe SDK to 12.x", platform, ["payments"]),
            (
                10.4,
                8.9,
                "Add idempotency keys to refund requests",
                platform,
                ["payments", "backend"],
            ),
            (
                9.0,
                8.1,
                "Fix Safari date picker overflow on the shipping step",
                checkout,
                ["frontend", "bug"],
            ),
            (
                7.9,
                6.2,
                "Remove unused moment.js locales from the checkout bundle",
                checkout,
                ["performance", "frontend"],
            ),
            (
                6.5,
                5.4,
                "Compress product thumbnails in the cart drawer",
                checkout,
                ["performance", "frontend"],
            ),
            (
                5.1,
                4.3,
                "Show the delivery estimate before the payment step",
                checkout,
                ["frontend"],
            ),
            (
                4.2,
                3.1,
                "Log slow address-lookup calls with the postcode prefix",
                checkout,
                ["backend"],
            ),
            (3.0, 1.9, "Retry card tokenisation once on a network error", platform, ["payments"]),
            (1.6, 0.7, "Add a Grafana panel for checkout step timings", checkout, ["performance"]),
        ]:
            issue = self.task(title, project, priority=3, labels=labels, days=days)
            self.finish(
                issue,
                days=finished,
                summary=f"Done: {title.lower()}. Tests added; deployed behind no flag.",
                commits=[(hashlib.sha1(title.encode()).hexdigest()[:7], title)],
                pull=(400 + int(days * 10), "merged"),
            )
        refund_monitor = issues.create_issue(
            actor=f"agent:{WORKER_1}",
            title="Monitor: refund error rate after idempotency keys",
            type=Issue.Type.MONITOR,
            status=Issue.Status.TODO,
            priority=3,
            project_id=platform.pk,
            description="Refund errors should stay under 0.1% for a week.",
        )
        self.clock.append(Backdate(refund_monitor, 8.8))
        self.finish(
            refund_monitor, days=1.5, summary="Refund errors held at 0.02% for seven days. Closing."
        )
        noise = self.signal(
            "posthog",
            "funnel_drop",
            "medium",
            days=7.5,
            project=checkout,
            payload={
                "message": "cart → checkout conversion −9% on Android",
                "insight": "Checkout funnel",
                "window": "24h",
                "change": -0.09,
            },
        )
        issues.update_issue(
            issue_id=noise.pk,
            actor=f"agent:{WORKER_1}",
            changes={"status": Issue.Status.CANCELED},
            note="Not a real drop: the Android app stopped sending cart_viewed for one release.",
        )
        self.mark_finished(noise, 7.0)

    def conversion_story(self, checkout: Project, cache_task: Issue) -> None:
        """Signal → hypothesis → plan → tasks (some blocked) → monitor, mid-flight."""
        drop = self.signal(
            "posthog",
            "metric_alert",
            "high",
            days=6.0,
            project=checkout,
            payload={
                "message": "checkout_conversion dropped 18% week over week",
                "metric": "checkout_conversion",
                "previous": 0.031,
                "current": 0.0254,
                "segment": {"device": "mobile"},
                "insight_url": "https://posthog.example/insights/abc123",
            },
        )
        self.finish(
            drop,
            days=5.6,
            summary="Drop is mobile-only and starts with the address-autocomplete launch. "
            "Opened a hypothesis and a plan.",
        )
        hypothesis = issues.create_issue(
            actor=f"agent:{WORKER_1}",
            title="Address autocomplete slows step 2 on mobile",
            type=Issue.Type.HYPOTHESIS,
            status=Issue.Status.DONE,
            priority=2,
            parent_id=drop.pk,
            project_id=checkout.pk,
            label_ids=[self.labels["performance"].pk],
            hypothesis={
                "statement": "The address autocomplete adds ~2.4 s to checkout step 2 on mobile, "
                "and that delay is what lost the conversion.",
                "confidence": 0.7,
                "evidence": [
                    "Drop starts the day autocomplete shipped (web@2024.6.3)",
                    "Mobile step-2 p75 went from 1.1 s to 3.5 s",
                    "Desktop conversion is flat",
                ],
                "prediction": "Lazy-loading and caching lookups brings mobile conversion back to ≥3.0%",
                "validationCriteria": "Mobile checkout conversion ≥ 3.0% for 7 days after rollout",
            },
        )
        self.clock.append(Backdate(hypothesis, 5.5, finished=5.4))
        plan = issues.create_issue(
            actor=f"agent:{WORKER_1}",
            title="Plan: make checkout step 2 fast on mobile",
            type=Issue.Type.PLAN,
            status=Issue.Status.DONE,
            priority=2,
            project_id=checkout.pk,
            description="1. Lazy-load the autocomplete widget.\n2. Cache address lookups at the edge.\n"
            "3. Guard it with a latency budget in CI.\n4. Watch conversion for a week.",
        )
        self.clock.append(Backdate(plan, 5.3, finished=5.2))
        issues.add_relation(
            issue_id=plan.pk,
            related_issue_id=hypothesis.pk,
            type=IssueRelation.Type.RELATED,
            actor=f"agent:{WORKER_1}",
        )
        lazy = self.task(
            "Lazy-load the address autocomplete widget",
            checkout,
            priority=1,
            labels=["performance", "frontend"],
            days=5.2,
            parent=plan,
        )
        self.finish(
            lazy,
            days=3.8,
            summary="Widget now loads on focus of the address field; step-2 JS down 180 kB.",
            commits=[
                ("9f2b7c1", "perf(checkout): load address autocomplete on focus"),
                ("3e88d02", "test(checkout): cover manual address entry without the widget"),
            ],
            pull=(431, "merged"),
        )
        issues.update_issue(issue_id=cache_task.pk, actor=ADMIN, changes={"parent_id": plan.pk})
        budget = self.task(
            "Add a step-2 latency budget to CI",
            checkout,
            priority=2,
            labels=["performance"],
            days=5.2,
            parent=plan,
        )
        monitor = issues.create_issue(
            actor=f"agent:{WORKER_1}",
            title="Monitor: mobile checkout conversion for 7 days after the step-2 fixes",
            type=Issue.Type.MONITOR,
            status=Issue.Status.TODO,
            priority=2,
            parent_id=plan.pk,
            project_id=checkout.pk,
        )
        self.clock.append(Backdate(monitor, 5.2))
        for blocked, blocker in ((budget, cache_task), (monitor, cache_task), (monitor, budget)):
            issues.add_relation(
                issue_id=blocked.pk,
                related_issue_id=blocker.pk,
                type=IssueRelation.Type.BLOCKED_BY,
                actor=f"agent:{WORKER_1}",
            )
        issues.add_comment(
            issue_id=cache_task.pk,
            author_name=WORKER_2,
            author_type="agent",
            body="Question before I ship: cache address lookups for 24 h or 1 h? Addresses "
            "rarely change, but the vendor's terms say results may be kept for 1 h.",
        )
        issues.add_comment(
            issue_id=cache_task.pk,
            author_name="admin",
            author_type="human",
            body="1 h — stay inside the vendor's terms. Key the cache by postcode prefix.",
        )
        issues.add_comment(
            issue_id=budget.pk,
            author_name=WORKER_1,
            author_type="agent",
            body="Which device profile should the budget use? I'd suggest Moto G4 on Fast 3G "
            "with a 2.0 s budget for step 2.",
        )

    def open_signals(self, checkout: Project, platform: Project) -> None:
        """What is waiting for agents now, including a noisy error grouped by fingerprint."""
        crash_payload = {
            "message": "TypeError: Cannot read properties of undefined (reading 'total')",
            "culprit": "checkout/summary.tsx in OrderSummary",
            "level": "error",
            "environment": "production",
            "release": "web@2024.6.4",
            "tags": {"browser": "Mobile Safari 17.4", "os": "iOS 17"},
        }
        crash = self.signal(
            "sentry",
            "error",
            "high",
            days=4.6,
            project=checkout,
            fingerprint="sentry:8812",
            payload=crash_payload,
        )
        for days in (4.1, 3.3, 2.2, 1.8, 1.1, 0.6, 0.3, 0.1):
            self.signal(
                "sentry",
                "error",
                "high",
                days=days,
                project=checkout,
                fingerprint="sentry:8812",
                payload={**crash_payload, "event_id": f"evt-{int(days * 100)}"},
                grouped_onto=crash,
            )
        issues.update_issue(
            issue_id=crash.pk,
            actor=ADMIN,
            changes={},
            label_ids=[self.labels["bug"].pk, self.labels["frontend"].pk],
        )
        self.signal(
            "github",
            "check_run_failed",
            "medium",
            days=2.9,
            project=platform,
            fingerprint="github:check:test_webhook_signature",
            payload={
                "message": "CI failed on main: test_webhook_signature timed out",
                "repository": "acme/shop",
                "check": "pytest",
                "conclusion": "failure",
                "head_sha": "4b1d2c3",
                "url": "https://github.com/acme/shop/actions/runs/901",
            },
        )
        self.signal(
            "github",
            "issue_opened",
            "low",
            days=1.4,
            project=checkout,
            payload={
                "message": "Apple Pay button missing on Safari 17",
                "number": 377,
                "url": "https://github.com/acme/shop/issues/377",
                "author": "jdoe",
            },
        )
        self.signal(
            "posthog",
            "metric_alert",
            "low",
            days=0.8,
            project=checkout,
            payload={
                "message": "rage clicks on 'Apply coupon' up 4x",
                "metric": "rageclick",
                "element": "button#apply-coupon",
            },
        )

    def triage_and_backlog(self, checkout: Project, platform: Project) -> None:
        report = issues.create_issue(
            actor=ADMIN,
            title="Support: coupon codes rejected when typed in lowercase",
            type=Issue.Type.SIGNAL,
            status=Issue.Status.TRIAGE,
            priority=0,
            project_id=checkout.pk,
            signal_source="support",
            label_ids=[self.labels["customer-report"].pk],
            signal_payload={
                "ticket": "ZD-55120",
                "customer_plan": "pro",
                "message": "SUMMER24 works, summer24 does not",
            },
            description="Three tickets this week. Customers type the code from the newsletter in lowercase.",
        )
        self.clock.append(Backdate(report, 0.9))
        idea = issues.create_issue(
            actor=ADMIN,
            title="Offer PayPal Pay Later on orders over €200",
            type=Issue.Type.TASK,
            status=Issue.Status.TRIAGE,
            priority=0,
            project_id=checkout.pk,
            description="Requested by the growth team; needs a decision before any work starts.",
        )
        self.clock.append(Backdate(idea, 2.1))
        for title, project, days in (
            ("Write a runbook for payment-provider outages", platform, 9.5),
            ("Upgrade PostgreSQL to 16", platform, 6.8),
        ):
            self.task(
                title,
                project,
                priority=4,
                labels=["backend"],
                days=days,
                status=Issue.Status.BACKLOG,
            )

    def prompt_feedback(self) -> None:
        """Agents' reviews of the prompts they were given, and an agent's proposed improvement."""
        done = list(Issue.objects.filter(status=Issue.Status.DONE).order_by("number"))
        reviews = {
            "signal": [
                (5, 4, 5, "Clear steps; the payload summary saved me a lookup."),
                (4, 4, 5, None),
            ],
            "task": [
                (3, 2, 3, "Never says how to run the test suite or which branch to push to."),
                (
                    3,
                    3,
                    2,
                    "Mostly generic. The acceptance criteria of the parent plan were missing.",
                ),
                (4, 3, 3, "OK, but I had to guess the review expectations."),
            ],
            "hypothesis": [(4, 4, 4, "Good structure for evidence vs prediction.")],
        }
        for issue in done:
            selection = select_template(issue)
            if selection is None or not reviews.get(issue.type):
                continue
            clarity, completeness, relevance, feedback = reviews[issue.type].pop(0)
            templates.record_usage(version_id=selection.version.pk)
            templates.record_review(
                version_id=selection.version.pk,
                issue_id=issue.pk,
                clarity=clarity,
                completeness=completeness,
                relevance=relevance,
                feedback=feedback,
                author_type="agent",
                actor=f"agent:{WORKER_1}",
            )
        task_template = (
            PromptTemplate.objects.filter(slug="task-execution")
            .select_related("active_version")
            .first()
        )
        if task_template is not None and task_template.active_version is not None:
            content = task_template.active_version.content.rstrip() + (
                "\n\n## Before you start\n"
                "- Read the parent plan's acceptance criteria and restate them in a comment.\n"
                "- Run the project's test suite (see the README) before and after your change.\n"
                "- Push to a branch named `loop/{{ issue.number }}` and open a pull request.\n"
            )
            templates.create_version(
                template_id=task_template.pk,
                content=content,
                author_type="agent",
                author_name=WORKER_1,
                changelog="Say how to run tests, where to push, and to restate the plan's acceptance criteria.",
            )
