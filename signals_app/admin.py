"""Staff console for signals: the raw events, read-only (they are facts from the outside world;
new ones arrive only through ``ingest_signal``)."""

from __future__ import annotations

import json

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from signals_app.models import Signal

SEVERITY_PILL = {"low": "s-backlog", "medium": "s-triage", "high": "t-signal", "critical": "bad"}


@admin.register(Signal)
class SignalAdmin(admin.ModelAdmin):
    list_display = ("created_at", "source", "type", "severity_col", "issue_col", "delivery_id")
    list_filter = ("source", "severity", "type", "created_at")
    search_fields = ("source", "type", "source_id", "delivery_id", "fingerprint", "=issue__number")
    list_select_related = ("issue",)
    date_hierarchy = "created_at"
    fields = (
        "source",
        "type",
        "severity",
        "issue_col",
        "source_id",
        "delivery_id",
        "fingerprint",
        "payload_col",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description="Severity", ordering="severity")
    def severity_col(self, signal: Signal) -> str:
        return format_html(
            '<span class="pill {}">{}</span>',
            SEVERITY_PILL.get(signal.severity, ""),
            signal.get_severity_display(),
        )

    @admin.display(description="Issue", ordering="issue__number")
    def issue_col(self, signal: Signal) -> str:
        url = reverse("admin:issues_issue_change", args=[signal.issue_id])
        return format_html('<a href="{}">#{}</a> {}', url, signal.issue.number, signal.issue.title)

    @admin.display(description="Payload")
    def payload_col(self, signal: Signal) -> str:
        return format_html(
            '<pre class="json">{}</pre>',
            json.dumps(signal.payload, indent=2, sort_keys=True, ensure_ascii=False, default=str),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
