from django.urls import path

from signals_app.api import views

urlpatterns = [
    path("signals", views.SignalIngestApi.as_view(), name="signal-ingest"),
]
