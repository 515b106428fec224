"""``manage.py reclaim_stale``: return expired claims to the queue (or to triage after too many).

Safe to re-run and to run beside live claimers (rows in use are skipped). Schedule it with cron or
a systemd timer; claims also run a bounded reclaim opportunistically.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from dispatch.services import ReclaimReport, reclaim_stale


class Command(BaseCommand):
    help = "Return issues whose claim lease expired to todo; after too many expiries, to triage."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be reclaimed; change nothing."
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Issues per transaction (default 500)."
        )

    def handle(self, *args, dry_run: bool, batch_size: int, verbosity: int, **options) -> None:
        if batch_size < 1:
            self.stderr.write(self.style.ERROR("--batch-size must be at least 1"))
            raise SystemExit(2)
        printed: set[str] = set()

        def progress(report: ReclaimReport) -> None:
            # Called after each batch with the running report: list new issues, then a tally.
            for entry in report.requeued + report.escalated:
                if entry.issue_id in printed:
                    continue
                printed.add(entry.issue_id)
                if dry_run or verbosity >= 2:
                    self.stdout.write(
                        f"  #{entry.number} -> {entry.new_status} "
                        f"(claimed by {entry.claimed_by or 'unknown'}, attempt {entry.attempts})"
                    )
            if not dry_run:
                self.stdout.write(
                    f"... {report.total} reclaimed so far "
                    f"({len(report.requeued)} to todo, {len(report.escalated)} to triage)"
                )

        report = reclaim_stale(dry_run=dry_run, batch_size=batch_size, on_batch=progress)
        verb = "Would reclaim" if dry_run else "Reclaimed"
        summary = (
            f"{verb} {report.total} expired claim(s): {len(report.requeued)} back to todo, "
            f"{len(report.escalated)} to triage."
        )
        self.stdout.write(self.style.SUCCESS(summary))
