"""Loop's admin site: the stock admin plus the dashboard (the index page) and the dispatch queue.

Pages are added here rather than in one app's ModelAdmin because they read across apps; like every
admin view they are staff-only (``admin_view``) and CSRF-protected.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path, reverse


class LoopAdminSite(admin.AdminSite):
    site_header = "Loop console"
    site_title = "Loop"
    index_title = "The loop at a glance"
    index_template = "admin/console/dashboard.html"
    # The console's top navigation replaces the sidebar, so list pages get the full width.
    enable_nav_sidebar = False

    def get_urls(self) -> list[URLPattern | URLResolver]:
        from loop_project.console import views

        return [
            path("queue/", self.admin_view(views.queue_view), name="dispatch_queue"),
            *super().get_urls(),
        ]

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        from loop_project.console import views

        context = {**views.dashboard_context(request), **(extra_context or {})}
        return super().index(request, extra_context=context)

    def each_context(self, request: HttpRequest) -> dict:
        context = super().each_context(request)
        context["console_nav"] = _nav(request)
        return context


def _nav(request: HttpRequest) -> list[tuple[str, str, bool]]:
    """The console's top navigation: (label, url, is_current)."""
    index = reverse("admin:index")
    issues = reverse("admin:issues_issue_changelist")
    is_triage = request.path == issues and request.GET.get("status__exact") == "triage"
    links = [
        ("Dashboard", index, request.path == index),
        ("Queue", reverse("admin:dispatch_queue"), request.path == reverse("admin:dispatch_queue")),
        ("Issues", issues, request.path.startswith(issues) and not is_triage),
        ("Triage", f"{issues}?status__exact=triage", is_triage),
    ]
    for label, name in (
        ("Signals", "admin:signals_app_signal_changelist"),
        ("Templates", "admin:templates_app_prompttemplate_changelist"),
    ):
        url = reverse(name)
        links.append((label, url, request.path.startswith(url)))
    return links
