"""``loop projects``: list, view, create, update."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from loop_client.cli.output import Column, status_column
from loop_client.cli.state import client, command, fail, out
from loop_client.sdk.models import Project
from loop_client.sdk.resources._base import UNSET

app = typer.Typer(no_args_is_help=True)


class ProjectStatus(StrEnum):
    BACKLOG = "backlog"
    PLANNED = "planned"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELED = "canceled"


class Health(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


HEALTH_STYLES = {"on_track": "green", "at_risk": "yellow", "off_track": "red"}
COLUMNS = [
    Column("ID", style="dim", no_wrap=True),
    Column("Name"),
    status_column(),
    Column("Health", style_of=lambda v: HEALTH_STYLES.get(str(v))),
    Column("Goal", style="dim"),
]


def _row(project: Project) -> list[object]:
    return [project.id, project.name, project.status, project.health, project.goal_id]


@command(app, "list")
def list_projects(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    all_pages: Annotated[bool, typer.Option("--all", help="Fetch every page.")] = False,
) -> None:
    """List projects."""
    loop = client()
    output = out()
    if all_pages:
        with output.progress("Fetching projects") as advance:
            projects = list(
                loop.projects.iter(
                    on_page=lambda page: advance(page.offset + len(page.data), page.total)
                )
            )
        total = len(projects)
    else:
        page = loop.projects.list(limit=limit, offset=offset)
        projects, total = page.data, page.total
    if output.is_json:
        output.json({"data": [p.to_wire() for p in projects], "total": total})
        return
    output.table(
        COLUMNS,
        [_row(p) for p in projects],
        caption=f"{len(projects)} of {total}",
        empty="No projects.",
    )


@command(app, "view")
def view_project(project_id: Annotated[str, typer.Argument(help="Project id.")]) -> None:
    """Show a project with its goal and issue counts."""
    project = client().projects.get(project_id)
    output = out()
    if output.is_json:
        output.json(project.to_wire())
        return
    fields: list[tuple[str, object]] = [
        ("ID", project.id),
        ("Status", project.status),
        ("Health", project.health),
        ("Description", project.description),
    ]
    if project.goal is not None:
        goal = project.goal
        progress = (
            f"{goal.current_value:g} → {goal.target_value:g} {goal.unit or ''}".strip()
            if goal.current_value is not None and goal.target_value is not None
            else ""
        )
        fields.append(("Goal", f"{goal.title} ({goal.status}) {progress}".strip()))
    output.record(project.name, [(k, v) for k, v in fields if v])
    if project.issue_counts:
        output.table(
            [status_column(), Column("Issues", justify="right")],
            sorted(project.issue_counts.items()),
            title="Issues by status",
        )


@command(app, "create")
def create_project(
    name: Annotated[str, typer.Argument(help="Project name.")],
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    status: Annotated[ProjectStatus | None, typer.Option("--status", "-s")] = None,
    health: Annotated[Health | None, typer.Option("--health")] = None,
    goal: Annotated[str | None, typer.Option("--goal", help="Goal id.")] = None,
) -> None:
    """Create a project."""
    project = client().projects.create(
        name=name,
        description=UNSET if description is None else description,
        status=UNSET if status is None else status.value,
        health=UNSET if health is None else health.value,
        goal_id=UNSET if goal is None else goal,
    )
    output = out()
    if output.is_json:
        output.json(project.to_wire())
        return
    output.success(f"Created project {project.name} ({project.id})")


@command(app, "update")
def update_project(
    project_id: Annotated[str, typer.Argument(help="Project id.")],
    name: Annotated[str | None, typer.Option("--name")] = None,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    status: Annotated[ProjectStatus | None, typer.Option("--status", "-s")] = None,
    health: Annotated[Health | None, typer.Option("--health")] = None,
    goal: Annotated[str | None, typer.Option("--goal", help="Goal id.")] = None,
    no_goal: Annotated[bool, typer.Option("--no-goal", help="Unlink the goal.")] = False,
) -> None:
    """Change the fields given."""
    changes = dict(
        name=UNSET if name is None else name,
        description=UNSET if description is None else description,
        status=UNSET if status is None else status.value,
        health=UNSET if health is None else health.value,
        goal_id=None if no_goal else (UNSET if goal is None else goal),
    )
    if all(value is UNSET for value in changes.values()):
        raise fail("Nothing to change: pass at least one option (see --help).")
    project = client().projects.update(project_id, **changes)  # type: ignore[arg-type]
    output = out()
    if output.is_json:
        output.json(project.to_wire())
        return
    output.success(f"Updated project {project.name}")
