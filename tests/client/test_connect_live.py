"""The issue's "done means", end to end against a live Loop: in a fresh repository with a
`.cursor/` folder and a CLAUDE.md, `loop connect --yes --api-url … --api-key … --project …`
leaves MCP configs that start a working Loop MCP server the way Cursor and Claude Code start it,
and running it twice changes nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.client.test_connect import committable, snapshot
from tests.client.test_connect_profiles import CORE
from tests.client.test_packaging import _console_script

pytestmark = pytest.mark.django_db(transaction=True)


def expand_claude(value: str, env: dict[str, str]) -> str:
    """Claude Code's expansion in .mcp.json: ${VAR} and ${VAR:-default}."""
    return re.sub(
        r"\$\{(\w+)(?::-([^}]*))?\}",
        lambda m: env.get(m[1]) or (m[2] if m[2] is not None else m[0]),
        value,
    )


def expand_cursor(value: str, env: dict[str, str], workspace: Path) -> str:
    """Cursor's expansion in mcp.json: ${env:VAR} (empty when unset), ${workspaceFolder}."""
    value = value.replace("${workspaceFolder}", str(workspace))
    return re.sub(r"\$\{env:(\w+)\}", lambda m: env.get(m[1], ""), value)


def start_like_an_editor(
    entry: dict[str, Any], expand: Any, home: Path
) -> tuple[set[str], dict[str, Any]]:
    """Launch the stdio entry as MCP clients do: command, args, the entry's env over a minimal
    inherited environment (HOME, PATH; the user did not export LOOP_API_KEY), then list the
    tools and claim work."""
    command = entry["command"]
    assert command == "loop-mcp"
    env = {"HOME": str(home), "PATH": str(Path(_console_script("loop-mcp")).parent)}
    env.update({name: expand(value) for name, value in entry.get("env", {}).items()})
    params = StdioServerParameters(
        command=_console_script(command), args=[expand(a) for a in entry["args"]], env=env
    )

    async def main() -> tuple[set[str], dict[str, Any]]:
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = await session.list_tools()
                claim = await session.call_tool("get_next_task", {})
                assert not claim.isError, claim.content
                return {t.name for t in tools.tools}, claim.structuredContent

    return anyio.run(main)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    # The real default config location (~/.config/loop/config.json), as on a developer's machine.
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("LOOP_CONFIG_FILE", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return home


def loop_connect(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_console_script("loop"), "connect", "--yes", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_done_means_cursor_and_claude_code_can_work_at_once(live_loop, home, tmp_path):
    with live_loop.client() as loop:
        checkout = loop.projects.create(name="Checkout")
        loop.projects.create(name="Search")
        loop.issues.create(title="Not ours", type="task", status="todo", priority=1)
        first = loop.issues.create(
            title="Cap cart size", type="task", status="todo", project_id=checkout.id
        )
        second = loop.issues.create(
            title="Log cart totals", type="task", status="todo", project_id=checkout.id
        )

    repo = tmp_path / "shop"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".cursor").mkdir()
    (repo / "CLAUDE.md").write_text("# Shop\n\nRun `make check` before committing.\n")
    args = ("--api-url", live_loop.url, "--api-key", live_loop.key, "--project", "Checkout")

    result = loop_connect(repo, *args)
    assert result.returncode == 0, result.stderr + result.stdout
    assert live_loop.key not in result.stdout + result.stderr
    written = snapshot(repo)
    assert set(written) == {
        ".mcp.json",
        ".claude/skills/loop/SKILL.md",
        ".claude/skills/loop/reference.md",
        "CLAUDE.md",
        ".cursor/mcp.json",
        ".cursor/rules/loop.mdc",
    }
    assert not [f for f in committable(repo) if live_loop.key.encode() in f.read_bytes()]
    config = home / ".config" / "loop" / "config.json"
    assert json.loads(config.read_text())["token"] == live_loop.key

    again = loop_connect(repo, *args)
    assert again.returncode == 0, again.stderr + again.stdout
    assert "already up to date" in again.stdout
    assert snapshot(repo) == written

    # Cursor starts .cursor/mcp.json's server: the core tools, scoped to the project.
    cursor = json.loads((repo / ".cursor/mcp.json").read_text())["mcpServers"]["loop"]
    tools, claim = start_like_an_editor(cursor, lambda v: expand_cursor(v, {}, repo), home)
    assert tools == CORE and claim["issue"]["id"] == first.id

    # Claude Code starts .mcp.json's server the same way.
    claude = json.loads((repo / ".mcp.json").read_text())["mcpServers"]["loop"]
    tools, claim = start_like_an_editor(claude, lambda v: expand_claude(v, {}), home)
    assert tools == CORE and claim["issue"]["id"] == second.id


def test_http_transport_config_reaches_the_hosted_mcp(live_loop, home, tmp_path):
    repo = tmp_path / "shop"
    repo.mkdir()
    (repo / ".claude").mkdir()
    result = loop_connect(
        repo, "--api-url", live_loop.url, "--api-key", live_loop.key, "--transport", "http"
    )
    assert result.returncode == 0, result.stderr + result.stdout
    entry = json.loads((repo / ".mcp.json").read_text())["mcpServers"]["loop"]
    headers = {
        name: expand_claude(value, {"LOOP_API_KEY": live_loop.key})
        for name, value in entry["headers"].items()
    }
    answer = httpx.post(
        entry["url"],
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={**headers, "Accept": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert {t["name"] for t in answer.json()["result"]["tools"]} == CORE


def test_wrong_key_and_dead_server_against_real_http(live_loop, home, tmp_path):
    repo = tmp_path / "shop"
    repo.mkdir()
    (repo / ".cursor").mkdir()
    wrong = loop_connect(repo, "--api-url", live_loop.url, "--api-key", "loop_nope_nope")
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == f"Error: {live_loop.url} rejected the API key"
    dead = loop_connect(repo, "--api-url", "http://127.0.0.1:9", "--api-key", live_loop.key)
    assert dead.returncode == 1
    assert dead.stderr.startswith("Error: Could not reach Loop at http://127.0.0.1:9")
    assert snapshot(repo) == {} and not (home / ".config").exists()
