"""Schemathesis against the generated OpenAPI schema, in-process over WSGI, with seeded data and a
valid API key: every operation, positive and negative data (NUL bytes included), explicit
examples, coverage cases and at least ``FUZZ_EXAMPLES`` random cases each. Checks: no server
error, responses match their documented schema, every status code is documented, and auth is
never ignored.

The nightly run is the same test with more cases: ``LOOP_FUZZ_EXAMPLES=250 pytest
tests/reliability/test_fuzz.py`` (> 10,000 cases; docs/reliability.md).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from integrations.github import parse as github_parse
from integrations.sentry import parse as sentry_parse
from issues import services as issue_services
from issues.models import Comment
from tests.factories import (
    CommentFactory,
    GoalFactory,
    IssueFactory,
    LabelFactory,
    ProjectFactory,
    PromptReviewFactory,
    PromptTemplateFactory,
    PromptVersionFactory,
    SignalFactory,
    make_api_key,
)
from tests.integrations.helpers import GITHUB_SECRET, POSTHOG_SECRET, SENTRY_SECRET, hmac_hex

FUZZ_EXAMPLES = int(os.environ.get("LOOP_FUZZ_EXAMPLES", "50"))
# CI is deterministic (a failure reproduces); the nightly run sets LOOP_FUZZ_RANDOM=1 for a fresh
# seed each night.
DERANDOMIZE = os.environ.get("LOOP_FUZZ_RANDOM", "") not in ("1", "true", "yes")
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, ignored_auth]

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())

# Ids of the seeded rows, by kind; filled per test by the ``seeded`` fixture and read while cases
# are drawn, so generated path ids are a mix of random strings and real rows.
SEEDED: dict[str, list[str]] = {}
_PARAM_KIND = {
    ("issues", "id"): "issue",
    ("labels", "id"): "label",
    ("projects", "id"): "project",
    ("goals", "id"): "goal",
    ("relations", "id"): "relation",
    ("*", "issue_id"): "issue",
    ("*", "template_id"): "template",
    ("*", "version_id"): "version",
}


def _kind(path: str, name: str) -> str | None:
    resource = path.split("/")[2] if path.count("/") >= 2 else ""
    return _PARAM_KIND.get((resource, name)) or _PARAM_KIND.get(("*", name))


def _seeded_value(kind: str) -> st.SearchStrategy[str]:
    return st.integers(min_value=0, max_value=10_000).map(
        lambda index: SEEDED[kind][index % len(SEEDED[kind])] if SEEDED.get(kind) else "none"
    )


@schema.hook
def before_generate_path_parameters(context, strategy):
    """Add real ids to the generated ones (a union: every random id is still generated)."""
    operation = context.operation
    names = [p["name"] for p in operation.definition.raw.get("parameters", []) if p["in"] == "path"]
    names = names or re.findall(r"\{(\w+)\}", operation.path)
    kinds = {name: _kind(operation.path, name) for name in names}
    if not names or not all(kinds.values()):
        return strategy
    real = st.fixed_dictionaries({name: _seeded_value(kind) for name, kind in kinds.items()})
    return st.one_of(strategy, real)


# The header that selects what a provider's delivery is, and values its parser maps; without
# them random headers would almost never reach the mapping code.
_EVENT_HEADERS = {
    "/api/signals/github": (github_parse.EVENT_HEADER, sorted(github_parse.SEVERITY_BY_EVENT)),
    "/api/signals/sentry": (
        sentry_parse.RESOURCE_HEADER,
        ["issue", "error", "event_alert", "metric_alert"],
    ),
}


@schema.hook
def before_generate_headers(context, strategy):
    """Add deliveries of mapped events to the generated headers (a union, nothing removed)."""
    header = _EVENT_HEADERS.get(context.operation.path)
    if header is None:
        return strategy
    name, values = header
    mapped = st.tuples(strategy, st.sampled_from(values)).map(
        lambda pair: {**(pair[0] or {}), name: pair[1]}
    )
    return st.one_of(strategy, mapped)


@pytest.fixture
def seeded(db, settings, throttle_cache):
    settings.GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    settings.SENTRY_CLIENT_SECRET = SENTRY_SECRET
    settings.POSTHOG_WEBHOOK_SECRET = POSTHOG_SECRET
    project = ProjectFactory()
    goal = GoalFactory(project=project)
    label = LabelFactory()
    issues = [IssueFactory(project=project, labels=[label]) for _ in range(3)]
    blocked = IssueFactory(status="backlog", priority=1)
    relation = issue_services.add_relation(
        issue_id=issues[0].pk, related_issue_id=blocked.pk, type="blocks", actor="system"
    )
    CommentFactory(issue=issues[1], author_type=Comment.AuthorType.HUMAN)
    template = PromptTemplateFactory()
    version = PromptVersionFactory(template=template)
    PromptReviewFactory(version=version, issue=issues[2])
    SignalFactory()
    SEEDED.clear()
    SEEDED.update(
        issue=[i.pk for i in issues] + [blocked.pk],
        label=[label.pk],
        project=[project.pk],
        goal=[goal.pk],
        relation=[relation.pk],
        template=[template.pk],
        version=[version.pk],
    )
    _, key = make_api_key(name="fuzzer")
    # As Django's own test client does: the test's transaction holds the connection, so the WSGI
    # handler must not close it at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {key}"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        SEEDED.clear()


def _sign_webhook(case: Any) -> None:
    """Sign webhook bodies as the provider would, so fuzzed payloads reach the parsers."""
    if not case.path.startswith("/api/signals/") or isinstance(case.body, NotSet):
        return
    if case.media_type != "application/json":
        return
    raw = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
    case.body = raw
    provider = case.path.rsplit("/", 1)[1]
    case.headers = dict(case.headers or {})
    if provider == "github":
        case.headers["X-Hub-Signature-256"] = f"sha256={hmac_hex(GITHUB_SECRET, raw)}"
    elif provider == "sentry":
        case.headers["Sentry-Hook-Signature"] = hmac_hex(SENTRY_SECRET, raw)
    elif provider == "posthog":
        case.headers["X-PostHog-Secret"] = POSTHOG_SECRET


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=DERANDOMIZE,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
)
def test_api(case, seeded):
    _sign_webhook(case)
    case.call_and_validate(headers=seeded, checks=CHECKS)
