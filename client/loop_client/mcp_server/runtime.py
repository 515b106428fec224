"""Turns the tool table into MCP: tool definitions for ``tools/list`` and a synchronous
``call_tool`` for ``tools/call``, shared by the stdio server and the hosted HTTP endpoint.

Failures never escape as protocol errors: a bad argument, a 404 or a lost claim comes back as a
tool result with ``isError`` and a sentence saying what to do next, which a model can act on.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

from mcp import types
from pydantic import ValidationError

from loop_client.mcp_server.tools import (
    DEFAULT_PROFILE,
    TOOLS,
    ToolContext,
    ToolSpec,
    profile_tools,
)
from loop_client.sdk.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ClaimLostError,
    ConflictError,
    LoopConnectionError,
    LoopError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    UnprocessableError,
)

logger = logging.getLogger(__name__)

SERVER_NAME = "loop"
INSTRUCTIONS = (
    "Loop is a work queue for agents. Loop: call get_next_task to claim the most important "
    "unblocked issue and read its prompt; do the work, calling heartbeat_task on long work; finish "
    "with complete_task (or release_task if you cannot); rate the prompt with "
    "submit_prompt_review. Repeat until get_next_task says the queue is empty. Use create_issue "
    "and ingest_signal to record new work you discover."
)
CORE_INSTRUCTIONS = (
    "Loop is a work queue for agents. Loop: call get_next_task to claim the most important "
    "unblocked issue and read its prompt; do the work, calling heartbeat_task on long work; finish "
    "with complete_task (status canceled, with the reason, if it should not be done); rate the "
    "prompt with submit_prompt_review. Repeat until get_next_task says the queue is empty. Use "
    "create_issue for new work and create_comment for notes."
)


def instructions(profile: str = DEFAULT_PROFILE) -> str:
    """The server's instructions, naming only tools the profile offers."""
    return CORE_INSTRUCTIONS if profile == "core" else INSTRUCTIONS


def _tidy_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Simplify pydantic's schema for models: an optional field reads as its plain type
    (``{"type": "string"}`` rather than ``anyOf: [string, null]``) since leaving it out is how
    a caller says "not given"; and the titles pydantic derives from names ("Issueid") go, since
    the agent pays for every byte of every schema on every turn."""
    schema = copy.deepcopy(schema)
    schema.pop("title", None)
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        prop.pop("title", None)
        options = prop.get("anyOf")
        if name in required or not isinstance(options, list):
            continue
        non_null = [option for option in options if option != {"type": "null"}]
        if len(non_null) == 1 and len(non_null) < len(options):
            del prop["anyOf"]
            prop.update(non_null[0])
            if prop.get("default", "") is None:
                del prop["default"]
    if "$defs" in schema:
        schema["$defs"] = {key: _tidy_schema(value) for key, value in schema["$defs"].items()}
    return schema


def tool_definition(spec: ToolSpec[Any]) -> types.Tool:
    return types.Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        inputSchema=_tidy_schema(spec.input_model.model_json_schema()),
        annotations=types.ToolAnnotations(
            title=spec.title,
            readOnlyHint=spec.read_only,
            idempotentHint=spec.idempotent,
            destructiveHint=spec.destructive,
            # Loop's tools act only on Loop.
            openWorldHint=False,
        ),
    )


def tool_definitions(profile: str = DEFAULT_PROFILE) -> list[types.Tool]:
    return [tool_definition(TOOLS[name]) for name in profile_tools(profile)]


def error_result(message: str) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=message)], isError=True
    )


def call_tool(
    ctx: ToolContext,
    name: str,
    arguments: dict[str, Any] | None,
    profile: str = DEFAULT_PROFILE,
) -> types.CallToolResult:
    """Validate the arguments, run the tool, and wrap its output (or failure) for MCP. Only the
    profile's tools run: a client may not call what it was never offered."""
    offered = profile_tools(profile)
    spec = TOOLS.get(name) if name in offered else None
    if spec is None:
        return error_result(f"Unknown tool {name!r}. Available tools: {', '.join(offered)}.")
    try:
        args = spec.input_model.model_validate(arguments or {})
    except ValidationError as exc:
        return error_result(f"Invalid arguments for {name}: {_describe_validation(exc)}")
    try:
        output = spec.handler(ctx, args)
    except LoopError as exc:
        return error_result(describe_error(exc, spec))
    except Exception:  # a bug must not take the server down; the model gets a plain message
        logger.exception("tool %s failed", name)
        return error_result(f"{name} failed with an internal error in the Loop MCP server.")
    content: list[types.ContentBlock] = [
        types.TextContent(type="text", text=json.dumps(output.data, indent=2, default=str))
    ]
    if output.text:
        content.append(types.TextContent(type="text", text=output.text))
    return types.CallToolResult(content=content, structuredContent=output.data)


def _describe_validation(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)


def describe_error(exc: LoopError, spec: ToolSpec[Any]) -> str:
    """One actionable sentence per failure kind."""
    if isinstance(exc, LoopConnectionError):
        return f"{exc} Check LOOP_API_URL and that the Loop server is running."
    if not isinstance(exc, APIError):
        return f"{spec.name} failed: {exc}"
    detail = exc.message
    if exc.field_errors:
        fields = "; ".join(
            f"{field}: {', '.join(msgs)}" for field, msgs in exc.field_errors.items()
        )
        if fields not in detail:
            detail = f"{detail} ({fields})"
    if isinstance(exc, AuthenticationError):
        return (
            "Authentication failed: Loop rejected the API key. "
            "Check LOOP_API_KEY (keys look like loop_<prefix>_<secret>)."
        )
    if isinstance(exc, PermissionDeniedError):
        return (
            f"Permission denied: this API key lacks the scope {spec.name} needs "
            "(read, write or dispatch). Ask a Loop admin for a key with that scope."
        )
    if isinstance(exc, NotFoundError):
        return f"Not found: {detail}. Check the id; list_issues shows valid issue ids."
    if isinstance(exc, ClaimLostError) or (isinstance(exc, ConflictError) and spec.claim_scoped):
        return (
            f"Your claim on this issue is no longer valid ({detail}): the lease expired, or it was "
            "released or completed elsewhere. Stop working on it and call get_next_task "
            "for new work."
        )
    if isinstance(exc, ConflictError):
        return (
            f"Conflict: {detail}. It already exists or changed meanwhile; "
            "fetch it and retry if needed."
        )
    if isinstance(exc, (BadRequestError, UnprocessableError)):
        return f"Loop refused the request: {detail}. Fix the arguments and try again."
    if isinstance(exc, (RateLimitError, ServiceUnavailableError)):
        wait = (
            f" after {exc.retry_after:.0f} seconds" if exc.retry_after is not None else " shortly"
        )
        return f"Loop is busy ({detail}). Try again{wait}."
    if isinstance(exc, ServerError):
        return f"Loop had an internal error ({exc.status_code}: {detail}). Try again later."
    return f"{spec.name} failed: {exc}"
