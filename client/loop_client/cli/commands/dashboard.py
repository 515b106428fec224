"""``loop dashboard`` (stats, activity, prompts) and ``loop status``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from loop_client.cli.output import STATUS_STYLES, Column, Output, status_column, type_column
from loop_client.cli.state import client, command, current_state, out, with_common_options
from loop_client.sdk.errors import LoopError
from loop_client.sdk.models import DashboardStats

app = typer.Typer()


def _show_stats(output: Output, stats: DashboardStats) -> None:
    output.record(
        "Loop",
        [
            ("Issues", stats.issues.total),
            ("Queue depth", stats.dispatch.queue_depth),
            ("In progress", stats.dispatch.active_count),
            ("Done (24h)", stats.dispatch.completed_last24h),
            (
                "Goals",
                f"{stats.goals.active} active, {stats.goals.achieved} achieved"
                f" of {stats.goals.total}",
            ),
        ],
    )
    if stats.issues.by_status:
        output.table(
            [status_column(), Column("Issues", justify="right")],
            sorted(stats.issues.by_status.items()),
            title="By status",
        )
    if stats.issues.by_type:
        output.table(
            [type_column(), Column("Issues", justify="right")],
            sorted(stats.issues.by_type.items()),
            title="By type",
        )


@app.callback(invoke_without_command=True)
@with_common_options
def dashboard(ctx: typer.Context) -> None:
    """System stats (same as `loop dashboard stats`)."""
    if ctx.invoked_subcommand is None:
        stats()


@command(app, "stats")
def stats() -> None:
    """Issue counts by status and type, goals, dispatch throughput."""
    result = client().dashboard.stats()
    output = out()
    if output.is_json:
        output.json(result.to_wire())
        return
    _show_stats(output, result)


@command(app, "activity")
def activity(limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100)] = 10) -> None:
    """Recent chains: each root issue (usually a signal) and what grew from it."""
    chains = client().dashboard.activity(limit=limit)
    output = out()
    if output.is_json:
        output.json({"data": [c.to_wire() for c in chains], "total": len(chains)})
        return
    if not chains:
        output.info("No activity yet.")
        return
    if not output.is_rich:
        rows = [
            [c.root.id, c.root.number, c.root.type, c.root.status, c.root.title, len(c.children)]
            for c in chains
        ]
        output.table(
            [
                Column("ID"),
                Column("#"),
                Column("Type"),
                Column("Status"),
                Column("Title"),
                Column("Children"),
            ],
            rows,
        )
        return
    from rich.tree import Tree

    for chain in chains:
        root = chain.root
        tree = Tree(
            Text.assemble(
                (f"#{root.number} ", "bold"),
                (root.type, "red"),
                " ",
                (root.status or "", STATUS_STYLES.get(root.status or "", "")),
                f"  {root.title}",
            )
        )
        for child in chain.children:
            issue = child.issue
            tree.add(
                Text.assemble(
                    (f"#{issue.number} ", "bold"),
                    issue.type,
                    " ",
                    (issue.status or "", STATUS_STYLES.get(issue.status or "", "")),
                    f"  {issue.title}",
                )
            )
        output.console.print(tree)


@command(app, "prompts")
def prompts() -> None:
    """Template health: active version, usage, review scores; flags the ones needing attention."""
    health = client().dashboard.prompts()
    output = out()
    if output.is_json:
        output.json({"data": [h.to_wire() for h in health]})
        return
    rows = []
    for item in health:
        version = item.active_version
        summary = item.review_summary
        rows.append(
            [
                item.template.slug,
                f"v{version.version}" if version else "-",
                version.usage_count if version else 0,
                summary.total_reviews,
                "" if summary.composite_score is None else f"{summary.composite_score:.2f}",
                "needs attention" if item.needs_attention else "ok",
            ]
        )
    columns = [
        Column("Template", style="bold"),
        Column("Active"),
        Column("Uses", justify="right"),
        Column("Reviews", justify="right"),
        Column("Score", justify="right"),
        Column("Health", style_of=lambda v: "red" if v == "needs attention" else "green"),
    ]
    output.table(columns, rows, empty="No templates.")


@with_common_options
def status_command() -> None:
    """Server health, version and a summary of the system."""
    state = current_state()
    loop = client()
    output = out()
    health = loop.health()
    info = loop.info()
    result: dict[str, object] = {
        "url": loop.api_url,
        "health": health.to_wire(),
        "server": info.to_wire(),
    }
    stats: DashboardStats | None = None
    try:
        stats = loop.dashboard.stats()
        result["stats"] = stats.to_wire()
    except LoopError as exc:
        # Health is public; stats need a key. Show what we can, then fail with the key's error.
        if output.is_json:
            result["stats"] = None
        failure: LoopError | None = exc
    else:
        failure = None
    if output.is_json:
        output.json(result)
    else:
        output.record(
            f"{info.name} {info.version or ''}".strip(),
            [
                ("Server", loop.api_url),
                (
                    "Health",
                    Text("ok", style="green") if health.ok else Text("unhealthy", style="red"),
                ),
                ("Connection", state.connection().url_source),
            ],
        )
        if stats is not None:
            _show_stats(output, stats)
    if failure is not None:
        raise failure
