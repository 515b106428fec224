from django.core.management.base import BaseCommand, CommandParser

from accounts.models import ApiKey
from accounts.services import create_api_key


class Command(BaseCommand):
    help = "Create an API key and print it once (only its hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Who will use the key, e.g. 'claude-agent-1'.")
        parser.add_argument(
            "--scope",
            action="append",
            choices=ApiKey.Scope.values,
            help="Repeat for several scopes; default: all (read, write, dispatch, admin).",
        )
        parser.add_argument("--quiet", action="store_true", help="Print only the key.")

    def handle(self, *args, name: str, scope: list[str] | None, quiet: bool, **options) -> None:
        issued = create_api_key(name=name, scopes=scope)
        if quiet:
            self.stdout.write(issued.plaintext)
            return
        self.stdout.write(self.style.SUCCESS(f"Created API key '{name}' ({', '.join(issued.api_key.scopes)})."))
        self.stdout.write("Copy it now; it is not stored and will not be shown again:")
        self.stdout.write(issued.plaintext)
