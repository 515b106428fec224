"""``loop labels``: list, create, delete."""

from __future__ import annotations

from typing import Annotated

import typer

from loop_client.cli.output import Column
from loop_client.cli.state import client, command, out

app = typer.Typer(no_args_is_help=True)


@command(app, "list")
def list_labels(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200)] = 200,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
) -> None:
    """List labels."""
    page = client().labels.list(limit=limit, offset=offset)
    output = out()
    if output.is_json:
        output.json(page.to_wire())
        return
    rows = [[label.id, label.name, label.color] for label in page.data]
    output.table(
        [
            Column("ID", style="dim", no_wrap=True),
            Column("Name"),
            Column(
                "Color",
                style_of=lambda v: str(v)
                if str(v).startswith("#") and len(str(v)) in (4, 7)
                else None,
            ),
        ],
        rows,
        empty="No labels.",
    )


@command(app, "create")
def create_label(
    name: Annotated[str, typer.Argument(help="Label name.")],
    color: Annotated[
        str, typer.Option("--color", "-c", help="CSS colour, e.g. #ff6b6b.")
    ] = "#6b7280",
) -> None:
    """Create a label."""
    label = client().labels.create(name=name, color=color)
    output = out()
    if output.is_json:
        output.json(label.to_wire())
        return
    output.success(f"Created label {label.name} ({label.id})")


@command(app, "delete")
def delete_label(label_id: Annotated[str, typer.Argument(help="Label id.")]) -> None:
    """Delete a label (soft delete: it disappears from lists)."""
    client().labels.delete(label_id)
    output = out()
    if output.is_json:
        output.json({"deleted": label_id})
        return
    output.success(f"Deleted label {label_id}")
