"""``loop config``: read and change the stored URL and key."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from loop_client.cli.state import EXIT_NOT_FOUND, command, current_state, fail, out
from loop_client.config import config_path, mask_secret, read_config, write_config

app = typer.Typer(no_args_is_help=True)


class Key(StrEnum):
    URL = "url"
    TOKEN = "token"


@command(app, "show")
def show(
    reveal: Annotated[bool, typer.Option("--reveal", help="Show the full key.")] = False,
) -> None:
    """The settings in effect and where each comes from."""
    conn = current_state().connection()
    token = conn.api_key if reveal else mask_secret(conn.api_key)
    output = out()
    if output.is_json:
        output.json(
            {
                "url": conn.api_url,
                "urlSource": conn.url_source,
                "token": token,
                "tokenSource": conn.key_source,
                "configFile": str(config_path()),
            }
        )
        return
    output.record(
        "Loop CLI configuration",
        [
            ("url", f"{conn.api_url}  ({conn.url_source})"),
            ("token", f"{token}  ({conn.key_source or 'not set'})"),
            ("file", str(config_path())),
        ],
    )


@command(app, "get")
def get(
    key: Annotated[Key, typer.Argument(help="url or token.")],
    reveal: Annotated[bool, typer.Option("--reveal", help="Show the full key.")] = False,
) -> None:
    """Print one stored setting."""
    value = read_config().get(key.value)
    if value is None:
        raise fail(f"{key.value} is not set in {config_path()}", EXIT_NOT_FOUND)
    shown = value if key is Key.URL or reveal else mask_secret(value)
    output = out()
    if output.is_json:
        output.json({key.value: shown})
    else:
        typer.echo(shown)


@command(app, "set")
def set_(
    key: Annotated[Key, typer.Argument(help="url or token.")],
    value: Annotated[str, typer.Argument()],
) -> None:
    """Store a setting (the file is kept readable by you only)."""
    stored = read_config()
    stored[key.value] = value.rstrip("/") if key is Key.URL else value
    path = write_config(stored)
    output = out()
    if output.is_json:
        output.json(
            {
                key.value: stored[key.value] if key is Key.URL else mask_secret(value),
                "configFile": str(path),
            }
        )
        return
    output.success(f"{key.value} saved to {path}")


@command(app, "unset")
def unset(key: Annotated[Key, typer.Argument(help="url or token.")]) -> None:
    """Remove a stored setting."""
    stored = read_config()
    removed = stored.pop(key.value, None) is not None
    path = write_config(stored)
    output = out()
    if output.is_json:
        output.json({"removed": removed, "key": key.value, "configFile": str(path)})
        return
    output.success(f"{key.value} removed from {path}" if removed else f"{key.value} was not set")


@command(app, "path")
def path() -> None:
    """Print where the config file lives."""
    output = out()
    if output.is_json:
        output.json({"configFile": str(config_path())})
    else:
        typer.echo(str(config_path()))
