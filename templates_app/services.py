"""Writes for prompt templates, versions and reviews: the only write path (API, admin, commands).

Counters are changed by single ``UPDATE ... SET x = x + 1`` statements so concurrent dispatches
and reviews never lose an increment.
"""
from __future__ import annotations

from django.db.models import F

from templates_app.models import PromptVersion


def record_usage(*, version_id: str) -> None:
    """Count one handed-out prompt for the version: one atomic UPDATE, safe under concurrency."""
    PromptVersion.objects.filter(pk=version_id).update(usage_count=F("usage_count") + 1)
