"""Routes for the core resources, mounted under ``api/`` (no trailing slashes, as upstream)."""
from django.urls import path

from issues.api import dashboard_views, planning_views, views

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
    path("labels", planning_views.LabelListApi.as_view(), name="label-list"),
    path("labels/<str:id>", planning_views.LabelDetailApi.as_view(), name="label-detail"),
    path("projects", planning_views.ProjectListApi.as_view(), name="project-list"),
    path("projects/<str:id>", planning_views.ProjectDetailApi.as_view(), name="project-detail"),
    path("goals", planning_views.GoalListApi.as_view(), name="goal-list"),
    path("goals/<str:id>", planning_views.GoalDetailApi.as_view(), name="goal-detail"),
    path("dashboard/stats", dashboard_views.DashboardStatsApi.as_view(), name="dashboard-stats"),
    path("dashboard/activity", dashboard_views.DashboardActivityApi.as_view(), name="dashboard-activity"),
]
