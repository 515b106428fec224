"""System checks for dispatch configuration."""
from __future__ import annotations

from django.core.checks import Warning, register
from django.db import connection


@register("dispatch", deploy=True)
def check_dispatch_database(app_configs, **kwargs) -> list[Warning]:
    """SQLite has no row locks: claims are a correct compare-and-set, but every claim takes the
    whole database's write lock, so several workers claiming at once queue behind each other."""
    if connection.features.has_select_for_update_skip_locked:
        return []
    return [
        Warning(
            "Dispatch is running on a database without SELECT ... FOR UPDATE SKIP LOCKED "
            f"({connection.vendor}).",
            hint=(
                "Claims stay correct but are serialised by the database write lock; for several "
                "workers or agents claiming concurrently, set DATABASE_URL to PostgreSQL."
            ),
            id="dispatch.W001",
        )
    ]
