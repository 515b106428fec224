"""Staff console for API keys: issue (the plaintext is shown once), inspect, revoke. A key's
name and scopes are fixed once issued; to change them, issue a new key and revoke the old one."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join

from accounts.models import ApiKey
from accounts.services import create_api_key, revoke_api_key


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiKey.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(ApiKey.ALL_SCOPES),
        help_text="read: GET anything · write: create and change · dispatch: claim work · admin: all.",
    )

    class Meta:
        model = ApiKey
        fields = ("name", "scopes")


class ActiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("active", "Active"), ("revoked", "Revoked"))

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = (
        "name",
        "prefix_col",
        "scopes_col",
        "state_col",
        "created_at",
        "last_used_at",
        "created_by",
    )
    list_filter = (ActiveFilter,)
    search_fields = ("name", "prefix")
    list_select_related = ("created_by",)
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ("name", "scopes")
        return (
            "name",
            "prefix_col",
            "scopes_col",
            "state_col",
            "created_at",
            "created_by",
            "last_used_at",
        )

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.get_fields(request, obj) if obj is not None else ()

    @admin.display(description="Key")
    def prefix_col(self, api_key: ApiKey) -> str:
        return format_html("<code>loop_{}_…</code>", api_key.prefix)

    @admin.display(description="Scopes")
    def scopes_col(self, api_key: ApiKey) -> str:
        return format_html_join(
            " ", '<span class="pill">{}</span>', ((scope,) for scope in api_key.scopes)
        )

    @admin.display(description="State", ordering="revoked_at")
    def state_col(self, api_key: ApiKey) -> str:
        if api_key.revoked_at:
            return format_html(
                '<span class="pill bad">revoked {}</span>', api_key.revoked_at.date()
            )
        return format_html('<span class="pill good">{}</span>', "active")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        issued = create_api_key(
            name=obj.name, scopes=form.cleaned_data["scopes"], created_by=request.user
        )
        obj.pk, obj.prefix, obj.scopes = (
            issued.api_key.pk,
            issued.api_key.prefix,
            issued.api_key.scopes,
        )
        obj.plaintext = issued.plaintext  # type: ignore[attr-defined]  (this request only)

    def response_add(
        self, request: HttpRequest, obj: ApiKey, post_url_continue=None
    ) -> HttpResponse:
        """Show the new key on the response page itself, exactly once: only its hash is stored,
        and it never travels in a message cookie or the session."""
        return TemplateResponse(
            request,
            "admin/accounts/apikey/issued.html",
            {
                **self.admin_site.each_context(request),
                "title": f"API key for {obj.name}",
                "opts": self.opts,
                "api_key": obj,
                "plaintext": obj.plaintext,  # type: ignore[attr-defined]
            },
        )

    @admin.action(description="Revoke selected keys", permissions=["delete"])
    def revoke(self, request: HttpRequest, queryset) -> None:
        keys = list(queryset.filter(revoked_at__isnull=True))
        for api_key in keys:
            revoke_api_key(api_key=api_key)
        self.message_user(request, f"Revoked {len(keys)} key(s).", messages.SUCCESS)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Keys are revoked, never deleted, so the audit trail's "agent:<name>" keeps its meaning.
        # Without an object this is the permission the revoke action asks for.
        return False if obj is not None else super().has_delete_permission(request)

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
