"""``loop-mcp``: Loop's MCP server over stdio, for agents that launch it as a subprocess.

stdout carries the protocol, so nothing else may print there; logs go to stderr.
"""

from __future__ import annotations

import logging
from typing import Annotated

import anyio
import typer
from mcp.server.stdio import stdio_server

from loop_client import __version__
from loop_client.config import resolve_connection
from loop_client.mcp_server.server import build_server
from loop_client.mcp_server.tools import ToolContext
from loop_client.sdk.client import LoopClient

app = typer.Typer(add_completion=False, help="Loop's MCP server over stdio.")


async def serve_stdio(context: ToolContext) -> None:
    server = build_server(lambda: context)
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
    log_level: Annotated[str, typer.Option("--log-level", envvar="LOOP_MCP_LOG_LEVEL")] = "WARNING",
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Serve Loop's tools to an MCP client on stdin/stdout."""
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s %(message)s")
    connection = resolve_connection(api_url=api_url, api_key=token)
    if not connection.api_key:
        logging.getLogger(__name__).warning(
            "No API key: set LOOP_API_KEY, pass --token or run `loop auth login`. "
            "Tools will fail with 401."
        )
    with LoopClient(api_url=connection.api_url, api_key=connection.api_key or "") as client:
        anyio.run(serve_stdio, ToolContext(client=client, agent_name=agent_name))


def main() -> None:
    app()
