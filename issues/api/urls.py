"""Routes for the core resources, mounted under ``api/`` (no trailing slashes, as upstream)."""
from django.urls import path

from issues.api import views

urlpatterns = [
    path("issues", views.IssueListApi.as_view(), name="issue-list"),
    path("issues/<str:id>", views.IssueDetailApi.as_view(), name="issue-detail"),
    path(
        "issues/<str:id>/relations",
        views.IssueRelationCreateApi.as_view(),
        name="issue-relations",
    ),
    path("issues/<str:id>/comments", views.IssueCommentsApi.as_view(), name="issue-comments"),
    path("relations/<str:id>", views.RelationDetailApi.as_view(), name="relation-detail"),
    path("labels", views.LabelListApi.as_view(), name="label-list"),
    path("labels/<str:id>", views.LabelDetailApi.as_view(), name="label-detail"),
    path("projects", views.ProjectListApi.as_view(), name="project-list"),
    path("projects/<str:id>", views.ProjectDetailApi.as_view(), name="project-detail"),
    path("goals", views.GoalListApi.as_view(), name="goal-list"),
    path("goals/<str:id>", views.GoalDetailApi.as_view(), name="goal-detail"),
    path("dashboard/stats", views.DashboardStatsApi.as_view(), name="dashboard-stats"),
    path("dashboard/activity", views.DashboardActivityApi.as_view(), name="dashboard-activity"),
]
