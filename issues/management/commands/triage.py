"""``manage.py triage``: decide on the issues waiting in ``triage`` from a terminal.

Interactive by default: one issue at a time, accept (to todo or backlog, with a priority),
decline (canceled, with a reason left as a comment) or skip. With ``--non-interactive`` it lists
the triage queue, or applies ``--accept``/``--decline`` to the given issue numbers, for scripts
and cron. Every decision goes through ``issues.services`` with ``user:<name>`` as the actor, so it
is audited exactly like the same decision made in the console or over the API.
"""
from __future__ import annotations

import getpass
import sys
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from issues import services
from issues.models import Comment, Issue

PRIORITY_NAMES = {p.value: p.label.lower() for p in Issue.Priority}
DEFAULT_ACCEPT_PRIORITY = Issue.Priority.MEDIUM
EXCERPT_CHARS = 280


def accept(*, issue: Issue, status: str, priority: int, actor: str) -> Issue:
    return services.update_issue(
        issue_id=issue.pk, actor=actor, changes={"status": status, "priority": priority},
        note="accepted in triage",
    )  # fmt: skip


@transaction.atomic
def decline(*, issue: Issue, reason: str, actor: str, author: str) -> Issue:
    """Cancel with the reason in the audit note and as a comment the agents can read."""
    declined = services.update_issue(
        issue_id=issue.pk, actor=actor, changes={"status": Issue.Status.CANCELED}, note=reason
    )
    services.add_comment(
        issue_id=issue.pk, body=f"Declined in triage: {reason}", author_name=author,
        author_type=Comment.AuthorType.HUMAN,
    )  # fmt: skip
    return declined


def default_priority(issue: Issue) -> int:
    """Keep a priority someone already set; "none" becomes medium."""
    return issue.priority or DEFAULT_ACCEPT_PRIORITY


class Command(BaseCommand):
    help = "Triage issues in 'triage': accept (todo/backlog + priority), decline (with a reason) or skip."
    # Tests (and scripts embedding the command) hand in their own stdin.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--non-interactive", action="store_true",
                            help="Never prompt: list the triage queue, or apply --accept/--decline.")
        parser.add_argument("--accept", type=int, nargs="+", default=[], metavar="NUMBER",
                            help="Issue numbers to accept (with --non-interactive).")
        parser.add_argument("--decline", type=int, nargs="+", default=[], metavar="NUMBER",
                            help="Issue numbers to decline (with --non-interactive; needs --reason).")
        parser.add_argument("--to", choices=[Issue.Status.TODO, Issue.Status.BACKLOG], default=Issue.Status.TODO,
                            help="Where accepted issues go (default: todo, i.e. agents pick them up).")
        parser.add_argument("--priority", type=int, choices=[1, 2, 3, 4],
                            help="Priority for accepted issues (default: keep theirs, or 3 if none).")
        parser.add_argument("--reason", default="", help="Why the declined issues are declined.")
        parser.add_argument("--user", default=None,
                            help="Who is deciding, for the audit trail (default: your login name).")  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        self.user = options["user"] or getpass.getuser()
        self.actor = f"user:{self.user}"
        self.stdin: TextIO = options.get("stdin") or sys.stdin
        if options["non_interactive"]:
            self.non_interactive(options)
        elif options["accept"] or options["decline"]:
            raise CommandError("--accept and --decline are for --non-interactive runs.")
        else:
            self.interactive()

    # --- scripts -------------------------------------------------------------------------------

    def non_interactive(self, options: dict[str, Any]) -> None:
        accept_numbers, decline_numbers = options["accept"], options["decline"]
        if not accept_numbers and not decline_numbers:
            self.list_queue()
            return
        both = set(accept_numbers) & set(decline_numbers)
        if both:
            raise CommandError(f"Issue(s) both accepted and declined: {_numbers(both)}.")
        reason = options["reason"].strip()
        if decline_numbers and not reason:
            raise CommandError("--decline needs --reason (it is recorded and shown to the agents).")
        wanted = [*accept_numbers, *decline_numbers]
        found = {issue.number: issue for issue in Issue.objects.filter(number__in=wanted, status=Issue.Status.TRIAGE)}
        missing = sorted(set(wanted) - set(found))
        if missing:
            raise CommandError(f"Not in triage (or no such issue): {_numbers(missing)}. Nothing was changed.")
        # All or nothing: a script gets either every decision applied or none.
        with transaction.atomic():
            for number in accept_numbers:
                issue = found[number]
                priority = options["priority"] or default_priority(issue)
                accept(issue=issue, status=options["to"], priority=priority, actor=self.actor)
                self.stdout.write(f"#{number} accepted → {options['to']}, priority {PRIORITY_NAMES[priority]}")
            for number in decline_numbers:
                decline(issue=found[number], reason=reason, actor=self.actor, author=self.user)
                self.stdout.write(f"#{number} declined → canceled")
        self.stdout.write(self.style.SUCCESS(f"Triaged {len(wanted)} issue(s) as {self.actor}."))

    def list_queue(self) -> None:
        issues = list(self.queue())
        for issue in issues:
            project = issue.project.name if issue.project else "-"
            self.stdout.write(
                f"#{issue.number}\t{issue.type}\t{PRIORITY_NAMES[issue.priority]}\t{project}\t{issue.title}"
            )
        self.stderr.write(f"{len(issues)} issue(s) in triage.")

    # --- people --------------------------------------------------------------------------------

    def interactive(self) -> None:
        issues = list(self.queue())
        if not issues:
            self.stdout.write("Nothing to triage.")
            return
        self.stdout.write(f"{len(issues)} issue(s) in triage, oldest first. "
                          "For each: [a]ccept, [d]ecline, [s]kip, [q]uit.\n")  # fmt: skip
        tally = {"accepted": 0, "declined": 0, "skipped": 0}
        for index, issue in enumerate(issues, start=1):
            self.show(issue, index, len(issues))
            choice = self.ask("Decision [a/d/s/q]: ", {"a", "d", "s", "q"})
            if choice in (None, "q"):
                break
            if choice == "s":
                tally["skipped"] += 1
                continue
            current = Issue.objects.filter(pk=issue.pk, status=Issue.Status.TRIAGE).first()
            if current is None:  # someone else decided while we were reading
                self.stdout.write(self.style.WARNING(f"#{issue.number} left triage meanwhile; skipped."))
                tally["skipped"] += 1
                continue
            if choice == "a":
                if not self.accept_interactively(current):
                    break
                tally["accepted"] += 1
            else:
                if not self.decline_interactively(current):
                    break
                tally["declined"] += 1
        self.stdout.write(
            "\n" + ", ".join(f"{count} {what}" for what, count in tally.items()) + f" (as {self.actor})."
        )

    def accept_interactively(self, issue: Issue) -> bool:
        where = self.ask("Move to [t]odo or [b]acklog? [t]: ", {"t", "b", ""})
        if where is None:
            return False
        status = Issue.Status.BACKLOG if where == "b" else Issue.Status.TODO
        suggested = default_priority(issue)
        answer = self.ask(f"Priority 1 urgent, 2 high, 3 medium, 4 low [{suggested}]: ", {"1", "2", "3", "4", ""})
        if answer is None:
            return False
        priority = int(answer) if answer else suggested
        accept(issue=issue, status=status, priority=priority, actor=self.actor)
        self.stdout.write(self.style.SUCCESS(f"#{issue.number} → {status}, priority {PRIORITY_NAMES[priority]}"))
        return True

    def decline_interactively(self, issue: Issue) -> bool:
        while True:
            self.stdout.write("Reason (shown to the agents): ", ending="")
            line = self.stdin.readline()
            if not line:
                return False
            reason = line.strip()
            if reason:
                break
            self.stdout.write("A reason is required.")
        decline(issue=issue, reason=reason, actor=self.actor, author=self.user)
        self.stdout.write(self.style.SUCCESS(f"#{issue.number} → canceled"))
        return True

    def ask(self, prompt: str, allowed: set[str]) -> str | None:
        """Read one answer from ``allowed`` (case-insensitive); None at end of input."""
        while True:
            self.stdout.write(prompt, ending="")
            self.stdout.flush()
            line = self.stdin.readline()
            if not line:
                return None
            answer = line.strip().lower()
            if answer in allowed:
                return answer
            self.stdout.write(f"Please answer one of: {', '.join(sorted(a for a in allowed if a))}.")

    def show(self, issue: Issue, index: int, total: int) -> None:
        age = timezone.now() - issue.created_at
        facts = [issue.type, f"priority {PRIORITY_NAMES[issue.priority]}"]
        if issue.project:
            facts.append(issue.project.name)
        if issue.signal_source:
            facts.append(f"from {issue.signal_source}")
        facts.append(f"{age.days}d {age.seconds // 3600}h old")
        labels = ", ".join(label.name for label in issue.labels.all())
        self.stdout.write(self.style.MIGRATE_HEADING(f"[{index}/{total}] #{issue.number}  {issue.title}"))
        self.stdout.write("    " + " · ".join(facts) + (f" · labels: {labels}" if labels else ""))
        if issue.description:
            text = " ".join(issue.description.split())
            self.stdout.write("    " + (text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"))
        if isinstance(issue.signal_payload, dict) and issue.signal_payload:
            summary = ", ".join(f"{k}={v}" for k, v in list(issue.signal_payload.items())[:5])
            self.stdout.write(f"    payload: {summary[:EXCERPT_CHARS]}")

    def queue(self):
        return (
            Issue.objects.filter(status=Issue.Status.TRIAGE)
            .select_related("project")
            .prefetch_related("labels")
            .order_by("created_at", "number")
        )


def _numbers(numbers) -> str:
    return ", ".join(f"#{n}" for n in sorted(numbers))
