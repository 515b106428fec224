"""``loop templates``: prompt templates, their versions, promotion, reviews and previews."""

from __future__ import annotations

from typing import Annotated

import typer

from loop_client.cli.output import Column
from loop_client.cli.params import parse_json_object, read_text_arg
from loop_client.cli.state import client, command, fail, out
from loop_client.sdk.models import AuthorType
from loop_client.sdk.resources._base import UNSET

app = typer.Typer(no_args_is_help=True)

VERSION_STYLES = {"active": "green", "draft": "yellow", "retired": "dim"}
VERSION_COLUMNS = [
    Column("Version", justify="right"),
    Column("ID", style="dim", no_wrap=True),
    Column("Status", style_of=lambda v: VERSION_STYLES.get(str(v))),
    Column("Author"),
    Column("Uses", justify="right"),
    Column("Score", justify="right"),
    Column("Changelog"),
]


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


@command(app, "list")
def list_templates(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
) -> None:
    """List prompt templates."""
    page = client().templates.list(limit=limit, offset=offset)
    output = out()
    if output.is_json:
        output.json(page.to_wire())
        return
    rows = [
        [t.id, t.slug, t.name, t.specificity, t.conditions or {}, t.active_version_id or "-"]
        for t in page.data
    ]
    columns = [
        Column("ID", style="dim", no_wrap=True),
        Column("Slug", style="bold"),
        Column("Name"),
        Column("Specificity", justify="right"),
        Column("Conditions"),
        Column("Active version", style="dim"),
    ]
    output.table(columns, rows, caption=f"{len(page.data)} of {page.total}", empty="No templates.")


@command(app, "view")
def view_template(template_id: Annotated[str, typer.Argument(help="Template id.")]) -> None:
    """Show a template and its active version's content."""
    template = client().templates.get(template_id)
    output = out()
    if output.is_json:
        output.json(template.to_wire())
        return
    fields: list[tuple[str, object]] = [
        ("ID", template.id),
        ("Name", template.name),
        ("Conditions", template.conditions),
        ("Specificity", template.specificity),
        ("Project", template.project_id),
        ("Description", template.description),
    ]
    version = template.active_version
    if version is not None:
        fields.append(
            (
                "Active version",
                f"v{version.version} ({version.id}), used {version.usage_count}×,"
                f" score {_score(version.review_score) or '-'}",
            )
        )
    output.record(template.slug, [(k, v) for k, v in fields if v not in (None, "")])
    if version is not None:
        output.text_block(f"v{version.version} content", version.content)


@command(app, "create")
def create_template(
    slug: Annotated[str, typer.Argument(help="Unique slug, e.g. signal-triage.")],
    name: Annotated[str, typer.Argument(help="Display name.")],
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    conditions: Annotated[
        str | None,
        typer.Option("--conditions", help='JSON object, e.g. {"type": "signal"}; @file or -.'),
    ] = None,
    specificity: Annotated[int | None, typer.Option("--specificity", min=0, max=100)] = None,
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Only for issues of this project.")
    ] = None,
) -> None:
    """Create a template (add its content with `add-version`)."""
    template = client().templates.create(
        slug=slug,
        name=name,
        description=UNSET if description is None else description,
        conditions=parse_json_object(conditions, param="--conditions") or UNSET,
        specificity=UNSET if specificity is None else specificity,
        project_id=UNSET if project is None else project,
    )
    output = out()
    if output.is_json:
        output.json(template.to_wire())
        return
    output.success(f"Created template {template.slug} ({template.id})")


@command(app, "update")
def update_template(
    template_id: Annotated[str, typer.Argument(help="Template id.")],
    name: Annotated[str | None, typer.Option("--name")] = None,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    conditions: Annotated[
        str | None, typer.Option("--conditions", help="JSON object; @file or -.")
    ] = None,
    specificity: Annotated[int | None, typer.Option("--specificity", min=0, max=100)] = None,
    project: Annotated[str | None, typer.Option("--project", "-p")] = None,
    no_project: Annotated[
        bool, typer.Option("--no-project", help="Apply to every project.")
    ] = False,
) -> None:
    """Change the fields given."""
    parsed = parse_json_object(conditions, param="--conditions")
    changes = dict(
        name=UNSET if name is None else name,
        description=UNSET if description is None else description,
        conditions=UNSET if parsed is None else parsed,
        specificity=UNSET if specificity is None else specificity,
        project_id=None if no_project else (UNSET if project is None else project),
    )
    if all(value is UNSET for value in changes.values()):
        raise fail("Nothing to change: pass at least one option (see --help).")
    template = client().templates.update(template_id, **changes)  # type: ignore[arg-type]
    output = out()
    if output.is_json:
        output.json(template.to_wire())
        return
    output.success(f"Updated template {template.slug}")


@command(app, "versions")
def list_versions(template_id: Annotated[str, typer.Argument(help="Template id.")]) -> None:
    """Every version of a template."""
    versions = list(client().templates.iter_versions(template_id))
    output = out()
    if output.is_json:
        output.json({"data": [v.to_wire() for v in versions], "total": len(versions)})
        return
    rows = [
        [
            v.version,
            v.id,
            v.status,
            f"{v.author_name} ({v.author_type})",
            v.usage_count,
            _score(v.review_score),
            v.changelog,
        ]
        for v in versions
    ]
    output.table(VERSION_COLUMNS, rows, empty="No versions yet.")


@command(app, "add-version")
def add_version(
    template_id: Annotated[str, typer.Argument(help="Template id.")],
    content: Annotated[
        str, typer.Option("--content", help="Template text, @file, or - for stdin.")
    ],
    changelog: Annotated[str | None, typer.Option("--changelog", "-m")] = None,
    author: Annotated[str, typer.Option("--author", help="Author name.")] = "cli",
    agent: Annotated[bool, typer.Option("--agent", help="Authored by an agent.")] = False,
) -> None:
    """Add a version (a draft, unless the template has no active version yet)."""
    version = client().templates.create_version(
        template_id,
        content=read_text_arg(content, param="--content"),
        author_name=author,
        author_type=AuthorType.AGENT if agent else AuthorType.HUMAN,
        changelog=UNSET if changelog is None else changelog,
    )
    output = out()
    if output.is_json:
        output.json(version.to_wire())
        return
    output.success(f"Added v{version.version} ({version.id}) as {version.status}")


@command(app, "promote")
def promote(
    template_id: Annotated[str, typer.Argument(help="Template id.")],
    version_id: Annotated[str, typer.Argument(help="Version id.")],
) -> None:
    """Make a version active (the previous active one is retired)."""
    version = client().templates.promote(template_id, version_id)
    output = out()
    if output.is_json:
        output.json(version.to_wire())
        return
    output.success(f"v{version.version} is now active")


@command(app, "reviews")
def list_reviews(
    template_id: Annotated[str, typer.Argument(help="Template id.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
) -> None:
    """Agents' and people's reviews of a template's prompts."""
    page = client().templates.reviews(template_id, limit=limit, offset=offset)
    output = out()
    if output.is_json:
        output.json(page.to_wire())
        return
    rows = [
        [
            r.version_id,
            r.issue_id,
            r.clarity,
            r.completeness,
            r.relevance,
            f"{r.composite:.2f}",
            r.author_type,
            r.feedback,
        ]
        for r in page.data
    ]
    columns = [
        Column("Version", style="dim"),
        Column("Issue", style="dim"),
        Column("Clarity", justify="right"),
        Column("Complete", justify="right"),
        Column("Relevance", justify="right"),
        Column("Mean", justify="right", style="bold"),
        Column("By"),
        Column("Feedback"),
    ]
    output.table(
        columns, rows, caption=f"{len(page.data)} of {page.total}", empty="No reviews yet."
    )


@command(app, "preview")
def preview(issue_id: Annotated[str, typer.Argument(help="Issue id.")]) -> None:
    """The template and prompt dispatch would give an issue, without claiming it."""
    result = client().templates.preview(issue_id)
    output = out()
    if output.is_json:
        output.json(result.to_wire())
        return
    if result.template is None or result.prompt is None:
        output.info(result.message or "No template matches this issue.")
        return
    version = f" v{result.version.version}" if result.version else ""
    output.text_block(
        f"#{result.issue.number} {result.issue.title} — {result.template.slug}{version}",
        result.prompt,
    )
