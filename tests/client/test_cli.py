"""The `loop` CLI: output shapes (table, --json, --plain), exit codes, config handling."""

from __future__ import annotations

import json
import os
import stat

import httpx
from loop_client.cli.output import Mode, Output
from loop_client.config import read_config, write_config
from rich.console import Console

from tests.client.fakes import API_KEY, claim, error, issue, reply

ISSUES = {
    "data": [
        issue(id="a", number=1, title="Login failures spiked"),
        issue(id="b", number=2, title="Checkout slow", status="in_progress", priority=1),
    ],
    "total": 2,
}


# --- output modes ---


def test_issues_list_prints_a_table(cli):
    cli.api.on("GET", "/api/issues", reply(200, ISSUES))
    result = cli("issues", "list", "--token", "loop_x_y")
    assert result.exit_code == 0, result.output
    assert "Login failures spiked" in result.stdout and "Checkout slow" in result.stdout
    assert "in_progress" in result.stdout and "urgent" in result.stdout
    assert "1-2 of 2" in result.stdout


def test_issues_list_json_is_the_api_envelope(cli):
    cli.api.on("GET", "/api/issues", reply(200, ISSUES))
    result = cli("issues", "list", "--json", "--token", "k")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == ISSUES


def test_global_json_flag_before_the_command_works_too(cli):
    cli.api.on("GET", "/api/issues", reply(200, ISSUES))
    result = cli("--json", "--token", "k", "issues", "list")
    assert json.loads(result.stdout)["total"] == 2


def test_plain_output_is_tab_separated_without_decoration(cli):
    cli.api.on("GET", "/api/issues", reply(200, ISSUES))
    result = cli("issues", "list", "--plain", "--token", "k")
    lines = result.stdout.splitlines()
    assert lines == [
        "1\ta\ttask\ttodo\thigh\tLogin failures spiked",
        "2\tb\ttask\tin_progress\turgent\tCheckout slow",
    ]


def test_json_and_plain_together_is_a_usage_error(cli):
    result = cli("issues", "list", "--json", "--plain")
    assert result.exit_code == 1
    assert "cannot be used together" in result.output


def test_issues_list_sends_filters(cli):
    cli.api.on("GET", "/api/issues", reply(200, {"data": [], "total": 0}))
    result = cli(
        "issues",
        "list",
        "-s",
        "todo",
        "-s",
        "in_progress,done",
        "--type",
        "task",
        "--priority",
        "high",
        "--project",
        "prj",
        "--limit",
        "5",
        "--offset",
        "10",
        "--token",
        "k",
    )
    assert result.exit_code == 0
    params = cli.api.last().url.params
    assert params["status"] == "todo,in_progress,done"
    assert (
        params["type"],
        params["priority"],
        params["projectId"],
        params["limit"],
        params["offset"],
    ) == ("task", "2", "prj", "5", "10")
    assert "No issues." in result.stdout


def test_issues_list_all_walks_every_page(cli):
    def handler(request):
        offset = int(request.url.params["offset"])
        rows = [issue(id=f"i{n}", number=n) for n in range(offset, min(offset + 200, 250))]
        return reply(200, {"data": rows, "total": 250})

    cli.api.on("GET", "/api/issues", handler)
    result = cli("issues", "list", "--all", "--json", "--token", "k")
    payload = json.loads(result.stdout)
    assert payload["total"] == 250 and len(payload["data"]) == 250
    assert [r.url.params["offset"] for r in cli.api.requests] == ["0", "200"]


# --- exit codes ---


def test_not_found_exits_3_with_message_on_stderr(cli):
    cli.api.on("GET", "/api/issues/nope", error(404, "Issue not found"))
    result = cli("issues", "view", "nope", "--token", "k")
    assert result.exit_code == 3
    assert "Issue not found" in result.stderr and result.stdout == ""


def test_errors_in_json_mode_are_json_on_stderr(cli):
    cli.api.on(
        "POST",
        "/api/issues",
        error(422, "parentId: Parent not found", {"parentId": ["Parent not found"]}),
    )
    result = cli("issues", "create", "x", "--parent", "zz", "--json", "--token", "k")
    assert result.exit_code == 1
    body = json.loads(result.stderr)
    assert body == {
        "error": "parentId: Parent not found",
        "status": 422,
        "fieldErrors": {"parentId": ["Parent not found"]},
    }


def test_unauthorized_exits_2_with_a_hint(cli):
    cli.api.on("GET", "/api/issues", error(401, "Unauthorized"))
    result = cli("issues", "list")
    assert result.exit_code == 2
    assert "loop auth login" in result.stderr


def test_missing_scope_exits_2(cli):
    cli.api.on(
        "POST", "/api/labels", error(403, "This API key lacks the scope this operation needs")
    )
    result = cli("labels", "create", "bug", "--token", "k")
    assert result.exit_code == 2 and "lacks the scope" in result.stderr


def test_unreachable_server_exits_1(cli):
    cli.api.on("GET", "/api/issues", httpx.ConnectError("refused"))
    result = cli("issues", "list", "--token", "k")
    assert result.exit_code == 1
    assert "Could not reach Loop" in result.stderr


def test_usage_errors_exit_1(cli):
    assert cli("issues", "list", "--no-such-flag").exit_code == 1
    assert cli("issues", "view").exit_code == 1
    assert cli("issues", "create", "x", "--priority", "extreme").exit_code == 1
    assert cli("no-such-command").exit_code == 1


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.startswith("loop ")


# --- issues ---


def test_issues_view_json_includes_comments(cli):
    cli.api.on(
        "GET",
        "/api/issues/a",
        reply(
            200,
            {
                "data": {
                    **issue(id="a"),
                    "parent": None,
                    "children": [],
                    "labels": [],
                    "relations": [],
                }
            },
        ),
    )
    cli.api.on("GET", "/api/issues/a/comments", reply(200, {"data": []}))
    result = cli("issues", "view", "a", "--json", "--token", "k")
    payload = json.loads(result.stdout)
    assert payload["id"] == "a" and payload["comments"] == [] and payload["children"] == []


def test_issues_view_shows_a_card_with_children_and_comments(cli):
    comment = {
        "id": "c1",
        "body": "Looked at logs",
        "issueId": "a",
        "authorName": "agent-1",
        "authorType": "agent",
        "parentId": None,
        "createdAt": "2026-02-20T12:00:00Z",
        "replies": [],
    }
    cli.api.on(
        "GET",
        "/api/issues/a",
        reply(
            200,
            {
                "data": {
                    **issue(id="a", description="Details here"),
                    "children": [issue(id="k", number=9, title="Child task")],
                    "labels": [],
                    "relations": [],
                }
            },
        ),
    )
    cli.api.on("GET", "/api/issues/a/comments", reply(200, {"data": [comment]}))
    result = cli("issues", "view", "a", "--token", "k")
    assert result.exit_code == 0
    for text in (
        "#1 Login failures spiked",
        "Details here",
        "Child task",
        "Looked at logs",
        "agent-1",
    ):
        assert text in result.stdout


def test_issues_create_with_blockers_and_named_priority(cli):
    relation = {
        "id": "r",
        "type": "blocked_by",
        "issueId": "new",
        "relatedIssueId": "a",
        "createdAt": "2026-02-20T12:00:00Z",
    }
    cli.api.on(
        "POST", "/api/issues", reply(201, {"data": issue(id="new", number=5, title="Step 2")})
    )
    cli.api.on("POST", "/api/issues/new/relations", reply(201, {"data": relation}))
    result = cli(
        "issues",
        "create",
        "Step 2",
        "--priority",
        "urgent",
        "--status",
        "todo",
        "--blocked-by",
        "a",
        "--token",
        "k",
    )
    assert result.exit_code == 0, result.output
    create = next(r for r in cli.api.requests if r.url.path == "/api/issues")
    assert json.loads(create.content) == {
        "title": "Step 2",
        "type": "task",
        "priority": 1,
        "status": "todo",
    }
    assert cli.api.last_json() == {"type": "blocked_by", "relatedIssueId": "a"}
    assert "Created #5 Step 2" in result.stdout


def test_issues_update_sends_only_changes_and_can_clear_parent(cli):
    cli.api.on("PATCH", "/api/issues/a", reply(200, {"data": issue(id="a", status="backlog")}))
    result = cli(
        "issues", "update", "a", "--status", "backlog", "--no-parent", "--json", "--token", "k"
    )
    assert result.exit_code == 0
    assert cli.api.last_json() == {"status": "backlog", "parentId": None}
    assert json.loads(result.stdout)["status"] == "backlog"


def test_issues_update_without_changes_is_refused(cli):
    result = cli("issues", "update", "a", "--token", "k")
    assert result.exit_code == 1 and cli.api.requests == []


def test_issues_close_several_as_canceled(cli):
    cli.api.on("PATCH", "/api/issues/a", reply(200, {"data": issue(id="a", status="canceled")}))
    cli.api.on(
        "PATCH", "/api/issues/b", reply(200, {"data": issue(id="b", number=2, status="canceled")})
    )
    result = cli(
        "issues", "close", "a", "b", "--canceled", "--summary", "duplicate", "--token", "k"
    )
    assert result.exit_code == 0
    assert [json.loads(r.content) for r in cli.api.requests] == [
        {"status": "canceled", "agentSummary": "duplicate"}
    ] * 2
    assert result.stdout.count("Closed") == 2


# --- auth and config ---


def test_auth_login_verifies_then_stores_with_owner_only_permissions(cli, isolated_client_env):
    cli.api.on("GET", "/api/dashboard/stats", reply(200, {"data": {}}))
    result = cli("auth", "login", "--api-url", "http://loop.test/", "--token", API_KEY)
    assert result.exit_code == 0, result.output
    assert read_config() == {"url": "http://loop.test", "token": API_KEY}
    assert stat.S_IMODE(os.stat(isolated_client_env).st_mode) == 0o600
    assert cli.api.last().headers["Authorization"] == f"Bearer {API_KEY}"
    assert API_KEY not in result.stdout  # only a masked form is shown


def test_auth_login_prompts_for_what_is_missing(cli):
    cli.api.on("GET", "/api/dashboard/stats", reply(200, {"data": {}}))
    result = cli("auth", "login", input="http://typed.example\nloop_typed_secret\n")
    assert result.exit_code == 0, result.output
    assert read_config() == {"url": "http://typed.example", "token": "loop_typed_secret"}


def test_auth_login_with_rejected_key_saves_nothing_and_exits_2(cli, isolated_client_env):
    cli.api.on("GET", "/api/dashboard/stats", error(401, "Unauthorized"))
    result = cli("auth", "login", "--api-url", "http://loop.test", "--token", "loop_bad_key")
    assert result.exit_code == 2
    assert not isolated_client_env.exists()


def test_auth_logout_forgets_the_key_but_keeps_the_url(cli):
    write_config({"url": "http://loop.test", "token": "loop_a_b"})
    result = cli("auth", "logout")
    assert result.exit_code == 0
    assert read_config() == {"url": "http://loop.test"}


def test_auth_status_json_and_exit_code(cli):
    write_config({"url": "http://loop.test", "token": "loop_prefix1_secretvalue"})
    cli.api.on("GET", "/api/dashboard/stats", reply(200, {"data": {}}))
    result = cli("auth", "status", "--json")
    payload = json.loads(result.stdout)
    assert result.exit_code == 0
    assert payload["authenticated"] is True and payload["tokenSource"] == "config file"
    assert payload["token"] == "loop_pref…alue"
    cli.api.on("GET", "/api/dashboard/stats", error(401, "Unauthorized"))
    assert cli("auth", "status").exit_code == 2


def test_config_precedence_flag_over_env_over_file(cli, monkeypatch):
    write_config({"url": "http://file.example", "token": "loop_file_key1234"})
    shown = json.loads(cli("config", "show", "--json", "--reveal").stdout)
    assert (shown["url"], shown["urlSource"], shown["token"]) == (
        "http://file.example",
        "config file",
        "loop_file_key1234",
    )
    monkeypatch.setenv("LOOP_API_URL", "http://env.example")
    shown = json.loads(cli("config", "show", "--json").stdout)
    assert (shown["url"], shown["urlSource"]) == ("http://env.example", "env LOOP_API_URL")
    shown = json.loads(cli("config", "show", "--json", "--api-url", "http://flag.example").stdout)
    assert (shown["url"], shown["urlSource"]) == ("http://flag.example", "flag")


def test_commands_use_the_stored_connection(cli):
    write_config({"url": "http://loop.test", "token": "loop_stored_key"})
    cli.api.on("GET", "/api/labels", reply(200, {"data": [], "total": 0}))
    assert cli("labels", "list").exit_code == 0
    assert cli.connections == [{"api_url": "http://loop.test", "api_key": "loop_stored_key"}]


def test_config_set_get_unset(cli, isolated_client_env):
    assert cli("config", "set", "url", "http://x.example/").exit_code == 0
    assert cli("config", "set", "token", "loop_abcdef_123456").exit_code == 0
    assert stat.S_IMODE(os.stat(isolated_client_env).st_mode) == 0o600
    assert cli("config", "get", "url").stdout.strip() == "http://x.example"
    assert cli("config", "get", "token").stdout.strip() == "loop_abcd…3456"
    assert cli("config", "get", "token", "--reveal").stdout.strip() == "loop_abcdef_123456"
    assert cli("config", "unset", "token").exit_code == 0
    assert cli("config", "get", "token").exit_code == 3
    assert cli("config", "path").stdout.strip() == str(isolated_client_env)


# --- other groups ---


def test_comments_list_and_add(cli):
    comment = {
        "id": "c1",
        "body": "Investigating",
        "issueId": "a",
        "authorName": "sam",
        "authorType": "human",
        "parentId": None,
        "createdAt": "2026-02-20T12:00:00Z",
    }
    cli.api.on("GET", "/api/issues/a/comments", reply(200, {"data": [{**comment, "replies": []}]}))
    cli.api.on("POST", "/api/issues/a/comments", reply(201, {"data": comment}))
    listed = cli("comments", "list", "a", "--token", "k")
    assert "Investigating" in listed.stdout and "sam" in listed.stdout
    added = cli(
        "comments",
        "add",
        "a",
        "Investigating",
        "--author",
        "sam",
        "--reply-to",
        "c0",
        "--token",
        "k",
    )
    assert added.exit_code == 0
    assert cli.api.last_json() == {
        "body": "Investigating",
        "authorName": "sam",
        "authorType": "human",
        "parentId": "c0",
    }


def test_signals_ingest_merges_message_into_payload(cli):
    signal = {
        "id": "s1",
        "source": "ci",
        "sourceId": None,
        "type": "error",
        "severity": "high",
        "payload": {"job": "build", "message": "red"},
        "issueId": "a",
        "createdAt": "2026-02-20T12:00:00Z",
    }
    cli.api.on(
        "POST",
        "/api/signals",
        reply(201, {"data": {"signal": signal, "issue": issue(id="a", type="signal", number=4)}}),
    )
    result = cli(
        "signals",
        "ingest",
        "--source",
        "ci",
        "--type",
        "error",
        "--severity",
        "high",
        "--payload",
        '{"job": "build"}',
        "--message",
        "red",
        "--token",
        "k",
    )
    assert result.exit_code == 0, result.output
    assert cli.api.last_json() == {
        "source": "ci",
        "type": "error",
        "severity": "high",
        "payload": {"job": "build", "message": "red"},
    }
    assert "opened issue #4" in result.stdout


def test_signals_ingest_rejects_bad_json(cli):
    result = cli(
        "signals", "ingest", "--source", "ci", "--type", "e", "--payload", "[1,2]", "--token", "k"
    )
    assert result.exit_code == 1 and cli.api.requests == []


def test_triage_interactive_accepts_declines_and_quits(cli):
    queue = {
        "data": [
            issue(id="a", number=1, status="triage"),
            issue(id="b", number=2, status="triage"),
            issue(id="c", number=3, status="triage"),
        ],
        "total": 3,
    }
    cli.api.on("GET", "/api/issues", reply(200, queue))
    cli.api.on("PATCH", "/api/issues/a", reply(200, {"data": issue(id="a", status="todo")}))
    cli.api.on(
        "PATCH", "/api/issues/b", reply(200, {"data": issue(id="b", number=2, status="canceled")})
    )
    cli.api.on(
        "POST",
        "/api/issues/b/comments",
        reply(
            201,
            {
                "data": {
                    "id": "c",
                    "body": "x",
                    "issueId": "b",
                    "authorName": "me",
                    "authorType": "human",
                    "parentId": None,
                }
            },
        ),
    )
    result = cli("triage", "--token", "k", input="a\nd\nnot reproducible\nq\n")
    assert result.exit_code == 0, result.output
    writes = [
        (r.method, r.url.path, json.loads(r.content)) for r in cli.api.requests if r.method != "GET"
    ]
    assert writes[0] == ("PATCH", "/api/issues/a", {"status": "todo"})
    assert writes[1][1] == "/api/issues/b/comments" and "not reproducible" in writes[1][2]["body"]
    assert writes[2] == ("PATCH", "/api/issues/b", {"status": "canceled"})
    assert len(writes) == 3  # quit before the third
    assert "1 accepted, 1 declined, 0 skipped" in result.stdout
    assert cli.api.requests[0].url.params["status"] == "triage"


def test_triage_json_lists_instead_of_prompting(cli):
    cli.api.on("GET", "/api/issues", reply(200, {"data": [issue(status="triage")], "total": 1}))
    result = cli("triage", "--json", "--token", "k")
    assert json.loads(result.stdout)["total"] == 1


def test_triage_accept_to_backlog_and_decline(cli):
    cli.api.on("PATCH", "/api/issues/a", reply(200, {"data": issue(id="a", status="backlog")}))
    assert cli("triage", "accept", "a", "--to", "backlog", "--token", "k").exit_code == 0
    assert cli.api.last_json() == {"status": "backlog"}
    cli.api.on("PATCH", "/api/issues/a", reply(200, {"data": issue(id="a", status="canceled")}))
    assert cli("triage", "decline", "a", "--token", "k").exit_code == 0
    assert cli.api.last_json() == {"status": "canceled"}


PROJECT = {
    "id": "prj",
    "name": "Auth",
    "description": None,
    "status": "active",
    "health": "at_risk",
    "goalId": None,
}
GOAL = {
    "id": "g",
    "title": "Fewer failures",
    "metric": "rate",
    "targetValue": 0.05,
    "currentValue": 0.2,
    "unit": "ratio",
    "status": "active",
    "projectId": "prj",
}


def test_projects(cli):
    cli.api.on("GET", "/api/projects", reply(200, {"data": [PROJECT], "total": 1}))
    cli.api.on(
        "GET",
        "/api/projects/prj",
        reply(200, {"data": {**PROJECT, "goal": GOAL, "issueCounts": {"todo": 2, "done": 1}}}),
    )
    cli.api.on("POST", "/api/projects", reply(201, {"data": PROJECT}))
    cli.api.on("PATCH", "/api/projects/prj", reply(200, {"data": PROJECT}))
    assert "at_risk" in cli("projects", "list", "--token", "k").stdout
    view = cli("projects", "view", "prj", "--token", "k").stdout
    assert "Fewer failures" in view and "0.2 → 0.05 ratio" in view
    assert cli("projects", "create", "Auth", "--status", "active", "--token", "k").exit_code == 0
    assert cli.api.last_json() == {"name": "Auth", "status": "active"}
    assert cli("projects", "update", "prj", "--no-goal", "--token", "k").exit_code == 0
    assert cli.api.last_json() == {"goalId": None}
    assert (
        json.loads(cli("projects", "list", "--all", "--json", "--token", "k").stdout)["total"] == 1
    )


def test_goals(cli):
    cli.api.on("GET", "/api/goals", reply(200, {"data": [GOAL], "total": 1}))
    cli.api.on("GET", "/api/goals/g", reply(200, {"data": GOAL}))
    cli.api.on("POST", "/api/goals", reply(201, {"data": GOAL}))
    cli.api.on("PATCH", "/api/goals/g", reply(200, {"data": {**GOAL, "currentValue": 0.1}}))
    assert "Fewer failures" in cli("goals", "list", "--token", "k").stdout
    assert (
        json.loads(cli("goals", "view", "g", "--json", "--token", "k").stdout)["targetValue"]
        == 0.05
    )
    assert (
        cli(
            "goals",
            "create",
            "Fewer failures",
            "--target",
            "0.05",
            "--project",
            "prj",
            "--token",
            "k",
        ).exit_code
        == 0
    )
    assert cli.api.last_json() == {
        "title": "Fewer failures",
        "targetValue": 0.05,
        "projectId": "prj",
    }
    assert cli("goals", "update", "g", "--current", "0.1", "--token", "k").exit_code == 0
    assert cli.api.last_json() == {"currentValue": 0.1}


def test_labels(cli):
    label = {"id": "l1", "name": "bug", "color": "#ff0000"}
    cli.api.on("GET", "/api/labels", reply(200, {"data": [label], "total": 1}))
    cli.api.on("POST", "/api/labels", reply(201, {"data": label}))
    cli.api.on("DELETE", "/api/labels/l1", reply(204))
    assert cli("labels", "list", "--plain", "--token", "k").stdout == "l1\tbug\t#ff0000\n"
    assert cli("labels", "create", "bug", "--color", "#ff0000", "--token", "k").exit_code == 0
    assert json.loads(cli("labels", "delete", "l1", "--json", "--token", "k").stdout) == {
        "deleted": "l1"
    }


TEMPLATE = {
    "id": "t1",
    "slug": "signal-triage",
    "name": "Signal triage",
    "conditions": {"type": "signal"},
    "specificity": 10,
    "projectId": None,
    "activeVersionId": "v1",
}
VERSION = {
    "id": "v1",
    "templateId": "t1",
    "version": 1,
    "content": "Triage {{ issue.title }}",
    "changelog": "first",
    "authorType": "human",
    "authorName": "system",
    "status": "active",
    "usageCount": 4,
    "reviewScore": 4.1,
}


def test_templates(cli, tmp_path):
    cli.api.on("GET", "/api/templates", reply(200, {"data": [TEMPLATE], "total": 1}))
    cli.api.on(
        "GET", "/api/templates/t1", reply(200, {"data": {**TEMPLATE, "activeVersion": VERSION}})
    )
    cli.api.on("POST", "/api/templates", reply(201, {"data": TEMPLATE}))
    cli.api.on("GET", "/api/templates/t1/versions", reply(200, {"data": [VERSION], "total": 1}))
    cli.api.on(
        "POST",
        "/api/templates/t1/versions",
        reply(201, {"data": {**VERSION, "id": "v2", "version": 2, "status": "draft"}}),
    )
    cli.api.on(
        "POST",
        "/api/templates/t1/versions/v2/promote",
        reply(200, {"data": {**VERSION, "id": "v2", "version": 2}}),
    )
    cli.api.on(
        "GET",
        "/api/templates/t1/reviews",
        reply(
            200,
            {
                "data": [
                    {
                        "id": "r",
                        "versionId": "v1",
                        "issueId": "a",
                        "clarity": 4,
                        "completeness": 4,
                        "relevance": 5,
                        "authorType": "agent",
                    }
                ],
                "total": 1,
            },
        ),
    )
    cli.api.on(
        "GET",
        "/api/templates/preview/a",
        reply(
            200,
            {
                "issue": {"id": "a", "number": 1, "title": "t", "type": "signal"},
                "template": {
                    "id": "t1",
                    "slug": "signal-triage",
                    "conditions": {},
                    "specificity": 10,
                },
                "version": {"id": "v1", "version": 1},
                "prompt": "Rendered prompt",
            },
        ),
    )
    assert "signal-triage" in cli("templates", "list", "--token", "k").stdout
    assert "Triage {{ issue.title }}" in cli("templates", "view", "t1", "--token", "k").stdout
    assert (
        cli(
            "templates",
            "create",
            "signal-triage",
            "Signal triage",
            "--conditions",
            '{"type": "signal"}',
            "--token",
            "k",
        ).exit_code
        == 0
    )
    assert cli.api.last_json() == {
        "slug": "signal-triage",
        "name": "Signal triage",
        "conditions": {"type": "signal"},
    }
    assert "first" in cli("templates", "versions", "t1", "--token", "k").stdout
    content = tmp_path / "v2.md"
    content.write_text("Better prompt")
    added = cli(
        "templates",
        "add-version",
        "t1",
        "--content",
        f"@{content}",
        "-m",
        "clearer",
        "--token",
        "k",
    )
    assert added.exit_code == 0 and "v2" in added.stdout
    assert cli.api.last_json() == {
        "content": "Better prompt",
        "authorName": "cli",
        "authorType": "human",
        "changelog": "clearer",
    }
    assert "now active" in cli("templates", "promote", "t1", "v2", "--token", "k").stdout
    assert "4.33" in cli("templates", "reviews", "t1", "--token", "k").stdout
    assert "Rendered prompt" in cli("templates", "preview", "a", "--token", "k").stdout


def test_dispatch_queue_next_and_claim_lifecycle(cli):
    entry = {
        "issue": issue(id="a", title="Top issue"),
        "score": 148,
        "breakdown": {"priorityWeight": 75, "goalBonus": 20, "ageBonus": 3, "typeBonus": 50},
    }
    cli.api.on("GET", "/api/dispatch/queue", reply(200, {"data": [entry], "total": 1}))
    cli.api.on("GET", "/api/dispatch/next", reply(200, claim()))
    cli.api.on(
        "POST",
        "/api/dispatch/iss_1/heartbeat",
        reply(200, {"data": {"issueId": "iss_1", "leaseExpiresAt": "2026-02-20T13:00:00Z"}}),
    )
    cli.api.on(
        "POST",
        "/api/dispatch/iss_1/release",
        reply(200, {"data": issue(id="iss_1", status="todo")}),
    )
    cli.api.on("PATCH", "/api/issues/iss_1", reply(200, {"data": issue(id="iss_1", status="done")}))
    queue = cli("dispatch", "queue", "--token", "k")
    assert "Top issue" in queue.stdout and "148" in queue.stdout
    nxt = cli("dispatch", "next", "--token", "k")
    assert "Triage signal #1" in nxt.stdout and "tok_1" in nxt.stdout
    assert (
        json.loads(cli("dispatch", "next", "--json", "--token", "k").stdout)["claimToken"]
        == "tok_1"
    )
    assert cli("dispatch", "heartbeat", "iss_1", "-c", "tok_1", "--token", "k").exit_code == 0
    assert (
        cli(
            "dispatch", "release", "iss_1", "-c", "tok_1", "--reason", "stuck", "--token", "k"
        ).exit_code
        == 0
    )
    assert cli.api.last_json() == {"claimToken": "tok_1", "reason": "stuck"}
    assert (
        cli("dispatch", "complete", "iss_1", "-c", "tok_1", "-m", "Fixed", "--token", "k").exit_code
        == 0
    )
    assert cli.api.last_json() == {"status": "done", "agentSummary": "Fixed", "claimToken": "tok_1"}


def test_dispatch_next_on_empty_queue_exits_0(cli):
    cli.api.on("GET", "/api/dispatch/next", reply(204))
    result = cli("dispatch", "next", "--json", "--token", "k")
    assert result.exit_code == 0 and json.loads(result.stdout) == {"issue": None}


def test_dispatch_complete_with_lost_claim_exits_1(cli):
    cli.api.on("PATCH", "/api/issues/iss_1", error(409, "Claim lost"))
    result = cli("dispatch", "complete", "iss_1", "-c", "old", "-m", "late", "--token", "k")
    assert result.exit_code == 1 and "Claim lost" in result.stderr


STATS = {
    "issues": {"total": 4, "byStatus": {"todo": 3, "done": 1}, "byType": {"task": 4}},
    "goals": {"total": 1, "active": 1, "achieved": 0},
    "dispatch": {"queueDepth": 3, "activeCount": 0, "completedLast24h": 1},
}


def test_dashboard_and_status(cli):
    cli.api.on("GET", "/api/dashboard/stats", reply(200, {"data": STATS}))
    cli.api.on(
        "GET",
        "/api/dashboard/activity",
        reply(
            200,
            {
                "data": [
                    {
                        "root": issue(type="signal", title="Root signal"),
                        "children": [
                            {"issue": issue(id="h", title="A hypothesis"), "relations": []}
                        ],
                        "latestActivity": "2026-02-20T12:00:00Z",
                    }
                ],
                "total": 1,
            },
        ),
    )
    cli.api.on(
        "GET",
        "/api/dashboard/prompts",
        reply(
            200,
            {
                "data": [
                    {
                        "template": TEMPLATE,
                        "activeVersion": VERSION,
                        "recentVersions": [],
                        "reviewSummary": {"totalReviews": 3, "compositeScore": 2.5},
                        "needsAttention": True,
                    }
                ]
            },
        ),
    )
    cli.api.on("GET", "/health", reply(200, {"ok": True, "service": "loop-api"}))
    cli.api.on("GET", "/", reply(200, {"name": "Loop API", "version": "0.1.0"}))
    assert "Queue depth" in cli("dashboard", "--token", "k").stdout
    assert json.loads(cli("dashboard", "stats", "--json", "--token", "k").stdout) == STATS
    activity = cli("dashboard", "activity", "--token", "k").stdout
    assert "Root signal" in activity and "A hypothesis" in activity
    assert "needs attention" in cli("dashboard", "prompts", "--token", "k").stdout
    status = cli("status", "--json", "--token", "k")
    payload = json.loads(status.stdout)
    assert (
        status.exit_code == 0
        and payload["health"]["ok"] is True
        and payload["stats"]["issues"]["total"] == 4
    )


def test_status_without_key_shows_health_then_exits_2(cli):
    cli.api.on("GET", "/health", reply(200, {"ok": True, "service": "loop-api"}))
    cli.api.on("GET", "/", reply(200, {"name": "Loop API", "version": "0.1.0"}))
    cli.api.on("GET", "/api/dashboard/stats", error(401, "Unauthorized"))
    result = cli("status")
    assert result.exit_code == 2
    assert "Loop API 0.1.0" in result.stdout


def test_completions_print_a_script_for_each_shell(cli):
    for shell in ("bash", "zsh", "fish"):
        result = cli("completions", shell)
        assert result.exit_code == 0 and "_LOOP_COMPLETE" in result.stdout, shell
    assert cli("completions", "tcsh").exit_code == 1


def test_progress_draws_on_a_terminal_and_stays_silent_otherwise():
    import io

    terminal = io.StringIO()
    output = Output(Mode.RICH, err_console=Console(file=terminal, force_terminal=True, width=80))
    with output.progress("Fetching") as advance:
        advance(5, 10)
    assert "Fetching" in terminal.getvalue()
    piped = io.StringIO()
    output = Output(Mode.JSON, err_console=Console(file=piped, force_terminal=True))
    with output.progress("Fetching") as advance:
        advance(5, 10)
    assert piped.getvalue() == ""


def test_plain_mode_prints_outcomes_on_stdout_and_json_mode_keeps_stdout_clean(cli):
    cli.api.on(
        "POST", "/api/labels", reply(201, {"data": {"id": "l1", "name": "bug", "color": "#f00"}})
    )
    plain = cli("labels", "create", "bug", "--plain", "--token", "k")
    assert plain.stdout == "Created label bug (l1)\n"
    cli.api.on("GET", "/api/issues/a/comments", reply(200, {"data": []}))
    empty = cli("comments", "list", "a", "--plain", "--token", "k")
    assert empty.stdout == "" and "No comments." in empty.stderr
