"""``loop dispatch``: the queue in dispatch order, and the claim lifecycle (next, heartbeat,
release, complete) for shell-scripted agents."""

from __future__ import annotations

from typing import Annotated

import typer

from loop_client.cli.output import Column, priority_text, status_column, type_column
from loop_client.cli.render import claim_view
from loop_client.cli.state import client, command, out
from loop_client.sdk.models import ScoreBreakdown

app = typer.Typer(no_args_is_help=True)

ClaimToken = Annotated[
    str, typer.Option("--claim-token", "-c", help="The claimToken `dispatch next` returned.")
]


def _breakdown(parts: ScoreBreakdown) -> str:
    return (
        f"p{parts.priority_weight:g} t{parts.type_bonus:g} "
        f"g{parts.goal_bonus:g} a{parts.age_bonus:g}"
    )


@command(app, "queue")
def queue(
    project: Annotated[str | None, typer.Option("--project", "-p", help="Project id.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200)] = 20,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
) -> None:
    """Eligible issues in the order agents will get them, with scores. Claims nothing."""
    page = client().dispatch.queue(project_id=project, limit=limit, offset=offset)
    output = out()
    if output.is_json:
        output.json(page.to_wire())
        return
    rows = [
        [
            offset + rank,
            e.score,
            e.issue.number,
            e.issue.id,
            e.issue.type,
            e.issue.status,
            priority_text(e.issue.priority),
            e.issue.title,
            _breakdown(e.breakdown),
        ]
        for rank, e in enumerate(page.data, start=1)
    ]
    columns = [
        Column("Rank", justify="right"),
        Column("Score", justify="right", style="bold"),
        Column("#", justify="right"),
        Column("ID", style="dim", no_wrap=True),
        type_column(),
        status_column(),
        Column("Priority"),
        Column("Title"),
        Column("Breakdown", style="dim"),
    ]
    output.table(
        columns,
        rows,
        caption=f"{len(page.data)} of {page.total} eligible",
        empty="The queue is empty.",
    )


@command(app, "next")
def next_issue(
    project: Annotated[str | None, typer.Option("--project", "-p", help="Project id.")] = None,
) -> None:
    """Claim the top issue and print its prompt (exit 0, nothing claimed, if the queue is empty)."""
    output = out()
    with output.spinner("Claiming"):
        claim = client().dispatch.next(project_id=project)
    if claim is None:
        if output.is_json:
            output.json({"issue": None})
        else:
            output.info("The queue is empty.")
        return
    if output.is_json:
        output.json(claim.to_wire())
        return
    claim_view(output, claim)


@command(app, "heartbeat")
def heartbeat(
    issue_id: Annotated[str, typer.Argument(help="Claimed issue id.")], claim_token: ClaimToken
) -> None:
    """Extend the lease on a claimed issue."""
    lease = client().dispatch.heartbeat(issue_id, claim_token=claim_token)
    output = out()
    if output.is_json:
        output.json(lease.to_wire())
        return
    output.success(f"Lease extended until {lease.lease_expires_at.isoformat()}")


@command(app, "release")
def release(
    issue_id: Annotated[str, typer.Argument(help="Claimed issue id.")],
    claim_token: ClaimToken,
    reason: Annotated[str | None, typer.Option("--reason", "-r")] = None,
) -> None:
    """Hand a claimed issue back to the queue."""
    issue = client().dispatch.release(issue_id, claim_token=claim_token, reason=reason)
    output = out()
    if output.is_json:
        output.json(issue.to_wire())
        return
    output.success(f"#{issue.number} released ({issue.status})")


@command(app, "complete")
def complete(
    issue_id: Annotated[str, typer.Argument(help="Claimed issue id.")],
    claim_token: ClaimToken,
    summary: Annotated[str, typer.Option("--summary", "-m", help="What was done.")],
    canceled: Annotated[bool, typer.Option("--canceled", help="Finish as canceled.")] = False,
) -> None:
    """Finish a claimed issue with a summary (refused if the claim was lost)."""
    issue = client().dispatch.complete(
        issue_id,
        claim_token=claim_token,
        summary=summary,
        status="canceled" if canceled else "done",
    )
    output = out()
    if output.is_json:
        output.json(issue.to_wire())
        return
    output.success(f"#{issue.number} {issue.status}")
