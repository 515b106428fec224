"""Small pieces every console ModelAdmin shares: domain errors shown as messages, "come back to
where you were" after an action, status pills.

Imported by the apps' ``admin`` modules, so it imports no app code itself.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString

from loop_project.errors import LoopError


class ServiceErrorsAsMessages:
    """Mixin for a ModelAdmin whose saves go through services: a rule the form could not check
    (a race, a row deleted meanwhile) comes back as an error message on the same page, never a
    500. The admin's own transaction has rolled back by then, so nothing is half-written."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        except LoopError as error:
            self.message_user(request, f"Not saved: {error.detail}", messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(request.get_full_path())


def redirect_back(request: HttpRequest) -> HttpResponse | None:
    """Where an action posted from another page (the issue page, the queue) asked to return to.
    None means Django's default: back to the changelist."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return None


def pill(css_class: str, text: str) -> SafeString:
    return format_html('<span class="pill {}">{}</span>', css_class, text)
