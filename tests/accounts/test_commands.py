from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.authentication import authenticate_key
from accounts.models import ApiKey

pytestmark = pytest.mark.django_db


def test_create_api_key_prints_a_working_key_once():
    out = StringIO()
    call_command("create_api_key", "ci-bot", "--scope", "read", "--quiet", stdout=out)
    plaintext = out.getvalue().strip()
    agent = authenticate_key(plaintext)
    assert agent.name == "ci-bot" and agent.has_scope("read") and not agent.has_scope("write")


def test_revoke_api_key_by_name():
    call_command("create_api_key", "old", stdout=StringIO())
    call_command("revoke_api_key", "old", stdout=StringIO())
    assert ApiKey.objects.get().revoked_at is not None
    with pytest.raises(CommandError):
        call_command("revoke_api_key", "old", stdout=StringIO())


def test_bootstrap_is_idempotent(tmp_path):
    first, second = StringIO(), StringIO()
    call_command("bootstrap", "--var-dir", str(tmp_path), stdout=first)
    call_command("bootstrap", "--var-dir", str(tmp_path), stdout=second)
    assert get_user_model().objects.filter(username="admin", is_superuser=True).count() == 1
    assert ApiKey.objects.count() == 1
    plaintext = (tmp_path / "local_api_key").read_text().strip()
    assert plaintext in first.getvalue() and plaintext in second.getvalue()
    assert authenticate_key(plaintext) is not None
    assert oct((tmp_path / "local_api_key").stat().st_mode & 0o777) == "0o600"
    assert "Created" not in second.getvalue()
