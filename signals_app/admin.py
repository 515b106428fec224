from django.contrib import admin

from signals_app.models import Signal


@admin.register(Signal)
class SignalAdmin(admin.ModelAdmin):
    list_display = ("created_at", "source", "type", "severity", "issue")
    list_filter = ("source", "severity")
    search_fields = ("source", "type", "source_id", "delivery_id", "fingerprint", "=issue__number")
    autocomplete_fields = ("issue",)
    list_select_related = ("issue",)
    readonly_fields = ("created_at",)
