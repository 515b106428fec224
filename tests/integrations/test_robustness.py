"""Whatever a correctly signed delivery contains, the answer is a clear 2xx or 400 — never a 500,
and a 400 stores nothing."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signals_app.models import Signal
from tests.integrations.helpers import deliver, github_headers, posthog_headers, sentry_headers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_secrets")]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=12,
)
keys = st.sampled_from(
    ["action", "issue", "repository", "sender", "check_run", "alert", "ref", "data", "event",
     "value", "name", "timeframe", "number", "title", "count", "level", "id", "properties"]
)
bodies = st.dictionaries(keys | st.text(max_size=8), values, max_size=6)
# Documents shaped like real deliveries, so the mapping code (not just the first check) runs.
shaped = st.fixed_dictionaries(
    {"action": st.sampled_from(["opened", "created", "completed", "triggered", "critical"])
     | values},
    optional={
        "issue": st.dictionaries(keys, values, max_size=4) | values,
        "check_run": st.fixed_dictionaries(
            {"name": values, "conclusion": st.sampled_from(["failure", "success"]) | values}
        ),
        "repository": st.fixed_dictionaries({"full_name": values}) | values,
        "data": st.dictionaries(
            st.sampled_from(["issue", "error", "event", "metric_alert"]),
            st.dictionaries(keys, values, max_size=4) | values,
            max_size=2,
        ) | values,
        "event": st.dictionaries(keys, values, max_size=4) | values,
        "value": values,
    },
)
documents = bodies | shaped
RELAXED = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check(response, before):
    assert response.status_code in (200, 201, 400), response.content
    if response.status_code == 400:
        assert Signal.objects.count() == before
    else:
        assert response.json()["status"] in ("created", "grouped", "duplicate", "ignored", "ping")


@RELAXED
@given(
    document=documents,
    event=st.sampled_from(["issues", "check_run", "push", "dependabot_alert", "security_advisory",
                           "workflow_run", "pull_request", "ping", "star"]) | st.text(max_size=12),
)
def test_github_never_fails(document, event):
    body = json.dumps(document).encode()
    headers = github_headers(body, event.replace("\r", "").replace("\n", "") or "issues")
    before = Signal.objects.count()
    _check(deliver("github", body, headers), before)


@RELAXED
@given(
    document=documents,
    resource=st.sampled_from(["issue", "error", "event_alert", "metric_alert", "installation", ""]),
)
def test_sentry_never_fails(document, resource):
    body = json.dumps(document).encode()
    before = Signal.objects.count()
    _check(deliver("sentry", body, sentry_headers(body, resource)), before)


@RELAXED
@given(document=documents)
def test_posthog_never_fails(document):
    body = json.dumps(document).encode()
    before = Signal.objects.count()
    _check(deliver("posthog", body, posthog_headers()), before)
