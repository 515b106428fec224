"""``manage.py seed_demo``: a living demo loop for newcomers (``make run`` calls it with
``--if-empty``). The data and how it is written: ``loop_project/console/demo/``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from issues.models import Issue
from loop_project.console.demo.story import DemoStory


class Command(BaseCommand):
    help = "Fill an empty database with a realistic demo loop (projects, signals, plans, claims, reviews)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (successfully) when the database already has issues; for scripts.",
        )

    def handle(self, *args: Any, if_empty: bool, **options: Any) -> None:
        existing = Issue.all_objects.count()
        if existing:
            if if_empty:
                self.stdout.write(f"seed_demo: {existing} issue(s) already present; nothing to do.")
                return
            # The story claims specific issues from the queue, so it needs the queue to itself.
            raise CommandError(
                f"The database already has {existing} issue(s); seed_demo only fills an empty one "
                "(use --if-empty in scripts to skip quietly)."
            )
        with transaction.atomic():
            counts = DemoStory().run()
        summary = ", ".join(f"{count} {what}" for what, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo loop ready: {summary}."))
        self.stdout.write("Open /admin/ to see it (make run prints the admin password).")
