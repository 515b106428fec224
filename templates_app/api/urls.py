from django.urls import path

from templates_app.api import views

urlpatterns = [
    path("templates", views.TemplateListApi.as_view(), name="templates"),
    # Before templates/<id>/...: "preview" is a fixed segment, never a template id.
    path(
        "templates/preview/<str:issue_id>",
        views.TemplatePreviewApi.as_view(),
        name="templates-preview",
    ),
    path("templates/<str:template_id>", views.TemplateDetailApi.as_view(), name="template-detail"),
    path(
        "templates/<str:template_id>/versions",
        views.VersionListApi.as_view(),
        name="template-versions",
    ),
    path(
        "templates/<str:template_id>/versions/<str:version_id>/promote",
        views.VersionPromoteApi.as_view(),
        name="template-version-promote",
    ),
    path(
        "templates/<str:template_id>/reviews",
        views.TemplateReviewListApi.as_view(),
        name="template-reviews",
    ),
    path("prompt-reviews", views.PromptReviewCreateApi.as_view(), name="prompt-reviews"),
    path("dashboard/prompts", views.PromptDashboardApi.as_view(), name="dashboard-prompts"),
]
