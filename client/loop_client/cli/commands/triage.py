"""``loop triage``: walk the issues waiting in triage and accept or decline each.

``loop triage`` is interactive; ``list``, ``accept`` and ``decline`` do the same one step at a
time for scripts. Accepting moves an issue to ``todo`` (where agents pick it up) or ``backlog``;
declining cancels it, with the reason kept as a comment.
"""

from __future__ import annotations

import getpass
import json
from enum import StrEnum
from typing import Annotated

import click
import typer

from loop_client.cli.render import issue_fields, issue_table
from loop_client.cli.state import client, command, out, with_common_options
from loop_client.sdk.client import LoopClient
from loop_client.sdk.models import AuthorType, Issue
from loop_client.sdk.pagination import Page

app = typer.Typer()


class AcceptTo(StrEnum):
    TODO = "todo"
    BACKLOG = "backlog"


AcceptOpt = Annotated[AcceptTo, typer.Option("--to", help="Status an accepted issue moves to.")]


def _triage_queue(loop: LoopClient) -> list[Issue]:
    output = out()
    with output.progress("Loading triage") as advance:
        seen = 0

        def on_page(page: Page[Issue]) -> None:
            nonlocal seen
            seen += len(page.data)
            advance(seen, page.total)

        return list(loop.issues.iter(status="triage", on_page=on_page))


def _accept(loop: LoopClient, issue_id: str, to: AcceptTo) -> Issue:
    return loop.issues.update(issue_id, status=to.value)


def _decline(loop: LoopClient, issue_id: str, reason: str | None) -> Issue:
    if reason:
        loop.comments.create(
            issue_id,
            body=f"Declined in triage: {reason}",
            author_name=getpass.getuser(),
            author_type=AuthorType.HUMAN,
        )
    return loop.issues.update(issue_id, status="canceled")


@app.callback(invoke_without_command=True)
@with_common_options
def triage(ctx: typer.Context, to: AcceptOpt = AcceptTo.TODO) -> None:
    """Go through the triage queue interactively: [a]ccept, [d]ecline, [s]kip or [q]uit."""
    if ctx.invoked_subcommand is not None:
        return
    loop = client()
    output = out()
    queue = _triage_queue(loop)
    if not output.is_rich:
        # Scripts get the queue; deciding needs a person (or `accept` / `decline`).
        if output.is_json:
            output.json({"data": [i.to_wire() for i in queue], "total": len(queue)})
        else:
            issue_table(output, queue)
        return
    if not queue:
        output.info("Triage is empty.")
        return
    counts = {"accepted": 0, "declined": 0, "skipped": 0}
    for position, issue in enumerate(queue, start=1):
        output.record(
            f"[{position}/{len(queue)}] #{issue.number} {issue.title}", issue_fields(issue)
        )
        if issue.signal_payload:
            output.text_block("Signal payload", _payload_preview(issue.signal_payload))
        choice = typer.prompt(
            "[a]ccept, [d]ecline, [s]kip, [q]uit",
            type=click.Choice(["a", "d", "s", "q"], case_sensitive=False),
            default="s",
            show_choices=False,
        ).lower()
        if choice == "q":
            break
        if choice == "a":
            _accept(loop, issue.id, to)
            counts["accepted"] += 1
            output.success(f"#{issue.number} accepted ({to.value})")
        elif choice == "d":
            reason = typer.prompt("Reason (optional)", default="", show_default=False).strip()
            _decline(loop, issue.id, reason or None)
            counts["declined"] += 1
            output.success(f"#{issue.number} declined")
        else:
            counts["skipped"] += 1
    output.info(
        f"{counts['accepted']} accepted, {counts['declined']} declined, "
        f"{counts['skipped']} skipped."
    )


def _payload_preview(payload: dict[str, object]) -> str:
    text = json.dumps(payload, indent=2, default=str)
    return text if len(text) <= 1500 else text[:1500] + "\n…"


@command(app, "list")
def list_triage() -> None:
    """Issues waiting in triage."""
    output = out()
    queue = _triage_queue(client())
    if output.is_json:
        output.json({"data": [i.to_wire() for i in queue], "total": len(queue)})
        return
    issue_table(output, queue, empty="Triage is empty.")


@command(app, "accept")
def accept(
    issue_id: Annotated[str, typer.Argument(help="Issue id.")], to: AcceptOpt = AcceptTo.TODO
) -> None:
    """Accept an issue out of triage (into todo, or backlog)."""
    issue = _accept(client(), issue_id, to)
    output = out()
    if output.is_json:
        output.json(issue.to_wire())
        return
    output.success(f"#{issue.number} accepted ({issue.status})")


@command(app, "decline")
def decline(
    issue_id: Annotated[str, typer.Argument(help="Issue id.")],
    reason: Annotated[
        str | None, typer.Option("--reason", "-r", help="Why (kept as a comment).")
    ] = None,
) -> None:
    """Decline an issue: cancel it, recording the reason as a comment."""
    issue = _decline(client(), issue_id, reason)
    output = out()
    if output.is_json:
        output.json(issue.to_wire())
        return
    output.success(f"#{issue.number} declined")
