import pytest

from integrations.posthog.verify import verify
from tests.integrations.helpers import POSTHOG_SECRET


def check(headers, secrets=(POSTHOG_SECRET,)):
    return verify(body=b"{}", headers=headers, secrets=list(secrets))


def test_secret_header_verifies():
    assert check({"X-PostHog-Secret": POSTHOG_SECRET})


def test_bearer_authorization_verifies_when_no_secret_header():
    assert check({"Authorization": f"Bearer {POSTHOG_SECRET}"})


def test_explicit_secret_header_wins_over_authorization():
    assert not check({"X-PostHog-Secret": "wrong", "Authorization": f"Bearer {POSTHOG_SECRET}"})


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-PostHog-Secret": ""},
        {"X-PostHog-Secret": POSTHOG_SECRET[:-1]},
        {"X-PostHog-Secret": POSTHOG_SECRET + "x"},
        {"X-PostHog-Secret": POSTHOG_SECRET.upper()},
        {"Authorization": POSTHOG_SECRET},
        {"Authorization": f"Basic {POSTHOG_SECRET}"},
    ],
)
def test_wrong_or_missing_secret_fails(headers):
    assert not check(headers)


def test_rotation():
    assert check({"X-PostHog-Secret": "new"}, secrets=["new", POSTHOG_SECRET])
    assert check({"X-PostHog-Secret": POSTHOG_SECRET}, secrets=["new", POSTHOG_SECRET])
