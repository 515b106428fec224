from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "API keys"

    def ready(self) -> None:
        from accounts.authentication import known_keys
        from accounts.models import ApiKey

        # A revoked, edited or deleted key stops being accepted from this process's cache at once.
        post_save.connect(known_keys.changed, sender=ApiKey, weak=False, dispatch_uid="known-keys-save")
        post_delete.connect(known_keys.changed, sender=ApiKey, weak=False, dispatch_uid="known-keys-delete")
