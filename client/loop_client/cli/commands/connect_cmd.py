"""``loop connect``: check the server and key, pick or create a project, and write every coding
agent's Loop setup in this repository (MCP config, skill, rules, instructions) in one step."""

from __future__ import annotations

import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from loop_client.cli.output import Output
from loop_client.cli.state import EXIT_AUTH, EXIT_ERROR, current_state, fail, out
from loop_client.config import config_path, mask_secret
from loop_client.connect import content
from loop_client.connect.files import (
    FileChange,
    WriteError,
    apply_changes,
    check_changes,
    render_diff,
)
from loop_client.connect.plan import (
    TOOLS,
    KeyStore,
    Plan,
    build_plan,
    detect,
    repository_root,
)
from loop_client.connect.server import (
    ConnectError,
    Server,
    check_server,
    create_project,
    describe,
    find_project,
    normalise_url,
)
from loop_client.sdk.models import Project

NEW_PROJECT_ID = "<id of the new project>"


class TransportChoice(StrEnum):
    STDIO = "stdio"
    HTTP = "http"


class ProfileChoice(StrEnum):
    CORE = "core"
    ALL = "all"


class KeyStoreChoice(StrEnum):
    CONFIG = "config"
    ENV_FILE = "env-file"
    NONE = "none"


_KEY_STORES: dict[KeyStoreChoice, KeyStore] = {
    KeyStoreChoice.CONFIG: "config",
    KeyStoreChoice.ENV_FILE: "env-file",
    KeyStoreChoice.NONE: "none",
}


def connect(
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key", help="API key (default: --token, LOOP_API_KEY, then the config file)."
        ),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            "-p",
            help="Project id or name; a name no project has yet creates that project.",
        ),
    ] = None,
    tool: Annotated[
        list[str] | None,
        typer.Option(
            "--tool",
            help=f"Set up this tool (repeatable) instead of detecting: {', '.join(TOOLS)}.",
        ),
    ] = None,
    transport: Annotated[
        TransportChoice,
        typer.Option(
            "--transport", help="MCP over stdio (`loop-mcp`) or the server's /mcp over HTTP."
        ),
    ] = TransportChoice.STDIO,
    profile: Annotated[
        ProfileChoice,
        typer.Option("--profile", help="MCP tools to offer: core (six) or all."),
    ] = ProfileChoice.CORE,
    key_store: Annotated[
        KeyStoreChoice,
        typer.Option(
            "--key-store",
            help="Where the key goes: your config file (mode 0600), a git-ignored .env.loop "
            "here, or nowhere (you export LOOP_API_KEY yourself).",
        ),
    ] = KeyStoreChoice.CONFIG,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Repository to set up (default: the one you are in)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the diff it would apply; write nothing.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Ask nothing (for scripts); fail if unsure.")
    ] = False,
) -> None:
    """Connect this repository's coding agents to Loop in one command.

    Checks the server (/health) and the key, lets you pick or create a project, detects the
    tools the repository uses (.claude/ or CLAUDE.md, .cursor/, .windsurf/, .openhands/,
    AGENTS.md, .mcp.json) and writes their MCP configuration, the Loop skill, rules and a marked
    Loop section in CLAUDE.md / AGENTS.md. The key never goes into a file a repository would
    commit. Running it again changes only its own parts, and only if something changed."""
    state = current_state()
    output = out()
    interactive = not yes
    try:
        root = repository_root((directory or Path.cwd()).expanduser().resolve())
        if not root.is_dir():
            raise ConnectError(f"{root} is not a directory")
        tools = _choose_tools(root, tool, interactive)
        connection = state.connection()
        url = normalise_url(
            state.api_url
            or (
                typer.prompt("Loop server URL", default=connection.api_url)
                if interactive
                else connection.api_url
            )
        )
        key = (api_key or state.token or connection.api_key or "").strip()
        if not key:
            if not interactive:
                raise ConnectError(
                    "no API key: pass --api-key or set LOOP_API_KEY", exit_code=EXIT_AUTH
                )
            key = typer.prompt("API key (loop_…)", hide_input=True).strip()
        with output.spinner(f"Checking {url}"):
            server = check_server(state.client_factory, url, key)
        try:
            _run(
                server,
                root=root,
                tools=tools,
                url=url,
                key=key,
                wanted_project=project,
                base=content.Settings(
                    api_url=url,
                    transport="http" if transport is TransportChoice.HTTP else "stdio",
                    profile=profile.value,
                    env_file=key_store is KeyStoreChoice.ENV_FILE,
                ),
                key_store=_KEY_STORES[key_store],
                dry_run=dry_run,
                interactive=interactive,
                output=output,
            )
        finally:
            server.client.close()
    except ConnectError as exc:
        raise fail(str(exc), exc.exit_code) from None
    except WriteError as exc:
        raise fail(str(exc), EXIT_ERROR) from None
    except ValueError as exc:
        raise fail(str(exc), EXIT_ERROR) from None


def _choose_tools(root: Path, requested: list[str] | None, interactive: bool) -> list[str]:
    if requested:
        tools = [name.strip() for value in requested for name in value.split(",") if name.strip()]
        unknown = [name for name in tools if name not in TOOLS]
        if unknown:
            raise ConnectError(f"unknown tool {unknown[0]!r}: choose from {', '.join(TOOLS)}")
        return tools
    found = detect(root)
    if found:
        return found
    looked = ".claude/, CLAUDE.md, .cursor/, .windsurf/, .openhands/, AGENTS.md, .mcp.json"
    if not interactive:
        raise ConnectError(
            f"no coding tool found in {root} (looked for {looked}): pass --tool, e.g. --tool claude"
        )
    answer = typer.prompt(
        f"No coding tool found here (looked for {looked}).\n"
        f"Set up which? ({', '.join(TOOLS)}; comma-separated)",
        default="agents",
    )
    return _choose_tools(root, [answer], interactive)


def _pick_project(
    server: Server, wanted: str | None, interactive: bool, output: Output
) -> tuple[Project | None, str | None]:
    """The existing project to use, or the name of one to create."""
    if wanted:
        found = find_project(server.projects, wanted)
        if found is not None:
            return found, None
        return None, wanted.strip()  # created once the files check out (and, asking, you agree)
    if not interactive:
        return None, None
    if server.projects:
        output.info("Projects:")
        for number, item in enumerate(server.projects, start=1):
            output.info(f"  {number}. {item.name}  ({item.id})")
    answer = typer.prompt(
        "Project: a number above, a new project's name, or Enter for none",
        default="",
        show_default=False,
    ).strip()
    if not answer:
        return None, None
    if answer.isdigit() and 1 <= int(answer) <= len(server.projects):
        return server.projects[int(answer) - 1], None
    found = find_project(server.projects, answer)
    return (found, None) if found is not None else (None, answer)


def _run(
    server: Server,
    *,
    root: Path,
    tools: list[str],
    url: str,
    key: str,
    wanted_project: str | None,
    base: content.Settings,
    key_store: KeyStore,
    dry_run: bool,
    interactive: bool,
    output: Output,
) -> None:
    chosen, to_create = _pick_project(server, wanted_project, interactive, output)

    def plan_for(project_id: str | None, project_name: str | None) -> Plan:
        settings = replace(base, project_id=project_id, project_name=project_name)
        return build_plan(
            root, tools, settings, api_key=key, key_store=key_store, config_file=config_path()
        )

    # Plan and check every file before touching the server (a new project) or the disk.
    if to_create:
        plan = plan_for(NEW_PROJECT_ID, to_create)
    else:
        plan = plan_for(chosen.id if chosen else None, chosen.name if chosen else None)
    check_changes(plan.changes)

    if dry_run:
        _report(
            output, plan, url, key, chosen, to_create, written=[], dry_run=True, interactive=False
        )
        return
    if interactive and (plan.pending or to_create):
        _list_changes(output, plan)
        question = f"Write {_count(len(plan.pending))}?"
        if to_create:
            question = f"Create project {to_create!r} and write {_count(len(plan.pending))}?"
        if not typer.confirm(question, default=True):
            raise ConnectError("nothing was written")
    created = False
    if to_create:
        chosen = create_project(server.client, to_create)
        created = True
        plan = plan_for(chosen.id, chosen.name)
        check_changes(plan.changes)
    written = apply_changes(plan.changes)
    _report(
        output,
        plan,
        url,
        key,
        chosen,
        to_create if created else None,
        written=written,
        dry_run=False,
        interactive=interactive,
    )


def _count(n: int) -> str:
    return f"{n} file" + ("" if n == 1 else "s")


def _relative(change: FileChange, root: Path) -> str:
    for base, prefix in ((root, ""), (Path.home(), "~/")):
        try:
            return prefix + str(change.path.relative_to(base))
        except ValueError:
            continue
    return str(change.path)


def _list_changes(output: Output, plan: Plan) -> None:
    for change in plan.changes:
        verb = "create" if change.created else ("update" if change.changed else "unchanged")
        output.info(f"  {verb:9} {_relative(change, plan.root)}")


def _report(
    output: Output,
    plan: Plan,
    url: str,
    key: str,
    project: Project | None,
    created_name: str | None,
    *,
    written: list[FileChange],
    dry_run: bool,
    interactive: bool,
) -> None:
    diff = render_diff(plan.changes, plan.root) if dry_run else ""
    if output.is_json:
        output.json(
            {
                "root": str(plan.root),
                "apiUrl": url,
                "apiKey": mask_secret(key),
                "tools": plan.tools,
                "project": describe(project),
                "projectCreated": created_name is not None and not dry_run,
                "projectToCreate": created_name if dry_run else None,
                "dryRun": dry_run,
                "changed": [_relative(c, plan.root) for c in plan.pending],
                "unchanged": [_relative(c, plan.root) for c in plan.changes if not c.changed],
                "diff": diff if dry_run else None,
                "notes": plan.notes,
            }
        )
        return
    names = ", ".join(TOOLS[t].split(" (")[0] for t in plan.tools)
    if dry_run:
        sys.stdout.flush()
        if not diff:
            output.info("Dry run: everything is already up to date; nothing would change.")
        elif output.is_rich and output.console.is_terminal:
            for line in diff.splitlines():
                style = (
                    "green"
                    if line.startswith("+") and not line.startswith("+++")
                    else "red"
                    if line.startswith("-") and not line.startswith("---")
                    else "cyan"
                    if line.startswith("@@")
                    else "bold"
                    if line.startswith(("---", "+++"))
                    else ""
                )
                output.console.print(Text(line, style=style), soft_wrap=True)
        else:
            sys.stdout.write(diff)
        if created_name:
            output.info(f"Would create project {created_name!r}.")
        output.info(f"Dry run for {names}: nothing was written.")
        return
    output.success(f"Loop at {url} is up and accepts the key {mask_secret(key)}")
    if created_name and project is not None:
        output.success(f"Created project {project.name} ({project.id})")
    elif project is not None:
        output.info(f"Project: {project.name} ({project.id})")
    if written:
        if not interactive:
            _list_changes(output, plan)
        output.success(f"Connected {names}: wrote {_count(len(written))}")
    else:
        output.success(f"Connected {names}: everything was already up to date")
    for note in plan.notes:
        output.info(f"Next: {note}")
