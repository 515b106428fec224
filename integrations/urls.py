"""Provider webhooks, under /api/: each authenticated by its provider's signature, not a key."""
from django.urls import path

from integrations import views

urlpatterns = [
    path("signals/github", views.GitHubWebhook.as_view(), name="webhook-github"),
    path("signals/sentry", views.SentryWebhook.as_view(), name="webhook-sentry"),
    path("signals/posthog", views.PostHogWebhook.as_view(), name="webhook-posthog"),
]
