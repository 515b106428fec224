"""The issue list's own filters (status, type, priority, project and label are Django's)."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone

from issues.models import Issue


class HasParentFilter(admin.SimpleListFilter):
    title = "has parent"
    parameter_name = "has_parent"

    def lookups(self, request, model_admin):
        return (("yes", "Has a parent"), ("no", "Top level"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(parent__isnull=False)
        if self.value() == "no":
            return queryset.filter(parent__isnull=True)
        return queryset


class BlockedFilter(admin.SimpleListFilter):
    title = "blocked"
    parameter_name = "blocked"

    def lookups(self, request, model_admin):
        return (("yes", "Blocked"), ("no", "Not blocked"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(is_blocked=True)
        if self.value() == "no":
            return queryset.filter(is_blocked=False)
        return queryset


class ClaimFilter(admin.SimpleListFilter):
    title = "claim"
    parameter_name = "claim"

    def lookups(self, request, model_admin):
        return (("held", "Held by an agent"), ("stale", "Lease expired"))

    def queryset(self, request, queryset):
        claimed = queryset.filter(status=Issue.Status.IN_PROGRESS, claim_token__isnull=False)
        if self.value() == "held":
            return claimed.filter(lease_expires_at__gte=timezone.now())
        if self.value() == "stale":
            return claimed.filter(lease_expires_at__lt=timezone.now())
        return queryset


class DeletedFilter(admin.SimpleListFilter):
    """Soft-deleted issues are hidden everywhere; this shows them so they can be restored.
    IssueAdmin.get_queryset widens its base queryset when this filter is on."""

    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return (("only", "Deleted issues"),)

    def queryset(self, request, queryset):
        if self.value() == "only":
            return queryset.filter(deleted_at__isnull=False)
        return queryset
