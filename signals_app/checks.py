"""System checks: ingest settings that would otherwise fail on the first signal."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_signal_initial_status(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from signals_app.services import INITIAL_STATUSES

    status = settings.LOOP_SIGNAL_INITIAL_STATUS
    if status in INITIAL_STATUSES:
        return []
    return [
        Error(
            f"LOOP_SIGNAL_INITIAL_STATUS is {status!r}, which is not a status a new signal issue "
            "can have.",
            hint=f"Set it to one of: {', '.join(INITIAL_STATUSES)} (default todo).",
            id="signals_app.E001",
        )
    ]
