from django.contrib import admin, messages
from django.http import HttpRequest

from accounts.models import ApiKey
from accounts.services import create_api_key, revoke_api_key


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "created_by", "last_used_at")
    fields = ("name", "scopes", "prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = create_api_key(name=obj.name, scopes=obj.scopes or None, created_by=request.user)
        obj.pk = issued.api_key.pk
        obj.prefix = issued.api_key.prefix
        # Shown exactly once: only the hash is stored.
        messages.warning(
            request, f"New API key (copy it now, it will not be shown again): {issued.plaintext}"
        )

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset) -> None:
        for api_key in queryset:
            revoke_api_key(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")
