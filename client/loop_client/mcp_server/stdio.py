"""``loop-mcp``: Loop's MCP server over stdio, for agents that launch it as a subprocess.

stdout carries the protocol, so nothing else may print there; logs go to stderr.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Annotated

import anyio
import typer
from mcp.server.stdio import stdio_server

from loop_client import __version__
from loop_client.config import resolve_connection
from loop_client.mcp_server.server import build_server
from loop_client.mcp_server.tools import DEFAULT_PROFILE, PROFILES, ToolContext
from loop_client.sdk.client import API_KEY_ENV, LoopClient

app = typer.Typer(add_completion=False, help="Loop's MCP server over stdio.")


# What an MCP client leaves behind when it could not expand `${LOOP_API_KEY}` (or
# `${env:LOOP_API_KEY}`) because the variable was not set.
UNEXPANDED = re.compile(r"^\$\{[^}]*\}$")


async def serve_stdio(context: ToolContext, profile: str = DEFAULT_PROFILE) -> None:
    server = build_server(lambda: context, profile)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def _version(value: bool) -> None:
    if value:
        typer.echo(f"loop-mcp {__version__}")
        raise typer.Exit()


@app.command()
def serve(
    api_url: Annotated[
        str | None, typer.Option("--api-url", help="Loop server URL (env LOOP_API_URL).")
    ] = None,
    token: Annotated[
        str | None, typer.Option("--token", "--api-key", help="API key (env LOOP_API_KEY).")
    ] = None,
    agent_name: Annotated[
        str, typer.Option("--agent-name", envvar="LOOP_AGENT_NAME", help="Author name on comments.")
    ] = "agent",
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            envvar="LOOP_MCP_PROFILE",
            help="Tools to offer: core (claim, heartbeat, complete, comment, create issue, "
            "review) or all.",
        ),
    ] = DEFAULT_PROFILE,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            envvar="LOOP_PROJECT_ID",
            help="Project id: claim from it and file new issues in it by default.",
        ),
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level", envvar="LOOP_MCP_LOG_LEVEL")] = "WARNING",
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Serve Loop's tools to an MCP client on stdin/stdout."""
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s %(message)s")
    if profile not in PROFILES:
        raise typer.BadParameter(
            f"{profile!r} is not a profile: use {' or '.join(PROFILES)}", param_hint="--profile"
        )
    if UNEXPANDED.match(os.environ.get(API_KEY_ENV, "")):
        # Not a key: fall back to the config file `loop auth login` / `loop connect` wrote.
        logging.getLogger(__name__).info(
            "%s is an unexpanded placeholder; ignoring it", API_KEY_ENV
        )
        del os.environ[API_KEY_ENV]
    connection = resolve_connection(api_url=api_url, api_key=token)
    if not connection.api_key:
        logging.getLogger(__name__).warning(
            "No API key: set LOOP_API_KEY, pass --token or run `loop auth login`. "
            "Tools will fail with 401."
        )
    with LoopClient(api_url=connection.api_url, api_key=connection.api_key or "") as client:
        context = ToolContext(client=client, agent_name=agent_name, default_project_id=project)
        anyio.run(serve_stdio, context, profile)


def main() -> None:
    app()
