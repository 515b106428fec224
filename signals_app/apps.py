from django.apps import AppConfig


class SignalsAppConfig(AppConfig):
    name = "signals_app"
    verbose_name = "Signals"

    def ready(self) -> None:
        from signals_app import checks  # noqa: F401  (registers the system checks)
