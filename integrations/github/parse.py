"""Map a verified GitHub delivery to a signal.

Event (``X-GitHub-Event``) → severity: security_advisory and code_scanning_alert critical,
dependabot_alert high, check_run and workflow_run failures high, issues medium, pull_request /
push / issue_comment low. Title ``GitHub: <event> on <owner/repo> by <sender>`` (missing parts read
``unknown``), type = the event, source id ``<event>.<action>`` (or the event), delivery id =
``X-GitHub-Delivery``. ``ping`` and every other event are answered without storing anything, as
are alert actions that close an alert (fixed, dismissed, withdrawn) and checks that did not fail.

Fingerprints (what groups repeats onto one open issue):

=====================  ==============================================
security_advisory      ``github:security_advisory:<GHSA id>``
code_scanning_alert    ``github:code_scanning_alert:<repo>:<alert number>``
dependabot_alert       ``github:dependabot_alert:<repo>:<alert number>``
check_run              ``github:check_run:<repo>:<check name>``
workflow_run           ``github:workflow_run:<repo>:<workflow name>``
issues, issue_comment  ``github:issues:<repo>:<issue number>`` / ``github:issue_comment:...``
pull_request           ``github:pull_request:<repo>:<PR number>``
push                   ``github:push:<repo>:<ref>``
=====================  ==============================================
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from integrations.common import BadPayload, Ignored, SignalIn, clip, header_id, object_at, text_at
from signals_app.fingerprint import make_fingerprint

SOURCE = "github"
EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"

SEVERITY_BY_EVENT = {
    "security_advisory": "critical",
    "code_scanning_alert": "critical",
    "dependabot_alert": "high",
    "check_run": "high",
    "workflow_run": "high",
    "issues": "medium",
    "pull_request": "low",
    "push": "low",
    "issue_comment": "low",
}
# Actions that end an alert: storing them would group onto (or, once the issue is closed,
# "regress") the very problem they report as gone.
RESOLVING_ACTIONS = {
    "security_advisory": {"withdrawn"},
    "code_scanning_alert": {"fixed", "closed_by_user"},
    "dependabot_alert": {"fixed", "dismissed", "auto_dismissed"},
}
FAILED_CONCLUSIONS = {"failure", "timed_out", "startup_failure"}


def _required(obj: dict[str, Any], key: str, field: str) -> str:
    value = text_at(obj, key)
    if value is None:
        raise BadPayload(f"'{field}' is required for this event", field=field)
    return value


def _completed_failure(event: str, run: dict[str, Any], action: str | None) -> Ignored | None:
    conclusion = text_at(run, "conclusion")
    if action != "completed" or conclusion not in FAILED_CONCLUSIONS:
        state = f"concluded '{conclusion}'" if conclusion else f"is '{action or 'unknown'}'"
        return Ignored(f"{event} {state}; only completed failures become signals")
    return None


def _identity(
    event: str, payload: dict[str, Any], repo: str, action: str | None
) -> list[str] | Ignored:
    """What distinguishes one problem from another within an event type."""
    if event in ("issues", "issue_comment"):
        issue = object_at(payload, "issue")
        return [repo, _required(issue, "number", "issue.number")]
    if event == "pull_request":
        pull_request = object_at(payload, "pull_request")
        return [repo, _required(pull_request, "number", "pull_request.number")]
    if event == "push":
        return [repo, _required(payload, "ref", "ref")]
    if event in ("code_scanning_alert", "dependabot_alert"):
        alert = object_at(payload, "alert")
        return [repo, _required(alert, "number", "alert.number")]
    if event == "security_advisory":
        advisory = object_at(payload, "security_advisory")
        return [_required(advisory, "ghsa_id", "security_advisory.ghsa_id")]
    if event == "check_run":
        run = object_at(payload, "check_run")
        name = _required(run, "name", "check_run.name")
        return _completed_failure(event, run, action) or [repo, name]
    if event == "workflow_run":
        run = object_at(payload, "workflow_run")
        name = text_at(run, "name") or _required(run, "path", "workflow_run.name")
        return _completed_failure(event, run, action) or [repo, name]
    raise AssertionError(f"no identity rule for mapped event {event}")


def parse(*, payload: dict[str, Any], headers: Mapping[str, str]) -> SignalIn | Ignored:
    event = (headers.get(EVENT_HEADER) or "").strip()
    if not event:
        raise BadPayload(f"The {EVENT_HEADER} header is required", field=EVENT_HEADER)
    if event == "ping":
        return Ignored("GitHub ping received: the webhook is set up", status="ping")
    if event not in SEVERITY_BY_EVENT:
        return Ignored(f"GitHub event '{clip(event, 100)}' is not mapped to a signal")

    action = payload.get("action") if isinstance(payload.get("action"), str) else None
    repository = object_at(payload, "repository")
    sender = object_at(payload, "sender")
    if action in RESOLVING_ACTIONS.get(event, ()):
        return Ignored(f"{event}.{action} closes an alert; it is not a new problem")
    repo = text_at(repository, "full_name") or "unknown"
    identity = _identity(event, payload, repo, action)
    if isinstance(identity, Ignored):
        return identity

    actor = text_at(sender, "login") or "unknown"
    return SignalIn(
        source=SOURCE,
        type=event,
        severity=SEVERITY_BY_EVENT[event],
        title=f"GitHub: {event} on {repo} by {actor}",
        payload=payload,
        source_id=clip(f"{event}.{action}" if action else event),
        fingerprint=make_fingerprint(SOURCE, event, *identity),
        delivery_id=header_id(headers.get(DELIVERY_HEADER)),
    )
