"""Template filters for the console pages."""

from __future__ import annotations

from datetime import datetime

from django import template

from issues.admin.panels import short_age

register = template.Library()


@register.filter
def age(instant: datetime | None) -> str:
    """A compact age ('3d', '5h'), for table cells where "4 days, 14 hours" would wrap."""
    return short_age(instant) if instant else "—"
