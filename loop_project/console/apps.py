"""The staff console: Django admin with Loop's own site (dashboard, dispatch queue), plus the
operator commands that read across apps (``seed_demo``, ``loop_status``).

It sits above every app (like the URL map), so it may read from all of them; it writes only
through their services.
"""

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "loop_project.console"
    label = "console"
    verbose_name = "Console"
