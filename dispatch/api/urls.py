from django.urls import path

from dispatch.api import views

urlpatterns = [
    path("dispatch/next", views.DispatchNextApi.as_view(), name="dispatch-next"),
    path("dispatch/queue", views.DispatchQueueApi.as_view(), name="dispatch-queue"),
    path(
        "dispatch/<str:issue_id>/heartbeat",
        views.DispatchHeartbeatApi.as_view(),
        name="dispatch-heartbeat",
    ),
    path(
        "dispatch/<str:issue_id>/release",
        views.DispatchReleaseApi.as_view(),
        name="dispatch-release",
    ),
]
