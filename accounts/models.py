"""API keys: how agents and scripts authenticate. Only a SHA-256 hash of each key is stored."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from loop_project.ids import new_id


class ApiKey(models.Model):
    class Scope(models.TextChoices):
        READ = "read"
        WRITE = "write"
        DISPATCH = "dispatch"
        ADMIN = "admin"

    ALL_SCOPES = [Scope.READ, Scope.WRITE, Scope.DISPATCH, Scope.ADMIN]

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    name = models.CharField(max_length=100, help_text="Who uses this key, e.g. 'claude-agent-1'.")
    # The public part of the key, used to find its row without scanning every hash.
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list, help_text="Any of read, write, dispatch, admin.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="apikey_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (loop_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes or self.Scope.ADMIN in self.scopes
