"""The `loop` CLI against a live server, with the real SDK client underneath."""

from __future__ import annotations

import json

import pytest
from loop_client.cli.app import app
from loop_client.config import read_config
from typer.testing import CliRunner

pytestmark = pytest.mark.django_db(transaction=True)


def loop(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def test_login_then_work_an_issue_through_the_cli(live_loop):
    login = loop("auth", "login", "--api-url", live_loop.url, "--token", live_loop.key)
    assert login.exit_code == 0, login.output
    assert read_config()["url"] == live_loop.url

    created = loop(
        "issues",
        "create",
        "Rotate the signing key",
        "--status",
        "todo",
        "--priority",
        "high",
        "--json",
    )
    assert created.exit_code == 0, created.output
    issue = json.loads(created.stdout)
    assert issue["priority"] == 2 and issue["status"] == "todo"

    listed = json.loads(loop("issues", "list", "--json").stdout)
    assert listed["total"] == 1 and listed["data"][0]["id"] == issue["id"]
    assert "Rotate the signing key" in loop("issues", "view", issue["id"]).stdout

    queue = json.loads(loop("dispatch", "queue", "--json").stdout)
    assert queue["data"][0]["issue"]["id"] == issue["id"]
    claim = json.loads(loop("dispatch", "next", "--json").stdout)
    assert claim["issue"]["id"] == issue["id"] and claim["prompt"]
    done = loop(
        "dispatch", "complete", issue["id"], "-c", claim["claimToken"], "-m", "Rotated", "--json"
    )
    assert done.exit_code == 0 and json.loads(done.stdout)["status"] == "done"
    again = loop("dispatch", "complete", issue["id"], "-c", claim["claimToken"], "-m", "twice")
    assert again.exit_code == 1

    status = json.loads(loop("status", "--json").stdout)
    assert status["health"]["ok"] is True and status["stats"]["issues"]["total"] == 1


def test_exit_codes_against_a_live_server(live_loop):
    assert (
        loop(
            "issues", "view", "missing", "--api-url", live_loop.url, "--token", live_loop.key
        ).exit_code
        == 3
    )
    assert (
        loop("issues", "list", "--api-url", live_loop.url, "--token", "loop_nope_nope").exit_code
        == 2
    )
    reader = live_loop.new_key(scopes=["read"], name="reader")
    assert (
        loop("labels", "create", "x", "--api-url", live_loop.url, "--token", reader).exit_code == 2
    )
    bad = loop(
        "issues",
        "create",
        "x",
        "--parent",
        "missing",
        "--api-url",
        live_loop.url,
        "--token",
        live_loop.key,
        "--json",
    )
    assert bad.exit_code == 1 and "parentId" in json.loads(bad.stderr)["fieldErrors"]
