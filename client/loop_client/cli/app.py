"""The ``loop`` command: a typer app with one sub-app per command group."""

from __future__ import annotations

from typing import Annotated, Any

import click
import typer
from click.shell_completion import get_completion_class
from typer.core import TyperGroup

from loop_client import __version__
from loop_client.cli.commands import (
    auth,
    comments,
    config_cmd,
    connect_cmd,
    dashboard,
    dispatch,
    goals,
    issues,
    labels,
    projects,
    signals,
    skill_cmd,
    templates,
    triage,
)
from loop_client.cli.state import (
    EXIT_ERROR,
    ApiUrlOpt,
    JsonOpt,
    PlainOpt,
    TokenOpt,
    command,
    current_state,
    report_error,
)
from loop_client.sdk.errors import LoopError

PROG_NAME = "loop"
COMPLETE_VAR = "_LOOP_COMPLETE"
SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


class LoopGroup(TyperGroup):
    """The root group: turns SDK errors into messages and exit codes in one place, and makes
    usage errors exit 1 (click's 2 is reserved here for authentication failures)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            # click declares exit_code on the class; this sets it on this one error.
            setattr(exc, "exit_code", EXIT_ERROR)  # noqa: B010
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            # click declares exit_code on the class; this sets it on this one error.
            setattr(exc, "exit_code", EXIT_ERROR)  # noqa: B010
            raise
        except LoopError as exc:
            raise typer.Exit(report_error(exc, current_state().output)) from exc


app = typer.Typer(
    cls=LoopGroup,
    name=PROG_NAME,
    help="Loop from the terminal: issues, signals, triage, dispatch, prompt templates.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"loop {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    json_output: JsonOpt = False,
    plain: PlainOpt = False,
    api_url: ApiUrlOpt = None,
    token: TokenOpt = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Loop from the terminal. Every command takes --json, --plain, --api-url and --token.

    Exit codes: 0 ok, 1 API or usage error, 2 authentication, 3 not found."""
    current_state().apply(json_output=json_output, plain=plain, api_url=api_url, token=token)


app.add_typer(auth.app, name="auth", help="Log in and out; store the API URL and key.")
app.add_typer(config_cmd.app, name="config", help="Show or change stored settings.")
app.add_typer(issues.app, name="issues", help="List, view, create, update and close issues.")
app.add_typer(comments.app, name="comments", help="Read and add comments on an issue.")
app.add_typer(signals.app, name="signals", help="Raise signals (errors, metric changes, feedback).")
app.add_typer(
    triage.app, name="triage", help="Accept or decline issues waiting in triage (interactive)."
)
app.add_typer(projects.app, name="projects", help="Projects.")
app.add_typer(goals.app, name="goals", help="Goals.")
app.add_typer(labels.app, name="labels", help="Labels.")
app.add_typer(
    templates.app, name="templates", help="Prompt templates, versions, reviews and previews."
)
app.add_typer(dispatch.app, name="dispatch", help="The dispatch queue; claim the next issue.")
app.add_typer(
    dashboard.app, name="dashboard", help="System stats, signal chains and template health."
)
app.command("status", help="Server health and a summary of the system.")(dashboard.status_command)
app.add_typer(skill_cmd.app, name="skill", help="Loop's agent skill: print it or install it.")
command(app, "connect")(connect_cmd.connect)


@app.command("completions")
def completions(
    shell: Annotated[str, typer.Argument(help=f"One of: {', '.join(SHELLS)}.")],
) -> None:
    """Print the shell completion script, e.g. `loop completions bash >> ~/.bashrc`."""
    if shell not in SHELLS:
        raise click.BadParameter(f"choose one of {', '.join(SHELLS)}", param_hint="SHELL")
    # Building the command registers typer's completion scripts (the ones its runtime answers).
    command = typer.main.get_command(app)
    completion_class = get_completion_class(shell)
    if completion_class is None:  # pragma: no cover - typer registers every shell listed
        raise click.BadParameter(f"no completion support for {shell}")
    script = completion_class(command, {}, PROG_NAME, COMPLETE_VAR).source()
    typer.echo(script)


def main() -> None:
    app(prog_name=PROG_NAME)
