"""``loop goals``: list, view, create, update."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from loop_client.cli.output import Column
from loop_client.cli.state import client, command, fail, out
from loop_client.sdk.models import Goal
from loop_client.sdk.resources._base import UNSET

app = typer.Typer(no_args_is_help=True)


class GoalStatus(StrEnum):
    ACTIVE = "active"
    ACHIEVED = "achieved"
    ABANDONED = "abandoned"


GOAL_STYLES = {"active": "cyan", "achieved": "green", "abandoned": "dim"}
COLUMNS = [
    Column("ID", style="dim", no_wrap=True),
    Column("Title"),
    Column("Status", style_of=lambda v: GOAL_STYLES.get(str(v))),
    Column("Metric"),
    Column("Current", justify="right"),
    Column("Target", justify="right"),
    Column("Project", style="dim"),
]


def _row(goal: Goal) -> list[object]:
    return [
        goal.id,
        goal.title,
        goal.status,
        goal.metric,
        goal.current_value,
        goal.target_value,
        goal.project_id,
    ]


@command(app, "list")
def list_goals(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
) -> None:
    """List goals."""
    page = client().goals.list(limit=limit, offset=offset)
    output = out()
    if output.is_json:
        output.json(page.to_wire())
        return
    output.table(
        COLUMNS,
        [_row(g) for g in page.data],
        caption=f"{len(page.data)} of {page.total}",
        empty="No goals.",
    )


@command(app, "view")
def view_goal(goal_id: Annotated[str, typer.Argument(help="Goal id.")]) -> None:
    """Show one goal."""
    goal = client().goals.get(goal_id)
    output = out()
    if output.is_json:
        output.json(goal.to_wire())
        return
    fields = [
        ("ID", goal.id),
        ("Status", goal.status),
        ("Metric", goal.metric),
        ("Current", goal.current_value),
        ("Target", goal.target_value),
        ("Unit", goal.unit),
        ("Project", goal.project_id),
        ("Description", goal.description),
    ]
    output.record(goal.title, [(k, v) for k, v in fields if v is not None])


@command(app, "create")
def create_goal(
    title: Annotated[str, typer.Argument(help="What success looks like.")],
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    metric: Annotated[
        str | None, typer.Option("--metric", help="Metric name, e.g. login_failure_rate.")
    ] = None,
    target: Annotated[float | None, typer.Option("--target", help="Target value.")] = None,
    current: Annotated[float | None, typer.Option("--current", help="Current value.")] = None,
    unit: Annotated[str | None, typer.Option("--unit")] = None,
    status: Annotated[GoalStatus | None, typer.Option("--status", "-s")] = None,
    project: Annotated[str | None, typer.Option("--project", "-p", help="Project id.")] = None,
) -> None:
    """Create a goal."""
    goal = client().goals.create(
        title=title,
        description=UNSET if description is None else description,
        metric=UNSET if metric is None else metric,
        target_value=UNSET if target is None else target,
        current_value=UNSET if current is None else current,
        unit=UNSET if unit is None else unit,
        status=UNSET if status is None else status.value,
        project_id=UNSET if project is None else project,
    )
    output = out()
    if output.is_json:
        output.json(goal.to_wire())
        return
    output.success(f"Created goal {goal.title} ({goal.id})")


@command(app, "update")
def update_goal(
    goal_id: Annotated[str, typer.Argument(help="Goal id.")],
    title: Annotated[str | None, typer.Option("--title")] = None,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    metric: Annotated[str | None, typer.Option("--metric")] = None,
    target: Annotated[float | None, typer.Option("--target")] = None,
    current: Annotated[float | None, typer.Option("--current")] = None,
    unit: Annotated[str | None, typer.Option("--unit")] = None,
    status: Annotated[GoalStatus | None, typer.Option("--status", "-s")] = None,
    project: Annotated[str | None, typer.Option("--project", "-p")] = None,
) -> None:
    """Change the fields given (e.g. record progress with --current)."""
    changes = dict(
        title=UNSET if title is None else title,
        description=UNSET if description is None else description,
        metric=UNSET if metric is None else metric,
        target_value=UNSET if target is None else target,
        current_value=UNSET if current is None else current,
        unit=UNSET if unit is None else unit,
        status=UNSET if status is None else status.value,
        project_id=UNSET if project is None else project,
    )
    if all(value is UNSET for value in changes.values()):
        raise fail("Nothing to change: pass at least one option (see --help).")
    goal = client().goals.update(goal_id, **changes)  # type: ignore[arg-type]
    output = out()
    if output.is_json:
        output.json(goal.to_wire())
        return
    output.success(f"Updated goal {goal.title}")
