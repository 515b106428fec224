"""Which tools a repository uses, and every file change ``loop connect`` would make for them.

Nothing here writes: :func:`build_plan` reads the current files and returns the changes (with
their old and new text) and the notes to print, so a dry run and a real run see the same thing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from loop_client import skill
from loop_client.connect import content
from loop_client.connect.edits import (
    EditError,
    ensure_line,
    merge_mcp_server,
    upsert_block,
    upsert_env,
)
from loop_client.connect.files import FileChange, WriteError, read_text

KeyStore = Literal["config", "env-file", "none"]

# In the order they are listed and written.
TOOLS: dict[str, str] = {
    "claude": "Claude Code (.claude/ or CLAUDE.md)",
    "cursor": "Cursor (.cursor/)",
    "windsurf": "Windsurf (.windsurf/)",
    "openhands": "OpenHands (.openhands/)",
    "agents": "AGENTS.md readers (Codex and others)",
    "mcp-json": "a project .mcp.json",
}
SERVER_NAME = "loop"


def detect(root: Path) -> list[str]:
    """The tools a repository shows signs of, in :data:`TOOLS` order."""
    found = []
    if (root / ".claude").is_dir() or (root / "CLAUDE.md").exists():
        found.append("claude")
    if (root / ".cursor").is_dir():
        found.append("cursor")
    if (root / ".windsurf").is_dir():
        found.append("windsurf")
    if (root / ".openhands").is_dir():
        found.append("openhands")
    if (root / "AGENTS.md").exists():
        found.append("agents")
    if (root / ".mcp.json").exists() and "claude" not in found:
        found.append("mcp-json")
    return found


# --- git --------------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    if shutil.which("git") is None:
        return None
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def repository_root(start: Path) -> Path:
    """The git work tree's top (so `loop connect` works from any subfolder), else ``start``."""
    result = _git(start, "rev-parse", "--show-toplevel")
    if result is not None and result.returncode == 0 and result.stdout.strip():
        return Path(result.stdout.strip())
    return start


def _is_git_repo(root: Path) -> bool:
    result = _git(root, "rev-parse", "--is-inside-work-tree")
    return result is not None and result.returncode == 0


def git_ignores(root: Path, relative: str) -> bool:
    result = _git(root, "check-ignore", "-q", "--no-index", relative)
    return result is not None and result.returncode == 0


def git_tracks(root: Path, relative: str) -> bool:
    result = _git(root, "ls-files", "--error-unmatch", relative)
    return result is not None and result.returncode == 0


# --- the plan ----------------------------------------------------------------------------------


@dataclass
class Plan:
    root: Path
    tools: list[str]
    changes: list[FileChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def pending(self) -> list[FileChange]:
        return [change for change in self.changes if change.changed]


class _Builder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.by_target: dict[Path, FileChange] = {}
        self.order: list[Path] = []

    def edit(
        self,
        relative: str | Path,
        make: Callable[[str | None], str],
        *,
        secret: bool = False,
        summary: str = "",
        absolute: bool = False,
    ) -> None:
        path = Path(relative) if absolute else self.root / relative
        # Two names for one file (CLAUDE.md -> AGENTS.md) get one change, edited in turn.
        target = path.resolve()
        existing = self.by_target.get(target)
        try:
            if existing is None:
                old = read_text(path)
                change = FileChange(
                    path=path, old=old, new=make(old), secret=secret, summary=summary
                )
                self.by_target[target] = change
                self.order.append(target)
            else:
                existing.new = make(existing.new)
        except EditError as exc:
            raise WriteError(f"{path}: {exc}; nothing was written") from None

    def changes(self) -> list[FileChange]:
        return [self.by_target[target] for target in self.order]


def build_plan(
    root: Path,
    tools: list[str],
    settings: content.Settings,
    *,
    api_key: str,
    key_store: KeyStore,
    config_file: Path,
) -> Plan:
    """Every change for ``tools`` in ``root``, plus the key's storage. Raises :class:`WriteError`
    when a file cannot be edited safely (nothing is written then)."""
    unknown = [tool for tool in tools if tool not in TOOLS]
    if unknown:
        raise ValueError(f"unknown tool {unknown[0]!r}: choose from {', '.join(TOOLS)}")
    build = _Builder(root)
    plan = Plan(root=root, tools=list(tools))
    skill_dir = Path(".claude") / "skills" / skill.SKILL_NAME

    def mcp(relative: str, entry: dict[str, object]) -> None:
        build.edit(relative, lambda old: merge_mcp_server(old, SERVER_NAME, entry))

    def block(relative: str, guide: str) -> None:
        text = content.instructions(settings, guide=guide)
        build.edit(relative, lambda old: upsert_block(old, text))

    def whole(relative: str | Path, text: str) -> None:
        build.edit(relative, lambda _old: text)

    for tool in TOOLS:  # fixed order, whatever order they were asked in
        if tool not in tools:
            continue
        if tool == "claude":
            mcp(".mcp.json", content.claude_mcp_entry(settings))
            for name, text in skill.files().items():
                whole(skill_dir / name, text)
            block("CLAUDE.md", f"the `loop` skill ({skill_dir / skill.SKILL_FILE})")
            plan.notes.append(
                "Claude Code asks once to approve the project's MCP server `loop` "
                "(or approve it under /mcp)."
            )
        elif tool == "mcp-json":
            mcp(".mcp.json", content.claude_mcp_entry(settings))
        elif tool == "cursor":
            mcp(".cursor/mcp.json", content.cursor_mcp_entry(settings))
            whole(".cursor/rules/loop.mdc", content.cursor_rule())
        elif tool == "windsurf":
            whole(".windsurf/rules/loop.md", content.windsurf_rule(settings))
            snippet = json.dumps(
                {"mcpServers": {SERVER_NAME: content.windsurf_mcp_entry(settings)}}, indent=2
            )
            plan.notes.append(
                "Windsurf keeps MCP servers in your home folder, not the repository: add this to "
                f"~/.codeium/windsurf/mcp_config.json:\n{snippet}"
            )
        elif tool == "openhands":
            whole(".openhands/microagents/loop.md", content.openhands_microagent())
            plan.notes.append(
                "OpenHands reads MCP servers from its own settings: add this to its "
                f"config.toml (or its MCP settings page):\n{content.openhands_mcp_config(settings)}"
            )
        elif tool == "agents":
            block("AGENTS.md", "`loop skill show` prints it")

    _store_key(build, plan, settings, api_key=api_key, key_store=key_store, config_file=config_file)
    plan.changes = build.changes()

    if settings.transport == "stdio" and shutil.which(content.MCP_COMMAND) is None:
        plan.notes.append(
            f"`{content.MCP_COMMAND}` is not on this PATH: install the client (pip install "
            "loop-client) where your editor can run it, or use --transport http."
        )
    return plan


def _store_key(
    build: _Builder,
    plan: Plan,
    settings: content.Settings,
    *,
    api_key: str,
    key_store: KeyStore,
    config_file: Path,
) -> None:
    needs_env = settings.transport == "http"
    if key_store == "config":

        def with_key(old: str | None) -> str:
            try:
                data = json.loads(old) if old else {}
            except ValueError:
                data = {}
            data = data if isinstance(data, dict) else {}
            data.update(url=settings.api_url, token=api_key)
            # The same layout `loop auth login` writes, so an unchanged key is an unchanged file.
            return json.dumps(data, indent=2, sort_keys=True) + "\n"

        build.edit(
            config_file,
            with_key,
            secret=True,
            summary="sets url and token (the API key)",
            absolute=True,
        )
        usual = Path.home() / ".config" / "loop" / "config.json"
        if settings.transport == "stdio" and config_file.resolve() != usual.resolve():
            # LOOP_CONFIG_FILE / XDG_CONFIG_HOME are not passed on by every MCP client.
            plan.notes.append(
                f"The key is stored in {config_file}, not {usual}: an editor that starts "
                "loop-mcp without your environment will not find it there. Start it from a "
                "shell where LOOP_CONFIG_FILE or LOOP_API_KEY is set, or use --key-store env-file."
            )
    elif key_store == "env-file":
        relative = content.ENV_FILE
        if _is_git_repo(plan.root) and git_tracks(plan.root, relative):
            raise WriteError(
                f"{relative} is tracked by git, so the key would be committed: "
                f"`git rm --cached {relative}` first, or use --key-store config"
            )
        build.edit(
            relative,
            lambda old: upsert_env(
                old,
                {"LOOP_API_URL": settings.api_url, content.KEY_ENV: api_key},
                header="# Loop connection for this repository (written by `loop connect`). "
                "Never commit this file.",
            ),
            secret=True,
            summary=f"sets LOOP_API_URL and {content.KEY_ENV}",
        )
        ignored = (
            git_ignores(plan.root, relative)
            if _is_git_repo(plan.root)
            else relative in (read_text(plan.root / ".gitignore") or "").splitlines()
        )
        if not ignored:
            build.edit(
                ".gitignore",
                lambda old: ensure_line(old, relative, "# Loop API key (`loop connect`)"),
            )
        needs_env = needs_env or "claude" in plan.tools or "mcp-json" in plan.tools
    else:
        needs_env = True
    if needs_env:
        source = (
            f"set -a; . ./{content.ENV_FILE}; set +a"
            if key_store == "env-file"
            else "export LOOP_API_KEY=<your key>"
        )
        plan.notes.append(
            "Your MCP config reads the key from the environment: start your editor or agent "
            f"from a shell where LOOP_API_KEY is set ({source})."
        )
