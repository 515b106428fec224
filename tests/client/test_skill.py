"""The skill's files: valid Agent Skills front matter, every endpoint, CLI command and MCP tool they
name exists, `loop skill show|install`, and SKILL.md ships inside the wheel."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

import click
import typer
import yaml
from loop_client import skill
from loop_client.cli.app import app
from loop_client.mcp_server.tools import CORE_TOOLS, TOOLS
from typer.testing import CliRunner

from tests.client.skill_examples import extract

CLIENT_DIR = Path(__file__).resolve().parents[2] / "client"
SKILL = skill.read()
REFERENCE = skill.read("reference.md")
TEXTS = {"SKILL.md": SKILL, "reference.md": REFERENCE}


def test_front_matter_follows_the_agent_skills_format():
    head, _, body = SKILL.removeprefix("---\n").partition("\n---\n")
    meta = yaml.safe_load(head)
    assert set(meta) == {"name", "description"}
    assert meta["name"] == skill.SKILL_NAME == "loop"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta["name"]) and len(meta["name"]) <= 64
    # The description says what it is and when to use it, within the format's limit.
    assert 100 < len(meta["description"]) <= 1024
    assert "Use when" in meta["description"]
    parsed = skill.parse()
    assert (parsed.name, parsed.description, parsed.body) == (
        meta["name"],
        meta["description"],
        body,
    )
    # Kept short enough to load whole (the format suggests under 500 lines).
    assert len(SKILL.splitlines()) < 500


def test_skill_covers_what_the_issue_asks_for():
    for needle in (
        "signal",
        "hypothesis",
        "plan",
        "blocked_by",
        "monitor",
        "heartbeat",
        "release",
        '"commits"',
        '"pullRequests"',
        "agentSummary",
        "prompt-reviews",
        "Rate every prompt",
    ):
        assert needle in SKILL, needle
    assert "[reference.md](reference.md)" in SKILL


def _schema_operations() -> set[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = set()
    for path, item in schema["paths"].items():
        normalised = re.sub(r"\{[^}]+\}", "{}", path)
        operations |= {(method.upper(), normalised) for method in item}
    return operations


def test_every_endpoint_named_is_in_the_api_schema():
    operations = _schema_operations()
    named = set()
    for text in TEXTS.values():
        for method, path in re.findall(r"`(GET|POST|PATCH|DELETE) (/[^`\s?]*)", text):
            named.add((method, re.sub(r"\{[^}]+\}", "{}", path)))
    assert len(named) >= 15
    # /health is served outside the API schema by design.
    assert named - {("GET", "/health")} <= operations, named - operations


def _cli_commands() -> set[tuple[str, ...]]:
    root = typer.main.get_command(app)
    found: set[tuple[str, ...]] = set()

    def walk(command: click.Command, prefix: tuple[str, ...]) -> None:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                found.add((*prefix, name))
                walk(sub, (*prefix, name))

    walk(root, ())
    return found


def test_every_cli_command_named_exists():
    commands = _cli_commands()
    named = set()
    for text in TEXTS.values():
        for match in re.findall(r"`loop ([a-z][a-z -]*)", text):
            named.add(tuple(word for word in match.split() if not word.startswith("-")))
    assert len(named) >= 10
    for words in named:
        assert words in commands, words


def test_every_cli_example_parses():
    root = typer.main.get_command(app)
    for example in extract(SKILL):
        if not example.code.startswith("loop "):
            continue
        argv = shlex.split(example.code.replace("\\\n", " "))[1:]
        command: click.Command = root
        words = list(argv)
        while isinstance(command, click.Group):
            command = command.commands[words.pop(0)]
        # Parsing (not running) raises on an unknown option or a missing value.
        command.make_context(command.name, words)


def test_mcp_tools_named_exist_and_the_core_list_is_exact():
    suffixes = ("_task", "_issue", "_issues", "_comment", "_signal", "_review", "_dashboard")
    for name, text in TEXTS.items():
        mentioned = {w for w in re.findall(r"`([a-z]+_[a-z_]+)`", text) if w.endswith(suffixes)}
        assert mentioned and mentioned <= set(TOOLS), (name, mentioned - set(TOOLS))
    for text in TEXTS.values():
        core = re.search(r"`core` (?:profile offers six tools: |\()(.*?)[.)]\s", text, re.DOTALL)
        assert core is not None
        assert tuple(re.findall(r"`(\w+)`", core[1])) == CORE_TOOLS


def test_reference_values_match_the_client():
    from loop_client.sdk.models import IssueStatus, IssueType

    for value in IssueType:
        assert f"`{value.value}`" in REFERENCE
    for value in IssueStatus:
        assert f"`{value.value}`" in REFERENCE


# --- the commands ------------------------------------------------------------------------------


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_skill_show_prints_the_files():
    assert run("skill", "show").stdout == SKILL
    assert run("skill", "show", "--reference").stdout == REFERENCE
    data = json.loads(run("skill", "show", "--json").stdout)
    assert data["name"] == "loop" and data["files"] == {
        "SKILL.md": SKILL,
        "reference.md": REFERENCE,
    }


def test_skill_install_writes_where_a_tool_looks_and_is_idempotent(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = run("skill", "install")
    assert first.exit_code == 0, first.output
    target = tmp_path / ".claude" / "skills" / "loop"
    assert (target / "SKILL.md").read_text() == SKILL
    assert (target / "reference.md").read_text() == REFERENCE
    again = run("skill", "install", "--json")
    assert json.loads(again.stdout)["changed"] == []

    custom = run("skill", "install", "--dir", str(tmp_path / "skills"))
    assert custom.exit_code == 0 and (tmp_path / "skills/loop/SKILL.md").exists()

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    user = run("skill", "install", "--user")
    assert user.exit_code == 0
    assert (tmp_path / "home/.claude/skills/loop/SKILL.md").read_text() == SKILL
    assert run("skill", "install", "--user", "--dir", "x").exit_code == 1

    (tmp_path / "blocked").write_text("a file")
    refused = run("skill", "install", "--dir", str(tmp_path / "blocked"))
    assert refused.exit_code == 1 and "is not a directory" in " ".join(refused.output.split())


# --- packaging ----------------------------------------------------------------------------------


def test_pyproject_ships_the_skill_as_package_data():
    config = tomllib.loads((CLIENT_DIR / "pyproject.toml").read_text())
    assert "skill/*.md" in config["tool"]["setuptools"]["package-data"]["loop_client"]


def test_every_data_file_of_the_package_is_declared_package_data():
    """A file that is not Python ships in the wheel only if package-data names it. (Building the
    wheel needs setuptools>=77 from PyPI, so the build itself is not part of the offline suite.)"""
    from fnmatch import fnmatch

    config = tomllib.loads((CLIENT_DIR / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["loop_client"]
    package = CLIENT_DIR / "loop_client"
    data = [
        path.relative_to(package).as_posix()
        for path in package.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc")
    ]
    assert "skill/SKILL.md" in data and "skill/reference.md" in data
    for name in data:
        assert any(fnmatch(name, pattern) for pattern in patterns), name
