"""Loop's MCP server: tools defined once (:mod:`.tools`), served over stdio by ``loop-mcp``
(:mod:`.stdio`) and over stateless streamable HTTP by Loop itself at ``/mcp``
(:mod:`.stateless`)."""

from loop_client.mcp_server.runtime import call_tool, tool_definitions
from loop_client.mcp_server.tools import TOOLS, ToolContext

__all__ = ["TOOLS", "ToolContext", "call_tool", "tool_definitions"]
