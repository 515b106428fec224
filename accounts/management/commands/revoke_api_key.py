from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from accounts.models import ApiKey
from accounts.services import revoke_api_key


class Command(BaseCommand):
    help = "Revoke an API key by its prefix (the part after 'loop_') or its name."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key", help="Key prefix or name.")

    def handle(self, *args, key: str, **options) -> None:
        matches = list(ApiKey.objects.filter(Q(prefix=key) | Q(name=key), revoked_at__isnull=True))
        if not matches:
            raise CommandError(f"No active API key with prefix or name '{key}'.")
        if len(matches) > 1:
            raise CommandError(f"'{key}' matches {len(matches)} keys; use the prefix instead.")
        revoke_api_key(api_key=matches[0])
        self.stdout.write(self.style.SUCCESS(f"Revoked {matches[0]}."))
