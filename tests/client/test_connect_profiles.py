"""MCP tool profiles: `core` offers exactly the six tools an agent working the queue needs, over
every transport (in-memory, stateless HTTP handler, hosted /mcp, `loop-mcp` over stdio), and
refuses the others; `?project=` / `--project` scope the work."""

from __future__ import annotations

import json
import os
from typing import Any

import anyio
import httpx
import pytest
from loop_client.config import write_config
from loop_client.mcp_server import ToolContext
from loop_client.mcp_server.runtime import call_tool, instructions, tool_definitions
from loop_client.mcp_server.server import build_server
from loop_client.mcp_server.stateless import handle_post
from loop_client.mcp_server.tools import CORE_TOOLS, PROFILES, TOOLS, profile_tools
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.memory import create_connected_server_and_client_session

from tests.client.fakes import FakeApi
from tests.client.test_mcp_tools import EXPECTED_TOOLS
from tests.client.test_packaging import _console_script

CORE = {
    "get_next_task",
    "heartbeat_task",
    "complete_task",
    "create_comment",
    "create_issue",
    "submit_prompt_review",
}
HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


def test_core_is_exactly_six_tools_and_all_is_everything():
    assert set(CORE_TOOLS) == CORE and len(CORE_TOOLS) == 6
    assert set(PROFILES) == {"core", "all"}
    assert set(profile_tools("all")) == set(TOOLS) == EXPECTED_TOOLS
    assert [t.name for t in tool_definitions("core")] == list(CORE_TOOLS)
    with pytest.raises(ValueError, match="use core or all"):
        profile_tools("tiny")


def test_core_costs_well_under_half_the_context_of_all():
    def size(profile: str) -> int:
        return len(json.dumps([t.model_dump(mode="json") for t in tool_definitions(profile)]))

    assert size("core") < 0.6 * size("all")


def test_every_description_is_short_and_names_only_offered_tools():
    for profile in PROFILES:
        offered = set(profile_tools(profile))
        for tool in tool_definitions(profile):
            assert 40 < len(tool.description or "") <= 200, tool.name
        # Neither the instructions nor a core tool's description sends the agent to a tool the
        # profile does not offer.
        texts = [instructions(profile)] + [t.description or "" for t in tool_definitions(profile)]
        for name in set(TOOLS) - offered:
            assert not any(name in text for text in texts), (profile, name)


def test_in_memory_server_lists_core_and_refuses_other_tools():
    api = FakeApi()
    server = build_server(lambda: ToolContext(client=api.client()), "core")

    async def main() -> tuple[set[str], Any, str | None]:
        async with create_connected_server_and_client_session(server) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            refused = await session.call_tool("list_issues", {})
            return {t.name for t in tools.tools}, refused, init.instructions

    names, refused, init_text = anyio.run(main)
    assert names == CORE
    assert refused.isError and "Unknown tool 'list_issues'" in refused.content[0].text
    assert "release_task" not in (init_text or "")
    assert api.requests == []  # the refused call never reached the API
    with pytest.raises(ValueError):
        build_server(lambda: ToolContext(client=api.client()), "tiny")


def test_call_tool_refuses_a_tool_outside_the_profile():
    result = call_tool(ToolContext(client=FakeApi().client()), "get_dashboard", {}, "core")
    assert result.isError and "Available tools: get_next_task," in result.content[0].text


def test_stateless_handler_honours_the_profile():
    def post(message: dict[str, Any], profile: str) -> dict[str, Any]:
        answer = handle_post(
            json.dumps(message).encode(),
            HEADERS,
            lambda: ToolContext(client=FakeApi().client()),
            profile,
        )
        assert answer.status == 200
        return answer.body

    listed = post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, "core")
    assert {t["name"] for t in listed["result"]["tools"]} == CORE
    everything = post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, "all")
    assert {t["name"] for t in everything["result"]["tools"]} == EXPECTED_TOOLS
    refused = post(
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "release_task", "arguments": {}},
        },
        "core",
    )
    assert refused["result"]["isError"] is True


def _rpc(url: str, key: str, method: str, params: dict[str, Any] | None = None) -> httpx.Response:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        message["params"] = params
    return httpx.post(
        url,
        json=message,
        headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
        timeout=30,
    )


@pytest.mark.django_db(transaction=True)
def test_hosted_mcp_profile_and_project_query_parameters(live_loop):
    base = f"{live_loop.url}/mcp"
    core = _rpc(f"{base}?profile=core", live_loop.key, "tools/list")
    assert {t["name"] for t in core.json()["result"]["tools"]} == CORE
    default = _rpc(base, live_loop.key, "tools/list")
    assert {t["name"] for t in default.json()["result"]["tools"]} == EXPECTED_TOOLS

    bad = _rpc(f"{base}?profile=tiny", live_loop.key, "tools/list")
    assert bad.status_code == 400
    assert bad.json()["details"]["fieldErrors"] == {"profile": ["Must be one of: core, all."]}
    # Authentication still comes first.
    assert _rpc(f"{base}?profile=tiny", "loop_nope_nope", "tools/list").status_code == 401

    with live_loop.client() as loop:
        mine = loop.projects.create(name="Checkout")
        other = loop.projects.create(name="Search")
        loop.issues.create(title="Elsewhere", type="task", status="todo", project_id=other.id)
        wanted = loop.issues.create(title="Mine", type="task", status="todo", project_id=mine.id)

    scoped = f"{base}?profile=core&project={mine.id}"
    claim = _rpc(scoped, live_loop.key, "tools/call", {"name": "get_next_task", "arguments": {}})
    assert claim.json()["result"]["structuredContent"]["issue"]["id"] == wanted.id
    created = _rpc(
        scoped,
        live_loop.key,
        "tools/call",
        {"name": "create_issue", "arguments": {"title": "Found while working"}},
    )
    assert created.json()["result"]["structuredContent"]["projectId"] == mine.id
    assert _rpc(f"{base}?project={'x' * 65}", live_loop.key, "ping").status_code == 400


@pytest.mark.django_db(transaction=True)
def test_loop_mcp_core_profile_over_stdio_with_key_from_the_config_file(
    live_loop, isolated_client_env
):
    # What `loop connect` sets up: the key in the user's config file, the MCP config passing an
    # env reference the tool could not expand (the variable was not set).
    write_config({"url": live_loop.url, "token": live_loop.key}, isolated_client_env)
    env = {
        **os.environ,
        "LOOP_CONFIG_FILE": str(isolated_client_env),
        "LOOP_API_URL": live_loop.url,
        "LOOP_API_KEY": "${env:LOOP_API_KEY}",
    }
    params = StdioServerParameters(
        command=_console_script("loop-mcp"), args=["--profile", "core"], env=env
    )

    async def main() -> tuple[set[str], Any]:
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = await session.list_tools()
                created = await session.call_tool("create_issue", {"title": "Over stdio"})
                return {t.name for t in tools.tools}, created

    names, created = anyio.run(main)
    assert names == CORE
    assert not created.isError, created.content
    assert created.structuredContent["title"] == "Over stdio"


def test_loop_mcp_rejects_an_unknown_profile():
    import subprocess

    result = subprocess.run(
        [_console_script("loop-mcp"), "--profile", "tiny"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode != 0
    assert "use core or all" in result.stderr
