"""``loop skill``: print Loop's agent skill, or install it where a coding agent looks for skills."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from loop_client import skill
from loop_client.cli.state import EXIT_ERROR, command, fail, out
from loop_client.connect.files import FileChange, WriteError, apply_changes, read_text

app = typer.Typer(no_args_is_help=True)

DEFAULT_DIR = Path(".claude") / "skills"


@command(app, "show")
def show(
    reference: Annotated[
        bool, typer.Option("--reference", help="Print the API reference beside it instead.")
    ] = False,
) -> None:
    """Print the skill (SKILL.md, Markdown) for an agent or a person to read."""
    if out().is_json:
        meta = skill.parse()
        out().json({"name": meta.name, "description": meta.description, "files": skill.files()})
        return
    sys.stdout.write(skill.read(skill.REFERENCE_FILE if reference else skill.SKILL_FILE))


@command(app, "install")
def install(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Skills folder to write loop/SKILL.md into "
            "(default: .claude/skills here; ~/.claude/skills with --user).",
        ),
    ] = None,
    user: Annotated[
        bool, typer.Option("--user", help="Install for every project: ~/.claude/skills.")
    ] = False,
) -> None:
    """Write the skill (SKILL.md and reference.md) into <dir>/loop/, where Claude Code and other
    Agent Skills readers find it. Running it again updates the files in place."""
    if directory is not None and user:
        raise fail("--dir and --user cannot be used together")
    root = directory if directory is not None else (Path.home() if user else Path()) / DEFAULT_DIR
    target = root.expanduser() / skill.SKILL_NAME
    output = out()
    try:
        changes = [
            FileChange(path=target / name, old=read_text(target / name), new=text)
            for name, text in skill.files().items()
        ]
        apply_changes(changes)
    except WriteError as exc:
        raise fail(str(exc), EXIT_ERROR) from exc
    changed = [c for c in changes if c.changed]
    if output.is_json:
        output.json(
            {
                "directory": str(target),
                "files": [str(c.path) for c in changes],
                "changed": [str(c.path) for c in changed],
            }
        )
        return
    if changed:
        output.success(f"Installed the Loop skill in {target}")
    else:
        output.info(f"The Loop skill in {target} is already up to date.")
