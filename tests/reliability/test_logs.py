"""No secret reaches the logs: API keys (created by command, service or console, then used,
refused, throttled, during an outage, in a crash), the environment key, webhook secrets and
signatures, passwords — with every logger at DEBUG, SQL logging on, and crash reports rendered as
the mail_admins handler would render them."""

from __future__ import annotations

import json
import logging
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.views.debug import ExceptionReporter

from accounts.models import ApiKey
from accounts.services import create_api_key
from tests.integrations.helpers import GITHUB_SECRET, POSTHOG_SECRET, github_headers, payload

pytestmark = pytest.mark.django_db

ENV_KEY = "loop-env-key-7d1f0c9b4a2e"
ADMIN_PASSWORD = "console-pw-5e8b1d"


# Loggers settings.LOGGING pins above DEBUG because their debug records would carry secrets.
PINNED = {"django.template"}


def test_loggers_that_would_leak_are_pinned_above_debug(settings):
    for name in PINNED:
        assert logging.getLevelName(settings.LOGGING["loggers"][name]["level"]) >= logging.INFO
        assert logging.getLogger(name).getEffectiveLevel() >= logging.INFO


class Everything(logging.Handler):
    """Every record, fully formatted (message, arguments, traceback, stack) plus its extras."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        parts = []
        for record in self.records:
            parts.append(self.format(record))
            parts.append(repr(record.args))
            parts.append(repr({k: v for k, v in vars(record).items() if k not in ("args", "msg")}))
            request = getattr(record, "request", None)
            if request is not None and record.exc_info:
                # What AdminEmailHandler would mail (with the default SafeExceptionReporterFilter).
                parts.append(
                    ExceptionReporter(request, *record.exc_info, is_email=True).get_traceback_text()
                )
        return "\n".join(parts)


@pytest.fixture
def captured(settings, monkeypatch):
    settings.DEBUG = True  # SQL is logged (with parameters) only when DEBUG is on
    settings.LOOP_API_KEY = ENV_KEY
    settings.GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    settings.POSTHOG_WEBHOOK_SECRET = POSTHOG_SECRET
    settings.LOOP_THROTTLE_RATE = ""
    handler = Everything()
    loggers = [
        logging.getLogger(),
        *(logging.getLogger(name) for name in logging.root.manager.loggerDict),
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        if logger.name in PINNED:
            continue
        logger.setLevel(logging.DEBUG)  # more than any LOG_LEVEL an operator can pick
        logger.disabled = False
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)
    for logger, level, disabled in saved:
        logger.setLevel(level)
        logger.disabled = disabled


def _secret_part(plaintext: str) -> str:
    return plaintext.split("_", 2)[2]


def _assert_absent(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret ({secret[:6]}…) appears in the logs"


def test_key_creation_and_use_log_no_secret(captured, settings, throttle_cache, django_user_model):
    secrets: list[str] = [ENV_KEY, GITHUB_SECRET, POSTHOG_SECRET, ADMIN_PASSWORD]

    # Created by the management command (which prints it once, to stdout, by design) ...
    out = StringIO()
    call_command("create_api_key", "by-command", "--quiet", stdout=out)
    command_key = out.getvalue().strip()
    # ... by the service ...
    service_key = create_api_key(name="by-service", scopes=["read"]).plaintext
    # ... and in the console, where the page shows it once.
    django_user_model.objects.create_superuser("root", "root@example.com", ADMIN_PASSWORD)
    console = Client()
    assert console.login(username="root", password=ADMIN_PASSWORD)
    page = console.post(
        "/admin/accounts/apikey/add/", {"name": "by-console", "scopes": ["read", "write"]}
    )
    assert page.status_code == 200
    console_key = next(
        word
        for word in page.content.decode().replace("<", " ").replace(">", " ").split()
        if word.startswith("loop_")
        and ApiKey.objects.filter(prefix=word.split("_")[1]).exists()
        and len(word) > 30
    )
    keys = [command_key, service_key, console_key]
    assert all(key.startswith("loop_") for key in keys)
    secrets += keys + [_secret_part(key) for key in keys]

    def bearer(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    client = Client()
    # Accepted, with the hashed key checked and last_used_at written.
    assert client.get("/api/issues", headers=bearer(command_key)).status_code == 200
    assert (
        client.post(
            "/api/issues",
            data={"title": "t", "type": "task"},
            content_type="application/json",
            headers=bearer(console_key),
        ).status_code
        == 201
    )
    assert client.get("/api/labels", headers=bearer(ENV_KEY)).status_code == 200
    # Refused: a right prefix with a wrong secret, a scope it lacks, a revoked key.
    wrong = command_key[: command_key.rindex("_") + 1] + "wrong-secret-part"
    assert client.get("/api/issues", headers=bearer(wrong)).status_code == 401
    assert (
        client.post(
            "/api/issues", data={}, content_type="application/json", headers=bearer(service_key)
        ).status_code
        == 403
    )
    # Throttled.
    settings.LOOP_THROTTLE_RATE = "1/min"
    client.get("/api/labels", headers=bearer(service_key))
    assert client.get("/api/labels", headers=bearer(service_key)).status_code == 429
    settings.LOOP_THROTTLE_RATE = ""
    # Through the MCP endpoint, which calls the API in-process with the same key.
    mcp = client.post(
        "/mcp",
        data={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        content_type="application/json",
        headers={**bearer(command_key), "Accept": "application/json"},
    )
    assert mcp.status_code == 200
    # Webhooks: a good and a bad signature, a good and a bad shared secret.
    body = json.dumps(payload("github", "issues_opened")).encode()
    headers = github_headers(body, "issues")
    secrets.append(headers["X-Hub-Signature-256"])
    assert client.post(
        "/api/signals/github", data=body, content_type="application/json", headers=headers
    ).status_code in (200, 201)
    assert (
        client.post(
            "/api/signals/github",
            data=body + b" ",
            content_type="application/json",
            headers=headers,
        ).status_code
        == 401
    )
    assert client.post(
        "/api/signals/posthog",
        data=b'{"event": "e"}',
        content_type="application/json",
        headers={"X-PostHog-Secret": POSTHOG_SECRET},
    ).status_code in (200, 201)
    assert (
        client.post(
            "/api/signals/posthog",
            data=b'{"event": "e"}',
            content_type="application/json",
            headers={"Authorization": "Bearer guessed-wrong"},
        ).status_code
        == 401
    )

    text = captured.text()
    assert "SELECT" in text  # SQL logging was really on
    assert "Unauthorized" in text or "401" in text  # refusals were really logged
    _assert_absent(text, secrets)


def test_a_crash_and_an_outage_log_no_key(captured, make_client, monkeypatch):
    client = make_client(name="crasher")
    key = client.api_key_plaintext
    from issues.api import views

    def bug(**kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(views.selectors, "issue_detail", bug)
    crash = Client(raise_request_exception=False).get(
        "/api/issues/x", headers={"Authorization": f"Bearer {key}"}
    )
    assert crash.status_code == 500
    monkeypatch.undo()

    def down(self, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", down)
    outage = Client().get("/api/issues", headers={"Authorization": f"Bearer {key}"})
    monkeypatch.undo()
    assert outage.status_code == 503

    text = captured.text()
    assert "boom" in text and "Traceback" in text  # the crash report was really rendered
    _assert_absent(text, [key, _secret_part(key)])
    assert sys.exc_info() == (None, None, None)
