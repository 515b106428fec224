"""`loop connect` in temporary repositories, against a scripted API: each tool's layout (files
parsed back), idempotency, coexistence with the user's content, dry run, errors that write
nothing, and the key kept out of every file a repository would commit."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from loop_client import skill
from loop_client.connect.edits import BEGIN, END, block_content

from tests.client.fakes import API_URL, FakeApi, error, reply

KEY = "loop_abcd1234_s3cretvalueNeverInRepo"
PROJECT = {"id": "prj_checkout", "name": "Checkout"}


@pytest.fixture
def api(cli) -> FakeApi:
    cli.api.on("GET", "/health", reply(200, {"ok": True, "service": "loop-api"}))
    cli.api.on("GET", "/api/projects", reply(200, {"data": [PROJECT], "total": 1}))
    cli.api.on("POST", "/api/projects", reply(201, {"data": {"id": "prj_new", "name": "New"}}))
    return cli.api


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def connect(cli, repo: Path, *args: str, input: str | None = None):
    base = ["connect", "--api-url", API_URL, "--api-key", KEY, "--dir", str(repo)]
    if input is None:
        base.append("--yes")
    return cli(*base, *args, input=input)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def front_matter(text: str) -> tuple[dict[str, Any], str]:
    assert text.startswith("---\n")
    head, _, body = text[4:].partition("\n---\n")
    return yaml.safe_load(head), body


def committable(repo: Path) -> list[Path]:
    """Files git would offer to commit: tracked, or untracked and not ignored."""
    listed = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [repo / name for name in listed]


# --- layouts -----------------------------------------------------------------------------------


def test_claude_code_layout(cli, api, repo, isolated_client_env):
    (repo / ".claude").mkdir()
    result = connect(cli, repo, "--project", "Checkout")
    assert result.exit_code == 0, result.output

    mcp = json.loads((repo / ".mcp.json").read_text())
    assert mcp == {
        "mcpServers": {
            "loop": {
                "type": "stdio",
                "command": "loop-mcp",
                "args": ["--profile", "core", "--project", "prj_checkout"],
                "env": {"LOOP_API_URL": API_URL, "LOOP_API_KEY": "${LOOP_API_KEY:-}"},
            }
        }
    }
    skill_md = (repo / ".claude/skills/loop/SKILL.md").read_text()
    meta, body = front_matter(skill_md)
    assert meta["name"] == "loop" and "Use when" in meta["description"]
    assert skill_md == skill.read() and "## The loop" in body
    assert (repo / ".claude/skills/loop/reference.md").read_text() == skill.read("reference.md")
    claude = (repo / "CLAUDE.md").read_text()
    assert claude.startswith(BEGIN) and claude.rstrip().endswith(END)
    assert "`prj_checkout`" in block_content(claude)
    assert ".claude/skills/loop/SKILL.md" in claude

    # The key went to the user's config file, readable by its owner only.
    stored = json.loads(isolated_client_env.read_text())
    assert stored == {"token": KEY, "url": API_URL}
    assert stat.S_IMODE(isolated_client_env.stat().st_mode) == 0o600
    assert "approve" in result.output


def test_cursor_layout(cli, api, repo):
    (repo / ".cursor").mkdir()
    result = connect(cli, repo)
    assert result.exit_code == 0, result.output
    entry = json.loads((repo / ".cursor/mcp.json").read_text())["mcpServers"]["loop"]
    assert entry == {
        "command": "loop-mcp",
        "args": ["--profile", "core"],
        "env": {"LOOP_API_URL": API_URL, "LOOP_API_KEY": "${env:LOOP_API_KEY}"},
    }
    meta, body = front_matter((repo / ".cursor/rules/loop.mdc").read_text())
    assert meta == {
        "description": skill.parse().description,
        "globs": None,
        "alwaysApply": False,
    }
    assert body == skill.parse().body.replace(
        "[reference.md](reference.md)", "the API reference (`loop skill show --reference`)"
    )
    assert "reference.md)" not in body
    assert not (repo / ".mcp.json").exists() and not (repo / "CLAUDE.md").exists()


def test_windsurf_layout_writes_the_rule_and_prints_the_mcp_entry(cli, api, repo):
    (repo / ".windsurf").mkdir()
    result = connect(cli, repo, "--json")
    assert result.exit_code == 0, result.output
    meta, body = front_matter((repo / ".windsurf/rules/loop.md").read_text())
    assert meta["trigger"] == "model_decision" and meta["description"]
    assert "get_next_task" in body and "loop skill show" in body
    assert len((repo / ".windsurf/rules/loop.md").read_text()) < 6000  # Windsurf's rule limit
    report = json.loads(result.stdout)
    (note,) = [n for n in report["notes"] if "windsurf/mcp_config.json" in n]
    snippet = json.loads(note[note.index("{") :])
    assert snippet["mcpServers"]["loop"]["command"] == "loop-mcp"
    # Nothing is written outside the repository but the key's config file.
    assert report["changed"] == [".windsurf/rules/loop.md", report["changed"][-1]]
    assert report["changed"][-1].endswith("config.json")


def test_openhands_layout(cli, api, repo):
    (repo / ".openhands").mkdir()
    result = connect(cli, repo, "--project", "prj_checkout")
    assert result.exit_code == 0, result.output
    meta, body = front_matter((repo / ".openhands/microagents/loop.md").read_text())
    assert meta["name"] == "loop" and meta["type"] == "knowledge"
    assert meta["agent"] == "CodeActAgent"
    assert isinstance(meta["triggers"], list) and "get_next_task" in meta["triggers"]
    assert "## Walkthrough" in body
    assert "stdio_servers" in result.output and "--project" in result.output


def test_agents_md_and_a_bare_mcp_json(cli, api, repo):
    (repo / "AGENTS.md").write_text("# Agents\n\nRun `make test`.\n")
    (repo / ".mcp.json").write_text('{"mcpServers": {"github": {"command": "gh"}}}\n')
    result = connect(cli, repo)
    assert result.exit_code == 0, result.output
    agents = (repo / "AGENTS.md").read_text()
    assert agents.startswith("# Agents\n\nRun `make test`.\n\n" + BEGIN)
    assert "`loop skill show`" in agents
    servers = json.loads((repo / ".mcp.json").read_text())["mcpServers"]
    assert servers["github"] == {"command": "gh"} and servers["loop"]["command"] == "loop-mcp"
    # .mcp.json alone is not Claude Code: no skill folder, no CLAUDE.md.
    assert not (repo / ".claude").exists() and not (repo / "CLAUDE.md").exists()


def test_http_transport(cli, api, repo):
    (repo / ".claude").mkdir()
    (repo / ".cursor").mkdir()
    result = connect(cli, repo, "--transport", "http", "--profile", "all", "-p", "Checkout")
    assert result.exit_code == 0, result.output
    claude = json.loads((repo / ".mcp.json").read_text())["mcpServers"]["loop"]
    assert claude == {
        "type": "http",
        "url": f"{API_URL}/mcp?profile=all&project=prj_checkout",
        "headers": {"Authorization": "Bearer ${LOOP_API_KEY}"},
    }
    cursor = json.loads((repo / ".cursor/mcp.json").read_text())["mcpServers"]["loop"]
    assert cursor["headers"] == {"Authorization": "Bearer ${env:LOOP_API_KEY}"}
    assert "LOOP_API_KEY is set" in result.output


def test_tool_option_overrides_detection_and_nothing_detected_is_an_error(cli, api, repo):
    result = connect(cli, repo)
    assert result.exit_code == 1
    assert "no coding tool found" in result.output and "--tool" in result.output
    assert snapshot(repo) == {}
    forced = connect(cli, repo, "--tool", "cursor,agents")
    assert forced.exit_code == 0, forced.output
    assert (repo / ".cursor/mcp.json").exists() and (repo / "AGENTS.md").exists()
    assert connect(cli, repo, "--tool", "vim").exit_code == 1


# --- idempotency and coexistence -----------------------------------------------------------------


def test_done_means_second_run_changes_nothing(cli, api, repo, isolated_client_env):
    (repo / ".cursor").mkdir()
    (repo / "CLAUDE.md").write_text("# Shop\n\nAlways run the linters.\n")
    first = connect(cli, repo, "--project", "Checkout")
    assert first.exit_code == 0, first.output
    before = snapshot(repo)
    config_before = isolated_client_env.read_bytes()
    mtimes = {p: p.stat().st_mtime_ns for p in repo.rglob("*") if p.is_file()}
    second = connect(cli, repo, "--project", "Checkout", "--json")
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["changed"] == []
    assert snapshot(repo) == before and isolated_client_env.read_bytes() == config_before
    assert {p: p.stat().st_mtime_ns for p in repo.rglob("*") if p.is_file()} == mtimes
    dry = connect(cli, repo, "--project", "Checkout", "--dry-run")
    assert "nothing would change" in dry.output


def test_user_content_survives_and_only_loop_parts_change(cli, api, repo):
    (repo / ".cursor").mkdir()
    user_mcp = (
        "{\n"
        '    "mcpServers": {\n'
        '        "github": {\n'
        '            "command": "gh-mcp"\n'
        "        }\n"
        "    }\n"
        "}\n"
    )
    (repo / ".cursor/mcp.json").write_text(user_mcp)
    (repo / ".cursor/rules").mkdir()
    (repo / ".cursor/rules/style.mdc").write_text("---\nalwaysApply: true\n---\nUse tabs.\n")
    claude_user = "# Shop\n\nAlways run the linters.\n"
    (repo / "CLAUDE.md").write_text(claude_user)

    assert connect(cli, repo).exit_code == 0
    cursor_mcp = (repo / ".cursor/mcp.json").read_text()
    assert cursor_mcp.startswith(user_mcp[: user_mcp.index("        }") + len("        }")])
    assert json.loads(cursor_mcp)["mcpServers"]["github"] == {"command": "gh-mcp"}
    claude = (repo / "CLAUDE.md").read_text()
    assert claude.startswith(claude_user)

    # The user writes below the block; a new run with other settings replaces only Loop's parts.
    (repo / "CLAUDE.md").write_text(claude + "\n## Notes\nDeploy on Fridays? Never.\n")
    untouched = (repo / ".cursor/rules/style.mdc").read_bytes()
    again = connect(cli, repo, "--profile", "all", "--project", "Checkout")
    assert again.exit_code == 0, again.output
    claude = (repo / "CLAUDE.md").read_text()
    assert claude.startswith(claude_user) and claude.endswith("Deploy on Fridays? Never.\n")
    assert claude.count(BEGIN) == 1 and "prj_checkout" in claude
    servers = json.loads((repo / ".cursor/mcp.json").read_text())["mcpServers"]
    assert servers["github"] == {"command": "gh-mcp"}
    assert servers["loop"]["args"] == ["--profile", "all", "--project", "prj_checkout"]
    assert (repo / ".cursor/rules/style.mdc").read_bytes() == untouched


def test_claude_md_symlinked_to_agents_md(cli, api, repo):
    (repo / "AGENTS.md").write_text("# Agents\n")
    (repo / "CLAUDE.md").symlink_to("AGENTS.md")
    assert connect(cli, repo).exit_code == 0
    assert (repo / "CLAUDE.md").is_symlink()
    text = (repo / "AGENTS.md").read_text()
    assert text.count(BEGIN) == 1
    before = snapshot(repo)
    assert json.loads(connect(cli, repo, "--json").stdout)["changed"] == []
    assert snapshot(repo) == before


# --- dry run and errors ------------------------------------------------------------------------


def test_dry_run_prints_the_diff_and_writes_nothing(cli, api, repo, isolated_client_env):
    (repo / ".cursor").mkdir()
    (repo / "CLAUDE.md").write_text("# Shop\n")
    before = snapshot(repo)
    result = connect(cli, repo, "--project", "Brand new", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "+++ b/.cursor/mcp.json" in result.output
    assert "--- a/CLAUDE.md\n+++ b/CLAUDE.md" in result.output
    assert f"+{BEGIN}" in result.output
    assert "would create it with mode 0600" in result.output
    assert "Would create project 'Brand new'" in result.output
    assert KEY not in result.output
    assert snapshot(repo) == before and not isolated_client_env.exists()
    # A dry run creates no project either.
    assert not [r for r in api.requests if r.method == "POST"]


def test_unreachable_server_writes_nothing(cli, repo, isolated_client_env):
    import httpx

    cli.api.on("GET", "/health", httpx.ConnectError("connection refused"))
    (repo / ".cursor").mkdir()
    result = connect(cli, repo)
    assert result.exit_code == 1
    assert "Could not reach Loop at http://loop.test" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert snapshot(repo) == {} and not isolated_client_env.exists()


def test_wrong_key_writes_nothing(cli, repo, isolated_client_env):
    cli.api.on("GET", "/health", reply(200, {"ok": True}))
    cli.api.on("GET", "/api/projects", error(401, "Unauthorized"))
    (repo / ".cursor").mkdir()
    result = connect(cli, repo)
    assert result.exit_code == 2
    assert result.output.strip() == "Error: http://loop.test rejected the API key"
    assert snapshot(repo) == {} and not isolated_client_env.exists()


@pytest.mark.parametrize(
    ("health", "message"),
    [
        (reply(404, {"error": "nope"}), "answered 404: is this a Loop server?"),
        (reply(200, {"ok": False}), "says it is not healthy"),
        (reply(200, ["not", "loop"]), "does not answer like a Loop server"),
    ],
)
def test_a_url_that_is_not_a_healthy_loop(cli, repo, health, message):
    cli.api.on("GET", "/health", health)
    (repo / ".cursor").mkdir()
    result = connect(cli, repo)
    assert result.exit_code == 1 and message in result.output
    assert snapshot(repo) == {}


def test_bad_url_and_missing_key(cli, repo):
    (repo / ".cursor").mkdir()
    bad = cli("connect", "--yes", "--api-url", "loop.test", "--api-key", KEY, "--dir", str(repo))
    assert bad.exit_code == 1 and "not an http:// or https:// URL" in bad.output
    nokey = cli("connect", "--yes", "--api-url", API_URL, "--dir", str(repo))
    assert nokey.exit_code == 2 and "no API key" in nokey.output


def test_unwritable_file_or_bad_json_writes_nothing(cli, api, repo, isolated_client_env):
    (repo / ".cursor").mkdir()
    (repo / "CLAUDE.md").write_text("# Mine\n")
    (repo / "CLAUDE.md").chmod(0o444)
    before = snapshot(repo)
    result = connect(cli, repo)
    assert result.exit_code == 1 and "CLAUDE.md is read-only" in result.output
    assert snapshot(repo) == before and not isolated_client_env.exists()

    (repo / "CLAUDE.md").chmod(0o644)
    (repo / ".cursor/mcp.json").write_text('{"mcpServers": {,}}')
    before = snapshot(repo)
    result = connect(cli, repo, "--project", "Brand new")
    assert result.exit_code == 1 and "mcp.json: it is not valid JSON" in result.output
    assert snapshot(repo) == before and not isolated_client_env.exists()
    # Files are checked before the server is asked to create the project.
    assert not [r for r in api.requests if r.method == "POST"]


# --- the key ------------------------------------------------------------------------------------


def test_no_key_in_any_file_a_repository_would_commit(cli, api, repo, isolated_client_env):
    for folder in (".claude", ".cursor", ".windsurf", ".openhands"):
        (repo / folder).mkdir()
    (repo / "AGENTS.md").write_text("# Agents\n")
    for transport in ("stdio", "http"):
        result = connect(cli, repo, "--transport", transport, "-p", "Checkout")
        assert result.exit_code == 0, result.output
        files = committable(repo)
        assert len(files) >= 9
        assert not [f for f in files if KEY.encode() in f.read_bytes()]
        assert KEY not in result.output
    assert json.loads(isolated_client_env.read_text())["token"] == KEY


def test_env_file_key_store_is_git_ignored_and_private(cli, api, repo, isolated_client_env):
    (repo / ".cursor").mkdir()
    (repo / ".gitignore").write_text("node_modules/\n")
    result = connect(cli, repo, "--key-store", "env-file")
    assert result.exit_code == 0, result.output
    env = repo / ".env.loop"
    assert f"LOOP_API_KEY={KEY}" in env.read_text().splitlines()
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert (repo / ".gitignore").read_text().startswith("node_modules/\n")
    ignored = subprocess.run(["git", "-C", str(repo), "check-ignore", "-q", ".env.loop"])
    assert ignored.returncode == 0
    assert env not in committable(repo)
    assert not [f for f in committable(repo) if KEY.encode() in f.read_bytes()]
    assert not isolated_client_env.exists()
    entry = json.loads((repo / ".cursor/mcp.json").read_text())["mcpServers"]["loop"]
    assert entry["envFile"] == "${workspaceFolder}/.env.loop"
    assert "LOOP_API_KEY" not in entry["env"]
    # Idempotent too, and an already-ignored file does not add a second .gitignore line.
    before = snapshot(repo)
    assert (
        json.loads(connect(cli, repo, "--key-store", "env-file", "--json").stdout)["changed"] == []
    )
    assert snapshot(repo) == before


def test_env_file_tracked_by_git_is_refused(cli, api, repo):
    (repo / ".cursor").mkdir()
    (repo / ".env.loop").write_text("DEBUG=1\n")
    subprocess.run(["git", "-C", str(repo), "add", ".env.loop"], check=True)
    result = connect(cli, repo, "--key-store", "env-file")
    assert result.exit_code == 1 and "tracked by git" in result.output
    assert (repo / ".env.loop").read_text() == "DEBUG=1\n"
    assert not (repo / ".cursor/mcp.json").exists()


def test_key_store_none_writes_no_key_anywhere(cli, api, repo, isolated_client_env):
    (repo / ".cursor").mkdir()
    result = connect(cli, repo, "--key-store", "none")
    assert result.exit_code == 0, result.output
    assert not isolated_client_env.exists() and not (repo / ".env.loop").exists()
    assert "LOOP_API_KEY is set" in result.output


# --- asking -------------------------------------------------------------------------------------


def test_interactive_asks_for_url_key_and_project(cli, api, repo, monkeypatch):
    (repo / ".cursor").mkdir()
    monkeypatch.chdir(repo)
    answers = f"{API_URL}\n{KEY}\n1\ny\n"
    result = cli("connect", input=answers)
    assert result.exit_code == 0, result.output
    assert "1. Checkout  (prj_checkout)" in result.output
    assert "create    .cursor/mcp.json" in result.output
    args = json.loads((repo / ".cursor/mcp.json").read_text())["mcpServers"]["loop"]["args"]
    assert args == ["--profile", "core", "--project", "prj_checkout"]


def test_interactive_creates_a_project_by_name_and_can_be_declined(cli, api, repo):
    (repo / ".cursor").mkdir()
    declined = connect(cli, repo, input="New\nn\n")
    assert declined.exit_code == 1 and "nothing was written" in declined.output
    assert snapshot(repo) == {}
    assert not [r for r in api.requests if r.method == "POST"]
    created = connect(cli, repo, input="New\ny\n")
    assert created.exit_code == 0, created.output
    assert api.last_json() == {"name": "New"}
    assert "Created project New (prj_new)" in created.output
    assert "prj_new" in (repo / ".cursor/mcp.json").read_text()


def test_yes_creates_a_missing_project_by_name(cli, api, repo):
    (repo / ".cursor").mkdir()
    result = connect(cli, repo, "--project", "New", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["project"] == {"id": "prj_new", "name": "New"} and report["projectCreated"]
    assert report["apiKey"] != KEY and KEY not in result.stdout


def test_runs_from_a_subfolder_of_the_repository(cli, api, repo, monkeypatch):
    (repo / ".cursor").mkdir()
    (repo / "src" / "pkg").mkdir(parents=True)
    monkeypatch.chdir(repo / "src" / "pkg")
    result = cli("connect", "--yes", "--api-url", API_URL, "--api-key", KEY)
    assert result.exit_code == 0, result.output
    assert (repo / ".cursor/mcp.json").exists() and not (repo / "src/pkg/.cursor").exists()


def test_connect_sends_the_key_it_was_given(cli, api, repo):
    (repo / ".cursor").mkdir()
    connect(cli, repo)
    assert cli.connections[0]["api_key"] == KEY and cli.connections[0]["max_retries"] == 0
    assert all(r.headers["Authorization"] == f"Bearer {KEY}" for r in api.requests[1:])
    assert os.environ.get("LOOP_API_KEY") is None


def test_interactive_project_option_confirms_creation_once(cli, api, repo):
    (repo / ".cursor").mkdir()
    result = connect(cli, repo, "--project", "New", input="y\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Create project 'New' and write 3 files? [Y/n]") == 1
    assert api.last_json() == {"name": "New"}


def test_interactive_asks_which_tools_when_none_is_found(cli, api, repo):
    result = connect(cli, repo, input="cursor,agents\n\ny\n")
    assert result.exit_code == 0, result.output
    assert "No coding tool found here" in result.output
    assert (repo / ".cursor/mcp.json").exists() and (repo / "AGENTS.md").exists()
