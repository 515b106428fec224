"""Where the ``loop`` CLI and ``loop-mcp`` find the API URL and key.

Precedence, highest first: command-line flags, ``LOOP_API_URL`` / ``LOOP_API_KEY``, the config
file written by ``loop auth login``, then the default local URL. The file is JSON at
``$LOOP_CONFIG_FILE``, else ``$XDG_CONFIG_HOME/loop/config.json``, else
``~/.config/loop/config.json``; it holds a secret, so it is created readable by its owner only.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loop_client.sdk.client import API_KEY_ENV, API_URL_ENV, DEFAULT_API_URL

CONFIG_FILE_ENV = "LOOP_CONFIG_FILE"
CONFIG_KEYS = ("url", "token")


def config_path() -> Path:
    explicit = os.environ.get(CONFIG_FILE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "loop" / "config.json"


def read_config(path: Path | None = None) -> dict[str, Any]:
    """The stored settings, or ``{}`` when there is no (readable, valid) file."""
    path = path or config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_config(data: dict[str, Any], path: Path | None = None) -> Path:
    """Replace the file atomically with mode 0600 (its directory 0700)."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Write a private temp file and rename it over the old one: the secret is never readable by
    # others, not even for a moment, and a crash never leaves half a file.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".json")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


@dataclass(frozen=True)
class Connection:
    api_url: str
    api_key: str | None
    url_source: str
    key_source: str | None


def resolve_connection(*, api_url: str | None = None, api_key: str | None = None) -> Connection:
    """Pick the URL and key by precedence, remembering where each came from (for `loop config`)."""
    stored = read_config()
    if api_url:
        url, url_source = api_url, "flag"
    elif os.environ.get(API_URL_ENV):
        url, url_source = os.environ[API_URL_ENV], f"env {API_URL_ENV}"
    elif stored.get("url"):
        url, url_source = str(stored["url"]), "config file"
    else:
        url, url_source = DEFAULT_API_URL, "default"
    key: str | None
    if api_key:
        key, key_source = api_key, "flag"
    elif os.environ.get(API_KEY_ENV):
        key, key_source = os.environ[API_KEY_ENV], f"env {API_KEY_ENV}"
    elif stored.get("token"):
        key, key_source = str(stored["token"]), "config file"
    else:
        key, key_source = None, None
    return Connection(
        api_url=url.rstrip("/"), api_key=key, url_source=url_source, key_source=key_source
    )


def mask_secret(secret: str | None) -> str:
    """Enough of a key to recognise it, never enough to use it: ``loop_ab12…wxyz``."""
    if not secret:
        return "(not set)"
    if len(secret) <= 12:
        return "****"
    return f"{secret[:9]}…{secret[-4:]}"
