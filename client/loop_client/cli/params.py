"""Parsers for option values the CLI accepts in friendlier forms than the API."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from loop_client.sdk.models import Priority

PRIORITY_NAMES = {name: number for number, name in Priority.LABELS.items()}
PRIORITY_HELP = "0-4 or none/urgent/high/medium/low."


def parse_priority(value: str | None) -> int | None:
    """``high`` or ``2``; ``None`` when not given."""
    if value is None:
        return None
    text = value.strip().lower()
    if text in PRIORITY_NAMES:
        return PRIORITY_NAMES[text]
    if text.isdigit() and 0 <= int(text) <= 4:
        return int(text)
    raise typer.BadParameter(
        f"{value!r} is not a priority ({PRIORITY_HELP})", param_hint="--priority"
    )


def read_text_arg(value: str, *, param: str) -> str:
    """A literal, ``@path`` for a file's contents, or ``-`` for stdin."""
    if value == "-":
        return sys.stdin.read()
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise typer.BadParameter(
                f"cannot read {path}: {exc.strerror}", param_hint=param
            ) from exc
    return value


def parse_json_object(value: str | None, *, param: str) -> dict[str, Any] | None:
    """A JSON object given literally, as ``@file.json`` or ``-`` (stdin)."""
    if value is None:
        return None
    text = read_text_arg(value, param=param)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not valid JSON ({exc})", param_hint=param) from exc
    if not isinstance(data, dict):
        raise typer.BadParameter("must be a JSON object", param_hint=param)
    return data


def split_csv(values: list[str] | None) -> list[str] | None:
    """Repeated options and comma lists both work: ``-s todo -s done`` == ``-s todo,done``."""
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]
