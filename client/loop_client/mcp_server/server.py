"""The MCP server object for the stdio transport (and the SDK's in-memory test sessions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
from mcp import types
from mcp.server.lowlevel import Server

from loop_client import __version__
from loop_client.mcp_server.runtime import SERVER_NAME, call_tool, instructions, tool_definitions
from loop_client.mcp_server.tools import DEFAULT_PROFILE, ToolContext, profile_tools


def build_server(
    context_factory: Callable[[], ToolContext], profile: str = DEFAULT_PROFILE
) -> Server[Any, Any]:
    profile_tools(profile)  # an unknown profile fails here, not on the first call
    server: Server[Any, Any] = Server(
        SERVER_NAME, version=__version__, instructions=instructions(profile)
    )

    @server.list_tools()  # type: ignore[no-untyped-call, untyped-decorator]
    async def list_tools() -> list[types.Tool]:
        return tool_definitions(profile)

    # Arguments are validated by the tool's own model (same messages on every transport).
    @server.call_tool(validate_input=False)  # type: ignore[untyped-decorator]
    async def handle_call(name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        # The SDK is synchronous; run it off the event loop so the session stays responsive.
        return await anyio.to_thread.run_sync(
            call_tool, context_factory(), name, arguments, profile
        )

    return server
