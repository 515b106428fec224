"""Signals: raw events from the outside world (webhooks, POST /api/signals), each linked to the
issue it opened or was grouped into."""
from __future__ import annotations

from django.db import models
from django.db.models import Q

from issues.models import Issue
from loop_project.ids import new_id


class Signal(models.Model):
    class Severity(models.TextChoices):
        LOW = "low"
        MEDIUM = "medium"
        HIGH = "high"
        CRITICAL = "critical"

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    source = models.CharField(max_length=100, help_text="github, sentry, posthog, or any name.")
    source_id = models.CharField(max_length=255, null=True, blank=True)
    type = models.CharField(max_length=100)
    severity = models.CharField(max_length=16, choices=Severity, default=Severity.MEDIUM)
    payload = models.JSONField(default=dict, blank=True)
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="signals")
    # The provider's delivery id (X-GitHub-Delivery, Sentry Request-ID, ...): a redelivery of the
    # same event is refused by the unique constraint below, however many copies race.
    delivery_id = models.CharField(max_length=255, null=True, blank=True)
    # What makes two events "the same problem" (provider + Sentry issue id, check name, ...).
    fingerprint = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=["low", "medium", "high", "critical"]),
                name="signal_severity_valid",
            ),
            models.UniqueConstraint(
                fields=["source", "delivery_id"],
                condition=Q(delivery_id__isnull=False),
                name="signal_one_per_delivery",
            ),
        ]
        indexes = [
            models.Index(fields=["source", "created_at"], name="signal_source_time"),
            # Serves ingest's grouping lookup: the newest signal of a fingerprint names the issue
            # that fingerprint last opened (open → group onto it; closed → regression).
            models.Index(
                fields=["fingerprint", "-created_at"],
                condition=Q(fingerprint__isnull=False),
                name="signal_fingerprint_latest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.type} ({self.severity})"
