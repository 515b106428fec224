"""MCP's streamable HTTP transport in its stateless, JSON-response form, as a plain function.

A host (Loop's Django view at ``/mcp``) passes in the POSTed body and headers and gets back a
status, headers and a JSON body. Each POST carries one JSON-RPC message and is answered on its
own: no session id, no server-to-client stream, so any worker of any process can answer any
request, which is what a WSGI server needs. Message shapes, error codes and protocol versions
come from the official ``mcp`` package; the tools are the same ones ``loop-mcp`` serves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mcp import types
from mcp.shared.version import SUPPORTED_PROTOCOL_VERSIONS
from pydantic import ValidationError

from loop_client import __version__
from loop_client.mcp_server.runtime import SERVER_NAME, call_tool, instructions, tool_definitions
from loop_client.mcp_server.tools import DEFAULT_PROFILE, ToolContext

PROTOCOL_VERSION_HEADER = "mcp-protocol-version"
JSON_CONTENT_TYPE = "application/json"


@dataclass
class HttpAnswer:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _rpc_error(status: int, code: int, message: str, request_id: Any = None) -> HttpAnswer:
    # Built by hand: JSON-RPC answers `"id": null` when the request's id could not be read, which
    # the SDK's JSONRPCError model does not allow.
    error = types.ErrorData(code=code, message=message).model_dump(mode="json", exclude_none=True)
    return HttpAnswer(status, {"jsonrpc": "2.0", "id": request_id, "error": error})


def _accepts_json(accept: str) -> bool:
    # Lenient on purpose: no Accept header, or */*, is fine for a JSON answer.
    if not accept.strip():
        return True
    types_ = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return any(t in (JSON_CONTENT_TYPE, "application/*", "*/*") for t in types_)


def handle_post(
    raw_body: bytes,
    headers: Mapping[str, str],
    context_factory: Callable[[], ToolContext],
    profile: str = DEFAULT_PROFILE,
) -> HttpAnswer:
    """Answer one POST to the MCP endpoint. ``headers`` must have lower-case names; ``profile``
    (a valid name from ``tools.PROFILES``) chooses the tools offered."""
    if not _accepts_json(headers.get("accept", "")):
        return _rpc_error(
            406, types.INVALID_REQUEST, "Not Acceptable: client must accept application/json"
        )
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON_CONTENT_TYPE:
        return _rpc_error(
            415,
            types.INVALID_REQUEST,
            "Unsupported Media Type: Content-Type must be application/json",
        )
    try:
        raw = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        return _rpc_error(400, types.PARSE_ERROR, f"Parse error: {exc}")
    if isinstance(raw, list):
        return _rpc_error(400, types.INVALID_REQUEST, "Batched JSON-RPC messages are not supported")
    try:
        message = types.JSONRPCMessage.model_validate(raw).root
    except ValidationError:
        request_id = raw.get("id") if isinstance(raw, dict) else None
        return _rpc_error(400, types.INVALID_REQUEST, "Invalid JSON-RPC message", request_id)

    # Notifications (e.g. notifications/initialized) and responses need no answer.
    if not isinstance(message, types.JSONRPCRequest):
        return HttpAnswer(202)

    if message.method != "initialize":
        version = headers.get(PROTOCOL_VERSION_HEADER)
        if version is not None and version not in SUPPORTED_PROTOCOL_VERSIONS:
            return _rpc_error(
                400,
                types.INVALID_REQUEST,
                f"Unsupported protocol version: {version}. "
                f"Supported: {', '.join(SUPPORTED_PROTOCOL_VERSIONS)}",
                message.id,
            )

    try:
        request = types.ClientRequest.model_validate(
            {"method": message.method, "params": message.params}
            if message.params is not None
            else {"method": message.method}
        ).root
    except ValidationError as exc:
        known = message.method in _KNOWN_METHODS
        code = types.INVALID_PARAMS if known else types.METHOD_NOT_FOUND
        text = (
            f"Invalid params for {message.method}: {exc.errors()[0]['msg']}"
            if known
            else f"Method not found: {message.method}"
        )
        return _rpc_error(200, code, text, message.id)

    result = _dispatch(request, context_factory, profile)
    if result is None:
        return _rpc_error(
            200, types.METHOD_NOT_FOUND, f"Method not found: {message.method}", message.id
        )
    response = types.JSONRPCResponse(
        jsonrpc="2.0",
        id=message.id,
        result=result.model_dump(by_alias=True, mode="json", exclude_none=True),
    )
    return HttpAnswer(200, response.model_dump(by_alias=True, mode="json", exclude_none=True))


_KNOWN_METHODS = {"initialize", "ping", "tools/list", "tools/call"}


def _dispatch(
    request: Any, context_factory: Callable[[], ToolContext], profile: str
) -> types.Result | None:
    if isinstance(request, types.InitializeRequest):
        requested = request.params.protocolVersion
        return types.InitializeResult(
            protocolVersion=requested
            if requested in SUPPORTED_PROTOCOL_VERSIONS
            else types.LATEST_PROTOCOL_VERSION,
            capabilities=types.ServerCapabilities(tools=types.ToolsCapability(listChanged=False)),
            serverInfo=types.Implementation(name=SERVER_NAME, version=__version__),
            instructions=instructions(profile),
        )
    if isinstance(request, types.PingRequest):
        return types.EmptyResult()
    if isinstance(request, types.ListToolsRequest):
        # Every tool fits on one page; no cursor needed.
        return types.ListToolsResult(tools=tool_definitions(profile))
    if isinstance(request, types.CallToolRequest):
        return call_tool(context_factory(), request.params.name, request.params.arguments, profile)
    return None
