"""What ``loop connect`` writes for each tool: MCP server entries, the standing instructions and
the skill in each tool's own format. Pure functions of the connection settings; no key ever
appears in their output (configs refer to ``LOOP_API_KEY`` in the environment instead)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from loop_client import skill

Transport = Literal["stdio", "http"]
KEY_ENV = "LOOP_API_KEY"
ENV_FILE = ".env.loop"
MCP_COMMAND = "loop-mcp"


@dataclass(frozen=True)
class Settings:
    api_url: str
    transport: Transport = "stdio"
    profile: str = "core"
    project_id: str | None = None
    project_name: str | None = None
    # The key lives in the repository's git-ignored env file rather than the user's config file.
    env_file: bool = False

    @property
    def mcp_url(self) -> str:
        query = {"profile": self.profile}
        if self.project_id:
            query["project"] = self.project_id
        return f"{self.api_url}/mcp?{urlencode(query)}"

    @property
    def stdio_args(self) -> list[str]:
        args = ["--profile", self.profile]
        if self.project_id:
            args += ["--project", self.project_id]
        return args


# --- MCP entries ---------------------------------------------------------------------------


def claude_mcp_entry(s: Settings) -> dict[str, Any]:
    """Claude Code's project ``.mcp.json``; it expands ``${VAR}`` and ``${VAR:-default}``."""
    if s.transport == "http":
        return {
            "type": "http",
            "url": s.mcp_url,
            "headers": {"Authorization": f"Bearer ${{{KEY_ENV}}}"},
        }
    # `:-` so an unset variable expands to nothing and loop-mcp falls back to the config file.
    return {
        "type": "stdio",
        "command": MCP_COMMAND,
        "args": s.stdio_args,
        "env": {"LOOP_API_URL": s.api_url, KEY_ENV: f"${{{KEY_ENV}:-}}"},
    }


def cursor_mcp_entry(s: Settings) -> dict[str, Any]:
    """Cursor's ``.cursor/mcp.json``; it expands ``${env:VAR}`` and ``${workspaceFolder}``."""
    if s.transport == "http":
        return {"url": s.mcp_url, "headers": {"Authorization": f"Bearer ${{env:{KEY_ENV}}}"}}
    entry: dict[str, Any] = {"command": MCP_COMMAND, "args": s.stdio_args}
    if s.env_file:
        entry["env"] = {"LOOP_API_URL": s.api_url}
        entry["envFile"] = f"${{workspaceFolder}}/{ENV_FILE}"
    else:
        entry["env"] = {"LOOP_API_URL": s.api_url, KEY_ENV: f"${{env:{KEY_ENV}}}"}
    return entry


def windsurf_mcp_entry(s: Settings) -> dict[str, Any]:
    """For ``~/.codeium/windsurf/mcp_config.json``: printed, never written (it is not in the
    repository)."""
    if s.transport == "http":
        return {
            "serverUrl": s.mcp_url,
            "headers": {"Authorization": f"Bearer ${{env:{KEY_ENV}}}"},
        }
    return {"command": MCP_COMMAND, "args": s.stdio_args, "env": {"LOOP_API_URL": s.api_url}}


def openhands_mcp_config(s: Settings) -> str:
    """For OpenHands' ``config.toml``: printed, never written."""
    if s.transport == "http":
        return (
            f'[mcp]\nshttp_servers = [{{ url = "{s.mcp_url}", api_key = "<your LOOP_API_KEY>" }}]\n'
        )
    args = ", ".join(json.dumps(arg) for arg in s.stdio_args)
    return (
        "[mcp]\n"
        f'stdio_servers = [{{ name = "loop", command = "{MCP_COMMAND}", args = [{args}], '
        f'env = {{ LOOP_API_URL = "{s.api_url}", {KEY_ENV} = "<your LOOP_API_KEY>" }} }}]\n'
    )


# --- instructions ----------------------------------------------------------------------------


def _project_line(s: Settings) -> str:
    if not s.project_id:
        return ""
    name = f"**{s.project_name}** " if s.project_name else ""
    return f"\nIts project here: {name}(`{s.project_id}`)."


def instructions(s: Settings, *, guide: str) -> str:
    """The standing instructions for CLAUDE.md / AGENTS.md / rules: short, since a tool may load
    them on every turn. ``guide`` says where the full skill is."""
    next_cmd = "loop dispatch next --json" + (" --project <id>" if s.project_id else "")
    return f"""\
## Loop

This repository takes work from Loop at {s.api_url}.{_project_line(s)}
Loop hands out issues (signals, hypotheses, plans, tasks, monitors) one at a time from its
queue, each with a prompt that is your brief for it.

- Claim with `get_next_task` (MCP) or `{next_cmd}`. Nothing to claim: stop.
- Follow the prompt. Keep the `claimToken`; on long work heartbeat (`heartbeat_task`) about
  every ten minutes.
- Finish with `complete_task`: what you did and how you verified it, plus commits and pull
  requests. Cannot do it? Release it (`loop dispatch release <id> -c <claimToken> -r "<why>"`),
  or complete it as canceled with the reason if it should not be done.
- Rate every prompt with `submit_prompt_review` (`meta.versionId`, honest 1-5 scores, one line
  of feedback).
- A 409 means your claim is gone: stop and claim again. Report anything outside your issue as a
  signal or a new issue; do not widen the work.
- Never write `LOOP_API_KEY` into a file.

The full guide: {guide}."""


def _scalar(value: str) -> str:
    """A YAML scalar: plain when that reads back as the same string, else double-quoted (JSON's
    string syntax is valid YAML)."""
    plain_safe = (
        value == value.strip()
        and ": " not in value
        and " #" not in value
        and not value.endswith(":")
        and (not value or value[0] not in "-?:,[]{}#&*!|>'\"%@`")
        and value.lower() not in ("true", "false", "null", "yes", "no", "on", "off", "~")
    )
    return value if plain_safe else json.dumps(value, ensure_ascii=False)


def _front_matter(fields: list[tuple[str, str | bool | list[str] | None]]) -> str:
    lines = ["---"]
    for key, value in fields:
        if isinstance(value, bool):
            lines.append(f"{key}: {'true' if value else 'false'}")
        elif value is None:
            lines.append(f"{key}:")
        elif isinstance(value, list):
            lines.append(f"{key}:")
            lines.extend(f"- {_scalar(item)}" for item in value)
        else:
            lines.append(f"{key}: {_scalar(value)}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def _portable_body() -> str:
    """The skill's body for tools that get it without reference.md beside it."""
    return skill.parse().body.replace(
        "[reference.md](reference.md)", "the API reference (`loop skill show --reference`)"
    )


def cursor_rule() -> str:
    """``.cursor/rules/loop.mdc``: an agent-requested rule (Cursor reads the description and
    pulls the rule in when the work is about Loop)."""
    meta = skill.parse()
    return (
        _front_matter([("description", meta.description), ("globs", None), ("alwaysApply", False)])
        + _portable_body()
    )


def windsurf_rule(s: Settings) -> str:
    """``.windsurf/rules/loop.md``: Cascade applies it when the description fits (rule files are
    kept small, so it carries the short instructions and points at the full guide)."""
    meta = skill.parse()
    return (
        _front_matter([("trigger", "model_decision"), ("description", meta.description)])
        + "\n"
        + instructions(
            s,
            guide="`loop skill show` prints it; the API reference is `loop skill show --reference`",
        )
        + "\n"
    )


OPENHANDS_TRIGGERS = ["loop queue", "loop issue", "loop task", "get_next_task", "claimtoken"]


def openhands_microagent() -> str:
    """``.openhands/microagents/loop.md``: a knowledge microagent, loaded when a message mentions
    one of its triggers."""
    return (
        _front_matter(
            [
                ("name", skill.SKILL_NAME),
                ("type", "knowledge"),
                ("version", "1.0.0"),
                ("agent", "CodeActAgent"),
                ("triggers", OPENHANDS_TRIGGERS),
            ]
        )
        + _portable_body()
    )
