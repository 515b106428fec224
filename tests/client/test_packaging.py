"""The client package stands alone: installable without Django, never importing the server,
shipping `loop` and `loop-mcp`, and `loop-mcp` speaking MCP over stdio to a live server."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.client.test_mcp_tools import EXPECTED_TOOLS

CLIENT_DIR = Path(__file__).resolve().parents[2] / "client"
SERVER_PACKAGES = {
    "django",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "accounts",
    "issues",
    "dispatch",
    "templates_app",
    "signals_app",
    "integrations",
    "loop_project",
}


def test_pyproject_pins_dependencies_and_declares_both_commands():
    project = tomllib.loads((CLIENT_DIR / "pyproject.toml").read_text())["project"]
    assert project["name"] == "loop-client"
    assert project["scripts"] == {
        "loop": "loop_client.cli.app:main",
        "loop-mcp": "loop_client.mcp_server.stdio:main",
    }
    pins = dict(dep.split("==") for dep in project["dependencies"])
    assert (
        pins["httpx"] == "0.28.1"
        and pins["typer"] == "0.20.0"
        and pins["rich"] == "14.2.0"
        and pins["mcp"] == "1.27.1"
    )
    assert not any(name.lower().startswith("django") for name in pins)


def test_client_source_never_imports_the_server():
    offenders = []
    for path in (CLIENT_DIR / "loop_client").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [
                f"{path.name}: {name}" for name in names if name.split(".")[0] in SERVER_PACKAGES
            ]
    assert offenders == []


BLOCK_DJANGO = (
    "import sys\n"
    "for name in ('django', 'rest_framework'):\n"
    "    sys.modules[name] = None  # any import of it now fails\n"
)


@pytest.mark.parametrize(
    "program",
    [
        "from loop_client.cli.app import app\napp(['--help'], prog_name='loop')",
        "from loop_client.mcp_server.stdio import app\napp(['--help'], prog_name='loop-mcp')",
        "import loop_client, loop_client.mcp_server.stateless\nprint(loop_client.LoopClient())",
    ],
)
def test_commands_run_where_django_cannot_be_imported(program):
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_DJANGO + program],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def _console_script(name: str) -> str:
    candidate = Path(sys.executable).with_name(name)
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: pip install -e ./client")
    return found


def test_console_scripts_are_installed():
    for name in ("loop", "loop-mcp"):
        result = subprocess.run(
            [_console_script(name), "--version"], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0 and result.stdout.startswith(name), result.stderr


@pytest.mark.django_db(transaction=True)
def test_loop_mcp_over_stdio_lists_and_calls_tools(live_loop):
    params = StdioServerParameters(
        command=_console_script("loop-mcp"),
        args=["--agent-name", "stdio-agent"],
        env={**os.environ, "LOOP_API_URL": live_loop.url, "LOOP_API_KEY": live_loop.key},
    )

    async def main() -> None:
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                assert init.serverInfo.name == "loop"
                tools = await session.list_tools()
                assert {t.name for t in tools.tools} == EXPECTED_TOOLS
                created = await session.call_tool(
                    "create_issue", {"title": "From stdio", "status": "todo"}
                )
                assert not created.isError, created.content
                comment = await session.call_tool(
                    "create_comment", {"issueId": created.structuredContent["id"], "body": "hello"}
                )
                assert comment.structuredContent["authorName"] == "stdio-agent"
                claim = await session.call_tool("get_next_task", {})
                assert claim.structuredContent["issue"]["id"] == created.structuredContent["id"]
                stats = await session.call_tool("get_dashboard", {})
                assert stats.structuredContent["issues"]["total"] == 1

    anyio.run(main)
