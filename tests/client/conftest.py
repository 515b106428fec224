"""Fixtures for the client package's tests: an isolated CLI environment and runner."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from loop_client.cli.app import app
from loop_client.cli.state import CliState
from typer.testing import CliRunner

from tests.client.fakes import FakeApi


@pytest.fixture(autouse=True)
def isolated_client_env(tmp_path, monkeypatch) -> Path:
    """No test reads the developer's real config or environment."""
    config = tmp_path / "loop" / "config.json"
    monkeypatch.setenv("LOOP_CONFIG_FILE", str(config))
    monkeypatch.delenv("LOOP_API_URL", raising=False)
    monkeypatch.delenv("LOOP_API_KEY", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return config


@dataclass
class CliHarness:
    api: FakeApi = field(default_factory=FakeApi)
    connections: list[dict[str, Any]] = field(default_factory=list)

    def factory(self, **kwargs: Any):
        self.connections.append(kwargs)
        return self.api.client(**kwargs)

    def __call__(self, *args: str, input: str | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(
            app, list(args), input=input, obj=CliState(client_factory=self.factory)
        )


@pytest.fixture
def cli() -> CliHarness:
    return CliHarness()


CliFixture = Callable[..., Result]


@dataclass
class LiveLoop:
    """A live Loop server (pytest-django's ``live_server``) and a key to call it with."""

    url: str
    key: str

    def client(self, key: str | None = None, **kwargs: Any):
        from loop_client import LoopClient

        return LoopClient(api_url=self.url, api_key=key if key is not None else self.key, **kwargs)

    def new_key(self, *, scopes: list[str] | None = None, name: str = "agent") -> str:
        from tests.factories import make_api_key

        return make_api_key(name=name, scopes=scopes)[1]


@pytest.fixture
def live_loop(live_server, transactional_db) -> LiveLoop:
    from tests.factories import make_api_key, seed_default_templates

    seed_default_templates()
    # The test server writes a response's headers and body in separate sends; with Nagle on,
    # each keep-alive request then waits ~40 ms for a delayed ACK. Accepted sockets inherit this.
    httpd = getattr(getattr(live_server, "thread", None), "httpd", None)
    if httpd is not None:
        httpd.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    _, plaintext = make_api_key(name="client-tests")
    return LiveLoop(url=live_server.url, key=plaintext)
