"""The stateless streamable-HTTP handler behind /mcp, as a plain function."""

from __future__ import annotations

import json
from typing import Any

from loop_client.mcp_server import ToolContext
from loop_client.mcp_server.stateless import handle_post
from mcp import types

from tests.client.fakes import FakeApi, reply

HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


def post(message: Any, headers: dict[str, str] | None = None, api: FakeApi | None = None):
    api = api or FakeApi()
    raw = message if isinstance(message, bytes) else json.dumps(message).encode()
    return handle_post(raw, headers or HEADERS, lambda: ToolContext(client=api.client()))


def request(method: str, params: dict[str, Any] | None = None, id_: int = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return message


INIT = {
    "protocolVersion": "2025-06-18",
    "capabilities": {},
    "clientInfo": {"name": "test", "version": "1"},
}


def test_initialize_echoes_a_supported_protocol_version():
    answer = post(request("initialize", INIT))
    assert answer.status == 200
    result = answer.body["result"]
    assert answer.body["id"] == 1
    assert result["protocolVersion"] == "2025-06-18"
    assert result["serverInfo"]["name"] == "loop"
    assert result["capabilities"]["tools"] == {"listChanged": False}
    assert "get_next_task" in result["instructions"]
    assert "mcp-session-id" not in {k.lower() for k in answer.headers}


def test_initialize_with_unknown_version_answers_the_latest():
    answer = post(request("initialize", {**INIT, "protocolVersion": "1999-01-01"}))
    assert answer.body["result"]["protocolVersion"] == types.LATEST_PROTOCOL_VERSION


def test_notification_is_accepted_without_body():
    answer = post({"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert (answer.status, answer.body) == (202, None)


def test_ping():
    assert post(request("ping")).body == {"jsonrpc": "2.0", "id": 1, "result": {}}


def test_tools_list_returns_every_tool():
    answer = post(request("tools/list"))
    names = {tool["name"] for tool in answer.body["result"]["tools"]}
    assert {"get_next_task", "complete_task", "submit_prompt_review"} <= names
    assert len(names) == 12


def test_tools_call_runs_the_tool():
    api = FakeApi().on("GET", "/api/dispatch/next", reply(204))
    answer = post(
        request("tools/call", {"name": "get_next_task", "arguments": {}}, id_="abc"), api=api
    )
    assert answer.status == 200 and answer.body["id"] == "abc"
    result = types.CallToolResult.model_validate(answer.body["result"])
    assert result.isError is False and result.structuredContent["issue"] is None


def test_tool_error_is_a_result_not_a_protocol_error():
    answer = post(request("tools/call", {"name": "get_issue", "arguments": {}}))
    assert answer.status == 200
    assert answer.body["result"]["isError"] is True
    assert "issueId" in answer.body["result"]["content"][0]["text"]


def test_unknown_method_is_method_not_found():
    answer = post(request("resources/list"))
    assert answer.body["error"]["code"] == types.METHOD_NOT_FOUND
    answer = post(request("frobnicate"))
    assert answer.body["error"]["code"] == types.METHOD_NOT_FOUND


def test_bad_params_for_known_method_is_invalid_params():
    answer = post(request("tools/call", {"arguments": {}}))
    assert answer.body["error"]["code"] == types.INVALID_PARAMS


def test_malformed_json_is_a_parse_error():
    answer = post(b"{not json")
    assert answer.status == 400 and answer.body["error"]["code"] == types.PARSE_ERROR


def test_batches_are_refused():
    answer = post([request("ping"), request("ping", id_=2)])
    assert answer.status == 400 and answer.body["error"]["code"] == types.INVALID_REQUEST


def test_not_json_rpc_is_invalid_request():
    answer = post({"hello": "world"})
    assert answer.status == 400 and answer.body["error"]["code"] == types.INVALID_REQUEST


def test_wrong_content_type_is_415():
    assert post(request("ping"), {"content-type": "text/plain"}).status == 415


def test_client_refusing_json_gets_406_but_missing_accept_is_fine():
    assert (
        post(request("ping"), {"content-type": "application/json", "accept": "text/html"}).status
        == 406
    )
    assert post(request("ping"), {"content-type": "application/json"}).status == 200
    assert (
        post(
            request("ping"), {"content-type": "application/json; charset=utf-8", "accept": "*/*"}
        ).status
        == 200
    )


def test_unsupported_protocol_version_header_is_400():
    answer = post(request("tools/list"), {**HEADERS, "mcp-protocol-version": "1999-01-01"})
    assert (
        answer.status == 400 and "Unsupported protocol version" in answer.body["error"]["message"]
    )
    assert (
        post(request("tools/list"), {**HEADERS, "mcp-protocol-version": "2025-06-18"}).status == 200
    )
