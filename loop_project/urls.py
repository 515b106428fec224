"""The URL map. Each app owns its API routes in ``<app>/api/urls.py``."""
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from loop_project import views

urlpatterns = [
    path("", views.service_info, name="service-info"),
    path("health", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/", include("issues.api.urls")),
    path("api/", include("signals_app.api.urls")),
    path("api/", include("dispatch.api.urls")),
    path("api/", include("templates_app.api.urls")),
    path("api/", include("integrations.urls")),
    # Both /mcp and /mcp/ answer (MCP clients differ); a route may not start with "/".
    path("mcp", include("loop_project.mcp_view")),
    path("mcp/", include("loop_project.mcp_view")),
]
