"""MCP tools through the SDK's in-memory client session, against a scripted API."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from loop_client.mcp_server import TOOLS, ToolContext
from loop_client.mcp_server.server import build_server
from mcp import ClientSession, types
from mcp.shared.memory import create_connected_server_and_client_session

from tests.client.fakes import FakeApi, claim, error, issue, reply

EXPECTED_TOOLS = {
    "get_next_task",
    "complete_task",
    "create_issue",
    "update_issue",
    "list_issues",
    "get_issue",
    "ingest_signal",
    "create_comment",
    "get_dashboard",
    "heartbeat_task",
    "release_task",
    "submit_prompt_review",
}


def in_session(
    api: FakeApi, body: Callable[[ClientSession], Awaitable[Any]], agent_name: str = "agent-7"
) -> Any:
    server = build_server(lambda: ToolContext(client=api.client(), agent_name=agent_name))

    async def main() -> Any:
        async with create_connected_server_and_client_session(server) as session:
            return await body(session)

    return anyio.run(main)


def call(
    api: FakeApi, name: str, arguments: dict[str, Any] | None = None, **kw: Any
) -> types.CallToolResult:
    return in_session(api, lambda session: session.call_tool(name, arguments or {}), **kw)


def text(result: types.CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, types.TextContent))


def test_every_tool_is_listed_with_description_schema_and_annotations():
    tools = in_session(FakeApi(), lambda s: s.list_tools()).tools
    assert {t.name for t in tools} == EXPECTED_TOOLS == set(TOOLS)
    by_name = {t.name: t for t in tools}
    for tool in tools:
        assert tool.description and len(tool.description) > 40
        assert tool.inputSchema["type"] == "object"
        assert tool.inputSchema["additionalProperties"] is False
    assert by_name["complete_task"].inputSchema["required"] == ["issueId", "summary"]
    assert by_name["list_issues"].annotations.readOnlyHint is True
    assert by_name["create_issue"].annotations.readOnlyHint is False
    # Optional fields read as their plain type, not "string or null".
    assert by_name["get_next_task"].inputSchema["properties"]["projectId"]["type"] == "string"


def test_server_announces_name_and_instructions():
    server = build_server(lambda: ToolContext(client=FakeApi().client()))

    async def main() -> types.InitializeResult:
        async with create_connected_server_and_client_session(server) as session:
            return await session.initialize()

    init = anyio.run(main)
    assert init.serverInfo.name == "loop"
    assert "get_next_task" in (init.instructions or "")


def test_get_next_task_returns_claim_prompt_and_instructions():
    api = FakeApi().on("GET", "/api/dispatch/next", reply(200, claim()))
    result = call(api, "get_next_task", {"projectId": "prj_1"})
    assert not result.isError
    data = result.structuredContent
    assert data["issue"]["id"] == "iss_1" and data["claimToken"] == "tok_1"
    assert data["meta"]["versionId"] == "ver_1"
    assert (
        "complete_task" in data["instructions"] and "submit_prompt_review" in data["instructions"]
    )
    assert json.loads(result.content[0].text)["claimToken"] == "tok_1"
    assert result.content[1].text == "Triage signal #1"
    assert api.last().url.params["projectId"] == "prj_1"


def test_get_next_task_on_empty_queue_is_not_an_error():
    api = FakeApi().on("GET", "/api/dispatch/next", reply(204))
    result = call(api, "get_next_task")
    assert not result.isError
    assert result.structuredContent == {
        "issue": None,
        "message": "No tasks available. The dispatch queue is empty.",
    }


def test_complete_task_patches_with_token_and_reports_unblocked_issues():
    done = issue(id="a", status="done", agentSummary="Fixed")
    blocks_b = {
        "id": "r1",
        "type": "blocked_by",
        "issueId": "b",
        "relatedIssueId": "a",
        "createdAt": "2026-02-20T12:00:00Z",
    }
    blocks_c = {
        "id": "r2",
        "type": "blocks",
        "issueId": "a",
        "relatedIssueId": "c",
        "createdAt": "2026-02-20T12:00:00Z",
    }
    other = {
        "id": "r3",
        "type": "blocked_by",
        "issueId": "c",
        "relatedIssueId": "x",
        "createdAt": "2026-02-20T12:00:00Z",
    }
    api = (
        FakeApi()
        .on("PATCH", "/api/issues/a", reply(200, {"data": done}))
        .on(
            "GET",
            "/api/issues/a",
            reply(200, {"data": {**done, "relations": [blocks_b, blocks_c]}}),
        )
        .on(
            "GET",
            "/api/issues/b",
            reply(200, {"data": {**issue(id="b", number=2), "relations": [blocks_b]}}),
        )
        .on(
            "GET",
            "/api/issues/c",
            reply(200, {"data": {**issue(id="c", number=3), "relations": [blocks_c, other]}}),
        )
        .on("GET", "/api/issues/x", reply(200, {"data": issue(id="x", status="in_progress")}))
    )
    result = call(
        api,
        "complete_task",
        {
            "issueId": "a",
            "summary": "Fixed",
            "claimToken": "tok",
            "commits": [{"sha": "abc", "message": "fix"}],
        },
    )
    assert not result.isError, text(result)
    patch = next(r for r in api.requests if r.method == "PATCH")
    assert json.loads(patch.content) == {
        "status": "done",
        "agentSummary": "Fixed",
        "claimToken": "tok",
        "commits": [{"sha": "abc", "message": "fix"}],
    }
    assert result.structuredContent["issue"]["status"] == "done"
    # b waited only for a; c still waits for x.
    assert [i["id"] for i in result.structuredContent["unblockedIssues"]] == ["b"]


def test_complete_task_with_lost_claim_says_to_stop():
    api = FakeApi().on("PATCH", "/api/issues/a", error(409, "Claim lost"))
    result = call(api, "complete_task", {"issueId": "a", "summary": "Fixed", "claimToken": "old"})
    assert result.isError
    assert "no longer valid" in text(result) and "get_next_task" in text(result)


def test_heartbeat_and_release():
    api = (
        FakeApi()
        .on(
            "POST",
            "/api/dispatch/a/heartbeat",
            reply(200, {"data": {"issueId": "a", "leaseExpiresAt": "2026-02-20T13:00:00Z"}}),
        )
        .on("POST", "/api/dispatch/a/release", reply(200, {"data": issue(id="a", status="todo")}))
    )
    beat = call(api, "heartbeat_task", {"issueId": "a", "claimToken": "tok"})
    assert beat.structuredContent == {"issueId": "a", "leaseExpiresAt": "2026-02-20T13:00:00Z"}
    released = call(
        api, "release_task", {"issueId": "a", "claimToken": "tok", "reason": "no access"}
    )
    assert released.structuredContent["issue"]["status"] == "todo"
    assert api.last_json() == {"claimToken": "tok", "reason": "no access"}


def test_heartbeat_conflict_is_reported_as_lost_claim():
    api = FakeApi().on("POST", "/api/dispatch/a/heartbeat", error(409, "Claim lost"))
    result = call(api, "heartbeat_task", {"issueId": "a", "claimToken": "old"})
    assert result.isError and "no longer valid" in text(result)


def test_create_issue_with_blockers_creates_relations():
    relation = {
        "id": "r1",
        "type": "blocked_by",
        "issueId": "new",
        "relatedIssueId": "a",
        "createdAt": "2026-02-20T12:00:00Z",
    }
    api = (
        FakeApi()
        .on(
            "POST",
            "/api/issues",
            reply(201, {"data": issue(id="new", title="Step 2", status="todo")}),
        )
        .on("POST", "/api/issues/new/relations", reply(201, {"data": relation}))
    )
    result = call(
        api,
        "create_issue",
        {"title": "Step 2", "status": "todo", "parentId": "p", "blockedBy": ["a"]},
    )
    assert not result.isError, text(result)
    create = next(r for r in api.requests if r.url.path == "/api/issues")
    assert json.loads(create.content) == {
        "title": "Step 2",
        "type": "task",
        "status": "todo",
        "parentId": "p",
    }
    assert api.last_json() == {"type": "blocked_by", "relatedIssueId": "a"}
    assert result.structuredContent["relations"][0]["relatedIssueId"] == "a"


def test_update_issue_sends_only_given_fields():
    api = FakeApi().on("PATCH", "/api/issues/a", reply(200, {"data": issue(id="a", priority=1)}))
    result = call(api, "update_issue", {"issueId": "a", "priority": 1})
    assert api.last_json() == {"priority": 1}
    assert result.structuredContent["priority"] == 1


def test_list_issues_summarises_and_pages():
    api = FakeApi().on("GET", "/api/issues", reply(200, {"data": [issue()], "total": 30}))
    result = call(api, "list_issues", {"status": "todo", "limit": 1})
    assert result.structuredContent["total"] == 30 and result.structuredContent["hasMore"] is True
    assert set(result.structuredContent["issues"][0]) == {
        "id",
        "number",
        "title",
        "type",
        "status",
        "priority",
        "parentId",
        "projectId",
    }
    assert api.last().url.params["status"] == "todo"


def test_get_issue_includes_comments():
    api = (
        FakeApi()
        .on("GET", "/api/issues/a", reply(200, {"data": {**issue(id="a"), "relations": []}}))
        .on("GET", "/api/issues/a/comments", reply(200, {"data": []}))
    )
    result = call(api, "get_issue", {"issueId": "a"})
    assert result.structuredContent["id"] == "a" and result.structuredContent["comments"] == []


def test_get_issue_not_found_is_an_actionable_tool_error():
    api = FakeApi().on("GET", "/api/issues/nope", error(404, "Issue not found"))
    result = call(api, "get_issue", {"issueId": "nope"})
    assert result.isError
    assert (
        text(result)
        == "Not found: Issue not found. Check the id; list_issues shows valid issue ids."
    )


def test_create_comment_defaults_author_to_agent_name():
    comment = {
        "id": "c1",
        "body": "Found it",
        "issueId": "a",
        "authorName": "agent-7",
        "authorType": "agent",
        "parentId": None,
        "createdAt": "2026-02-20T12:00:00Z",
    }
    api = FakeApi().on("POST", "/api/issues/a/comments", reply(201, {"data": comment}))
    call(api, "create_comment", {"issueId": "a", "body": "Found it"})
    assert api.last_json() == {"body": "Found it", "authorName": "agent-7", "authorType": "agent"}


def test_ingest_signal_defaults_to_medium():
    signal = {
        "id": "s1",
        "source": "agent",
        "sourceId": None,
        "type": "error",
        "severity": "medium",
        "payload": {"message": "boom"},
        "issueId": "a",
        "createdAt": "2026-02-20T12:00:00Z",
    }
    api = FakeApi().on(
        "POST",
        "/api/signals",
        reply(201, {"data": {"signal": signal, "issue": issue(id="a", type="signal")}}),
    )
    result = call(
        api, "ingest_signal", {"source": "agent", "type": "error", "payload": {"message": "boom"}}
    )
    assert api.last_json() == {
        "source": "agent",
        "type": "error",
        "severity": "medium",
        "payload": {"message": "boom"},
    }
    assert result.structuredContent["issue"]["type"] == "signal"


def test_submit_prompt_review():
    review = {
        "id": "r1",
        "versionId": "v1",
        "issueId": "a",
        "clarity": 5,
        "completeness": 4,
        "relevance": 4,
        "feedback": "good",
        "authorType": "agent",
        "createdAt": "2026-02-20T12:00:00Z",
    }
    api = FakeApi().on("POST", "/api/prompt-reviews", reply(201, {"data": review}))
    result = call(
        api,
        "submit_prompt_review",
        {
            "issueId": "a",
            "versionId": "v1",
            "clarity": 5,
            "completeness": 4,
            "relevance": 4,
            "feedback": "good",
        },
    )
    assert api.last_json()["authorType"] == "agent"
    assert result.structuredContent["id"] == "r1"


def test_get_dashboard():
    stats = {
        "issues": {"total": 1, "byStatus": {"todo": 1}, "byType": {"task": 1}},
        "goals": {"total": 0, "active": 0, "achieved": 0},
        "dispatch": {"queueDepth": 1, "activeCount": 0, "completedLast24h": 0},
    }
    api = FakeApi().on("GET", "/api/dashboard/stats", reply(200, {"data": stats}))
    assert call(api, "get_dashboard").structuredContent["dispatch"]["queueDepth"] == 1


def test_invalid_arguments_name_the_field():
    result = call(
        FakeApi(),
        "submit_prompt_review",
        {"issueId": "a", "versionId": "v", "clarity": 9, "completeness": 4, "relevance": 4},
    )
    assert (
        result.isError and "clarity" in text(result) and "less than or equal to 5" in text(result)
    )


def test_unknown_argument_is_refused_not_ignored():
    result = call(FakeApi(), "get_issue", {"issue_id": "a"})
    assert result.isError and "issue_id" in text(result)


def test_auth_failure_points_at_the_key():
    api = FakeApi().on("GET", "/api/dashboard/stats", error(401, "Unauthorized"))
    result = call(api, "get_dashboard")
    assert result.isError and "LOOP_API_KEY" in text(result)


def test_missing_scope_is_explained():
    api = FakeApi().on("POST", "/api/signals", error(403, "This API key lacks the scope"))
    result = call(api, "ingest_signal", {"source": "a", "type": "b"})
    assert result.isError and "scope" in text(result)


def test_busy_server_says_when_to_retry():
    api = FakeApi().on("POST", "/api/issues", error(503, "Database unavailable", Retry_After="5"))
    result = call(api, "create_issue", {"title": "x"})
    assert result.isError and "after 5 seconds" in text(result)


def test_unreachable_server_points_at_the_url():
    import httpx

    api = FakeApi().on("GET", "/api/dashboard/stats", httpx.ConnectError("refused"))
    result = in_session(api, lambda s: s.call_tool("get_dashboard", {}))
    assert result.isError and "LOOP_API_URL" in text(result)


def test_unknown_tool_is_a_tool_error():
    result = call(FakeApi(), "no_such_tool")
    assert result.isError and "Unknown tool" in text(result)
