"""Fixtures for webhook tests."""
import pytest

from tests.integrations.helpers import GITHUB_SECRET, POSTHOG_SECRET, SENTRY_SECRET


@pytest.fixture
def webhook_secrets(settings):
    settings.GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    settings.SENTRY_CLIENT_SECRET = SENTRY_SECRET
    settings.POSTHOG_WEBHOOK_SECRET = POSTHOG_SECRET
    return settings
