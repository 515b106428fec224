"""Body caps: judged by Content-Length first, then by reading at most cap + 1 bytes; always
before any signature is computed."""
import io

import pytest
from django.test import RequestFactory

from integrations.views import GITHUB_MAX_BODY_BYTES, GitHubWebhook, PostHogWebhook, SentryWebhook
from signals_app.models import Signal
from tests.integrations.helpers import deliver, github_headers, posthog_headers, sentry_headers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_secrets")]

MIB = 1024 * 1024


class CountingStream(io.BytesIO):
    """A request body that records how much of it was read."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


@pytest.fixture
def no_hashing(monkeypatch):
    """Fail the test if any signature were computed."""

    def refuse(*args, **kwargs):
        raise AssertionError("signature computed for an oversize body")

    for view in (GitHubWebhook, SentryWebhook, PostHogWebhook):
        monkeypatch.setattr(view, "verify_delivery", staticmethod(refuse))


@pytest.mark.parametrize(
    ("provider", "size", "headers"),
    [
        ("github", GITHUB_MAX_BODY_BYTES + 1, lambda b: github_headers(b, "push")),
        ("sentry", MIB + 1, lambda b: sentry_headers(b, "issue")),
        ("posthog", MIB + 1, lambda b: posthog_headers()),
    ],
)
def test_oversize_body_is_413_before_hashing(no_hashing, provider, size, headers):
    body = b'{"pad": "' + b"x" * (size - 11) + b'"}'
    assert len(body) == size
    response = deliver(provider, body, headers(b""))
    assert response.status_code == 413
    assert "Payload too large" in response.json()["error"]
    assert not Signal.objects.exists()


@pytest.mark.parametrize(("provider", "size"), [("sentry", MIB), ("posthog", MIB)])
def test_body_exactly_at_the_cap_is_read(provider, size):
    # Verification runs (and fails on the unsigned padding): the cap itself is allowed.
    body = b'{"pad": "' + b"x" * (size - 11) + b'"}'
    assert deliver(provider, body, {}).status_code == 401


def _post(view, stream, *, declared=None):
    request = RequestFactory().post(
        "/api/signals/sentry", data=b"", content_type="application/json"
    )
    request._stream = stream
    if declared is None:
        request.META.pop("CONTENT_LENGTH", None)
    else:
        request.META["CONTENT_LENGTH"] = str(declared)
    return view.as_view()(request)


def test_declared_oversize_is_refused_without_reading(no_hashing):
    stream = CountingStream(b"{}")
    response = _post(SentryWebhook, stream, declared=MIB + 1)
    assert response.status_code == 413 and stream.bytes_read == 0


def test_undeclared_length_reads_at_most_cap_plus_one(no_hashing, monkeypatch):
    monkeypatch.setattr(SentryWebhook, "max_body_bytes", 1000)
    stream = CountingStream(b"x" * 50_000)
    response = _post(SentryWebhook, stream)
    assert response.status_code == 413
    assert stream.bytes_read == 1001


def test_understated_length_cannot_smuggle_a_larger_body(no_hashing, monkeypatch):
    monkeypatch.setattr(SentryWebhook, "max_body_bytes", 1000)
    stream = CountingStream(b"x" * 50_000)
    response = _post(SentryWebhook, stream, declared=10)
    assert response.status_code == 413 and stream.bytes_read == 1001

