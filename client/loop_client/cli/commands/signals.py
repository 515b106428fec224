"""``loop signals ingest``: raise a signal by hand or from a script."""

from __future__ import annotations

from typing import Annotated

import typer

from loop_client.cli.params import parse_json_object
from loop_client.cli.render import issue_fields
from loop_client.cli.state import client, command, out
from loop_client.sdk.models import Severity
from loop_client.sdk.resources._base import UNSET

app = typer.Typer(no_args_is_help=True)


@command(app, "ingest")
def ingest(
    source: Annotated[
        str, typer.Option("--source", help='Where it comes from, e.g. "ci", "support".')
    ],
    type: Annotated[
        str, typer.Option("--type", "-t", help='What happened, e.g. "error", "metric_change".')
    ],
    severity: Annotated[
        Severity, typer.Option("--severity", help="Sets the issue's priority.")
    ] = Severity.MEDIUM,
    message: Annotated[
        str | None,
        typer.Option("--message", "-m", help="Short summary (payload.message, used in the title)."),
    ] = None,
    payload: Annotated[
        str | None, typer.Option("--payload", help="JSON object, @file.json, or - for stdin.")
    ] = None,
    source_id: Annotated[
        str | None, typer.Option("--source-id", help="The source's own event id.")
    ] = None,
    project: Annotated[str | None, typer.Option("--project", "-p", help="Project id.")] = None,
) -> None:
    """Create a signal and the issue that tracks it."""
    data = parse_json_object(payload, param="--payload") or {}
    if message is not None:
        data["message"] = message
    result = client().signals.ingest(
        source=source,
        type=type,
        severity=severity.value,
        payload=data,
        source_id=UNSET if source_id is None else source_id,
        project_id=UNSET if project is None else project,
    )
    output = out()
    if output.is_json:
        output.json({"signal": result.signal.to_wire(), "issue": result.issue.to_wire()})
        return
    output.success(f"Signal {result.signal.id} opened issue #{result.issue.number}")
    output.record(f"#{result.issue.number} {result.issue.title}", issue_fields(result.issue))
