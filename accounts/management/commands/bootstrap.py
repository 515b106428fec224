"""First-run setup for `make run`: an admin user and a local API key. Safe to run again.

The admin password and the local key are kept in var/ (git-ignored, mode 0600) so a second run
can print them again without creating anything new; the database stores only the key's hash.
"""
from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.models import ApiKey
from accounts.services import create_api_key, hash_key

LOCAL_KEY_NAME = "local-dev"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)


class Command(BaseCommand):
    help = "Create the admin user and a local API key if missing, then print how to use them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--var-dir", default=str(settings.VAR_DIR))

    @transaction.atomic
    def handle(self, *args, username: str, var_dir: str, **options) -> None:
        var = Path(var_dir)
        password_file = var / "admin_password"
        key_file = var / "local_api_key"

        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            password = password_file.read_text().strip() if password_file.exists() else secrets.token_urlsafe(12)
            user = User.objects.create_superuser(username=username, email="", password=password)
            _write_private(password_file, password)
            self.stdout.write(self.style.SUCCESS(f"Created admin user '{username}'."))
        password = password_file.read_text().strip() if password_file.exists() else "(set earlier; unchanged)"

        plaintext = key_file.read_text().strip() if key_file.exists() else ""
        known = plaintext and ApiKey.objects.filter(
            hashed_key=hash_key(plaintext), revoked_at__isnull=True
        ).exists()
        if not known:
            plaintext = create_api_key(name=LOCAL_KEY_NAME, created_by=user).plaintext
            _write_private(key_file, plaintext)
            self.stdout.write(self.style.SUCCESS(f"Created API key '{LOCAL_KEY_NAME}'."))

        url = settings.LOOP_URL
        self.stdout.write("")
        self.stdout.write(f"  Admin:    {url}/admin/   user '{username}', password '{password}'")
        self.stdout.write(f"  API key:  {plaintext}")
        self.stdout.write(f"  API docs: {url}/api/docs/")
        self.stdout.write(f"  Try:      curl -H 'Authorization: Bearer {plaintext}' {url}/api/dispatch/queue")
        self.stdout.write(f"  (stored in {key_file} and {password_file}, readable only by you)")
        self.stdout.write("")
