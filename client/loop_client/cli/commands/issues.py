"""``loop issues``: list, view, create, update, close."""

from __future__ import annotations

from typing import Annotated

import typer

from loop_client.cli.commands.comments import show_threads
from loop_client.cli.params import PRIORITY_HELP, parse_priority, split_csv
from loop_client.cli.render import issue_card, issue_fields, issue_table
from loop_client.cli.state import client, command, fail, out
from loop_client.sdk.models import Issue, IssueStatus, IssueType
from loop_client.sdk.pagination import Page, iterate
from loop_client.sdk.resources._base import UNSET

app = typer.Typer(no_args_is_help=True)

StatusFilter = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        "-s",
        help="Status(es): triage, backlog, todo, in_progress, done, canceled. "
        "Repeat or comma-separate.",
    ),
]
TypeFilter = Annotated[
    list[str] | None,
    typer.Option("--type", "-t", help="Type(s): signal, hypothesis, plan, task, monitor."),
]
Limit = Annotated[int, typer.Option("--limit", "-n", min=1, max=200, help="Page size.")]
Offset = Annotated[int, typer.Option("--offset", min=0, help="Rows to skip.")]
AllPages = Annotated[bool, typer.Option("--all", help="Fetch every page (shows progress).")]


@command(app, "list")
def list_issues(
    status: StatusFilter = None,
    type: TypeFilter = None,
    project: Annotated[str | None, typer.Option("--project", "-p", help="Project id.")] = None,
    label: Annotated[str | None, typer.Option("--label", help="Label id.")] = None,
    priority: Annotated[str | None, typer.Option("--priority", help=PRIORITY_HELP)] = None,
    parent: Annotated[str | None, typer.Option("--parent", help="Parent issue id.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    all_pages: AllPages = False,
) -> None:
    """List issues, oldest first, as the server orders them."""
    statuses, types, number = split_csv(status), split_csv(type), parse_priority(priority)

    def fetch(limit: int, offset: int) -> Page[Issue]:
        return client().issues.list(
            status=statuses,
            type=types,
            project_id=project,
            label_id=label,
            priority=number,
            parent_id=parent,
            limit=limit,
            offset=offset,
        )

    output = out()
    issues: list[Issue]
    if all_pages:
        with output.progress("Fetching issues") as advance:
            seen = 0

            def on_page(page: Page[Issue]) -> None:
                nonlocal seen
                seen += len(page.data)
                advance(seen, page.total)

            issues = list(iterate(fetch, on_page=on_page))
        total = len(issues)
    else:
        page = fetch(limit, offset)
        issues, total = page.data, page.total
    if output.is_json:
        output.json({"data": [i.to_wire() for i in issues], "total": total})
        return
    shown = f"{offset + 1}-{offset + len(issues)}" if issues and not all_pages else str(len(issues))
    issue_table(output, issues, caption=f"{shown} of {total}" if issues else None)


@command(app, "view")
def view_issue(
    issue_id: Annotated[str, typer.Argument(help="Issue id.")],
    comments: Annotated[
        bool, typer.Option("--comments/--no-comments", help="Show comment threads.")
    ] = True,
) -> None:
    """Show one issue with its parent, children, labels, relations and comments."""
    loop = client()
    issue = loop.issues.get(issue_id)
    threads = (
        []
        if not comments
        else issue.comments
        if issue.has_comments
        else loop.comments.list(issue_id)
    )
    output = out()
    if output.is_json:
        payload = issue.to_wire()
        if comments:
            payload["comments"] = [c.to_wire() for c in threads]
        else:
            payload.pop("comments", None)
        output.json(payload)
        return
    issue_card(output, issue)
    if threads:
        show_threads(output, threads)


@command(app, "create")
def create_issue(
    title: Annotated[str, typer.Argument(help="Issue title.")],
    type: Annotated[IssueType, typer.Option("--type", "-t", help="Issue type.")] = IssueType.TASK,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    priority: Annotated[str | None, typer.Option("--priority", help=PRIORITY_HELP)] = None,
    status: Annotated[
        IssueStatus | None,
        typer.Option("--status", "-s", help="Initial status (server default: triage)."),
    ] = None,
    parent: Annotated[str | None, typer.Option("--parent", help="Parent issue id.")] = None,
    project: Annotated[str | None, typer.Option("--project", "-p", help="Project id.")] = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", help="Label id (repeatable).")
    ] = None,
    blocked_by: Annotated[
        list[str] | None,
        typer.Option("--blocked-by", help="Issue id this one waits for (repeatable)."),
    ] = None,
) -> None:
    """Create an issue."""
    loop = client()
    number = parse_priority(priority)
    issue = loop.issues.create(
        title=title,
        type=type.value,
        description=UNSET if description is None else description,
        priority=UNSET if number is None else number,
        status=UNSET if status is None else status.value,
        parent_id=UNSET if parent is None else parent,
        project_id=UNSET if project is None else project,
        label_ids=UNSET if not label else split_csv(label) or [],
    )
    relations = [
        loop.relations.create(issue.id, type="blocked_by", related_issue_id=blocker)
        for blocker in split_csv(blocked_by) or []
    ]
    output = out()
    if output.is_json:
        payload = issue.to_wire()
        if relations:
            payload["relations"] = [r.to_wire() for r in relations]
        output.json(payload)
        return
    output.success(f"Created #{issue.number} {issue.title} ({issue.id})")
    for relation in relations:
        output.info(f"  blocked by {relation.related_issue_id}")


@command(app, "update")
def update_issue(
    issue_id: Annotated[str, typer.Argument(help="Issue id.")],
    title: Annotated[str | None, typer.Option("--title")] = None,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    type: Annotated[IssueType | None, typer.Option("--type", "-t")] = None,
    status: Annotated[IssueStatus | None, typer.Option("--status", "-s")] = None,
    priority: Annotated[str | None, typer.Option("--priority", help=PRIORITY_HELP)] = None,
    parent: Annotated[str | None, typer.Option("--parent", help="New parent id.")] = None,
    project: Annotated[str | None, typer.Option("--project", "-p", help="New project id.")] = None,
    no_parent: Annotated[bool, typer.Option("--no-parent", help="Detach from its parent.")] = False,
    no_project: Annotated[
        bool, typer.Option("--no-project", help="Remove from its project.")
    ] = False,
) -> None:
    """Change the fields given; the rest stay as they are."""
    if parent and no_parent:
        raise fail("--parent and --no-parent cannot be used together")
    if project and no_project:
        raise fail("--project and --no-project cannot be used together")
    number = parse_priority(priority)
    changes = dict(
        title=UNSET if title is None else title,
        description=UNSET if description is None else description,
        type=UNSET if type is None else type.value,
        status=UNSET if status is None else status.value,
        priority=UNSET if number is None else number,
        parent_id=None if no_parent else (UNSET if parent is None else parent),
        project_id=None if no_project else (UNSET if project is None else project),
    )
    if all(value is UNSET for value in changes.values()):
        raise fail("Nothing to change: pass at least one option (see --help).")
    issue = client().issues.update(issue_id, **changes)  # type: ignore[arg-type]
    output = out()
    if output.is_json:
        output.json(issue.to_wire())
        return
    output.success(f"Updated #{issue.number} {issue.title}")
    output.record(f"#{issue.number} {issue.title}", issue_fields(issue))


@command(app, "close")
def close_issue(
    issue_ids: Annotated[list[str], typer.Argument(help="Issue id(s).")],
    canceled: Annotated[
        bool, typer.Option("--canceled", help="Close as canceled instead of done.")
    ] = False,
    summary: Annotated[
        str | None, typer.Option("--summary", help="What was done (stored as agentSummary).")
    ] = None,
) -> None:
    """Close issues as done (or canceled)."""
    loop = client()
    status = "canceled" if canceled else "done"
    output = out()
    closed = []
    with output.progress("Closing issues") as advance:
        for index, issue_id in enumerate(issue_ids, start=1):
            closed.append(
                loop.issues.update(
                    issue_id, status=status, agent_summary=UNSET if summary is None else summary
                )
            )
            advance(index, len(issue_ids))
    if output.is_json:
        output.json(
            closed[0].to_wire()
            if len(closed) == 1
            else {"data": [i.to_wire() for i in closed], "total": len(closed)}
        )
        return
    for issue in closed:
        output.success(f"Closed #{issue.number} {issue.title} ({issue.status})")
