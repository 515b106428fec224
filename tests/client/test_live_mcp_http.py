"""The hosted MCP endpoint (/mcp): the official MCP client over streamable HTTP against a live
Loop, calling every tool; plus the HTTP edges (auth, methods, notifications)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest
from mcp import ClientSession, types
from mcp.client.streamable_http import streamable_http_client

from tests.client.test_mcp_tools import EXPECTED_TOOLS

pytestmark = pytest.mark.django_db(transaction=True)


def with_session(url: str, key: str, body: Callable[[ClientSession], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with httpx.AsyncClient(
            headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as http:
            async with streamable_http_client(f"{url}/mcp", http_client=http) as (read, write, _):
                async with ClientSession(read, write) as session:
                    init = await session.initialize()
                    assert init.serverInfo.name == "loop"
                    return await body(session)

    return anyio.run(main)


def data(result: types.CallToolResult) -> dict[str, Any]:
    text = result.content[0].text if result.content else ""
    assert not result.isError, text
    return result.structuredContent


def test_every_tool_over_http_against_a_live_server(live_loop):
    async def scenario(session: ClientSession) -> dict[str, Any]:
        tools = await session.list_tools()
        assert {t.name for t in tools.tools} == EXPECTED_TOOLS
        seen: dict[str, Any] = {}
        call = session.call_tool

        signal = data(
            await call(
                "ingest_signal",
                {
                    "source": "agent",
                    "type": "error",
                    "severity": "critical",
                    "payload": {"message": "checkout 500s"},
                },
            )
        )
        seen["signal"] = signal
        claim = data(await call("get_next_task", {}))
        assert claim["issue"]["id"] == signal["issue"]["id"]
        assert claim["prompt"] and claim["meta"]["templateSlug"] == "signal-triage"
        token = claim["claimToken"]
        assert (
            data(
                await call("heartbeat_task", {"issueId": claim["issue"]["id"], "claimToken": token})
            )["issueId"]
            == claim["issue"]["id"]
        )

        hypothesis = data(
            await call(
                "create_issue",
                {
                    "title": "Hypothesis: bad deploy",
                    "type": "hypothesis",
                    "status": "todo",
                    "parentId": claim["issue"]["id"],
                },
            )
        )
        task = data(
            await call(
                "create_issue",
                {"title": "Roll back", "status": "todo", "blockedBy": [hypothesis["id"]]},
            )
        )
        assert task["relations"][0]["relatedIssueId"] == hypothesis["id"]
        comment = data(
            await call(
                "create_comment",
                {"issueId": claim["issue"]["id"], "body": "Triaged: one hypothesis"},
            )
        )
        assert comment["authorName"] == "client-tests" and comment["authorType"] == "agent"
        detail = data(await call("get_issue", {"issueId": claim["issue"]["id"]}))
        assert [c["id"] for c in detail["children"]] == [hypothesis["id"]]
        assert detail["comments"][0]["body"] == "Triaged: one hypothesis"
        assert (
            data(await call("update_issue", {"issueId": task["id"], "priority": 1}))["priority"]
            == 1
        )
        listed = data(await call("list_issues", {"type": "hypothesis"}))
        assert [i["id"] for i in listed["issues"]] == [hypothesis["id"]] and listed[
            "hasMore"
        ] is False
        review = data(
            await call(
                "submit_prompt_review",
                {
                    "issueId": claim["issue"]["id"],
                    "versionId": claim["meta"]["versionId"],
                    "clarity": 5,
                    "completeness": 4,
                    "relevance": 5,
                },
            )
        )
        assert review["versionId"] == claim["meta"]["versionId"]
        done = data(
            await call(
                "complete_task",
                {
                    "issueId": claim["issue"]["id"],
                    "claimToken": token,
                    "summary": "Real: bad deploy suspected",
                },
            )
        )
        assert done["issue"]["status"] == "done"

        # The hypothesis is next: hand it back, claim it again, finish it, see the task unblocked.
        second = data(await call("get_next_task", {}))
        assert second["issue"]["id"] == hypothesis["id"]
        released = data(
            await call(
                "release_task",
                {"issueId": hypothesis["id"], "claimToken": second["claimToken"], "reason": "test"},
            )
        )
        assert released["issue"]["status"] == "todo"
        stale = await call(
            "complete_task",
            {"issueId": hypothesis["id"], "claimToken": second["claimToken"], "summary": "late"},
        )
        assert stale.isError and "no longer valid" in stale.content[0].text
        third = data(await call("get_next_task", {}))
        finished = data(
            await call(
                "complete_task",
                {
                    "issueId": hypothesis["id"],
                    "claimToken": third["claimToken"],
                    "summary": "Confirmed",
                },
            )
        )
        assert [i["id"] for i in finished["unblockedIssues"]] == [task["id"]]

        stats = data(await call("get_dashboard", {}))
        assert stats["issues"]["total"] == 3
        missing = await call("get_issue", {"issueId": "does-not-exist"})
        assert missing.isError and missing.content[0].text.startswith("Not found")
        return seen

    with_session(live_loop.url, live_loop.key, scenario)


def test_tool_calls_run_with_the_callers_key_and_scopes(live_loop):
    reader = live_loop.new_key(scopes=["read"], name="reader")

    async def scenario(session: ClientSession) -> None:
        assert not (await session.call_tool("list_issues", {})).isError
        denied = await session.call_tool("create_issue", {"title": "x"})
        assert denied.isError and "scope" in denied.content[0].text

    with_session(live_loop.url, reader, scenario)


HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def test_mcp_requires_a_valid_key(live_loop):
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    missing = httpx.post(f"{live_loop.url}/mcp", json=ping, headers=HEADERS)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="loop"'
    assert missing.json()["error"] == "Unauthorized"
    wrong = httpx.post(
        f"{live_loop.url}/mcp",
        json=ping,
        headers={**HEADERS, "Authorization": "Bearer loop_nope_nope"},
    )
    assert wrong.status_code == 401
    ok = httpx.post(
        f"{live_loop.url}/mcp",
        json=ping,
        headers={**HEADERS, "Authorization": f"Bearer {live_loop.key}"},
    )
    assert ok.status_code == 200 and ok.json() == {"jsonrpc": "2.0", "id": 1, "result": {}}


def test_mcp_http_edges(live_loop):
    auth = {**HEADERS, "Authorization": f"Bearer {live_loop.key}"}
    assert httpx.get(f"{live_loop.url}/mcp", headers=auth).status_code == 405
    assert httpx.delete(f"{live_loop.url}/mcp", headers=auth).status_code == 405
    note = httpx.post(
        f"{live_loop.url}/mcp",
        json={"jsonrpc": "2.0", "method": "notifications/initialized"},
        headers=auth,
    )
    assert note.status_code == 202 and note.content == b""
    slash = httpx.post(
        f"{live_loop.url}/mcp/",
        json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        headers=auth,
    )
    assert slash.status_code == 200 and len(slash.json()["result"]["tools"]) == len(EXPECTED_TOOLS)
    garbage = httpx.post(f"{live_loop.url}/mcp", content=b"{oops", headers=auth)
    assert garbage.status_code == 400 and garbage.json()["error"]["code"] == types.PARSE_ERROR
    assert json.loads(slash.content)["jsonrpc"] == "2.0"
