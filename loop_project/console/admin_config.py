"""``django.contrib.admin`` with Loop's site as ``admin.site`` (see INSTALLED_APPS)."""

from django.contrib.admin.apps import AdminConfig


class LoopAdminConfig(AdminConfig):
    default_site = "loop_project.console.site.LoopAdminSite"
