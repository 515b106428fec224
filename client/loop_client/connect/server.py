"""Checks ``loop connect`` makes against the server before it writes anything: the URL answers
``/health`` as a Loop server, the key passes an authenticated call, the project exists (or is
created)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from loop_client.sdk.client import LoopClient
from loop_client.sdk.errors import (
    APIError,
    AuthenticationError,
    LoopConnectionError,
    LoopError,
    PermissionDeniedError,
)
from loop_client.sdk.models import Project

EXIT_ERROR = 1
EXIT_AUTH = 2
# A person is waiting: fail fast on a dead or wrong URL rather than retrying for a minute.
CHECK_TIMEOUT = 10.0
MAX_PROJECTS = 1000


class ConnectError(Exception):
    """Why connecting failed, as one sentence, and the exit code it means."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Server:
    client: LoopClient
    projects: list[Project]


def normalise_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or len(url) <= len("https://"):
        raise ConnectError(f"{url or 'the server URL'} is not an http:// or https:// URL")
    return url


def check_server(factory: Callable[..., LoopClient], api_url: str, api_key: str) -> Server:
    """Reach the server and prove the key; returns a client and the projects the key can see."""
    client = factory(api_url=api_url, api_key=api_key, timeout=CHECK_TIMEOUT, max_retries=0)
    try:
        try:
            health = client.health()
        except LoopConnectionError as exc:
            raise ConnectError(str(exc)) from None  # "Could not reach Loop at <url> (<why>)"
        except APIError as exc:
            raise ConnectError(
                f"{api_url}/health answered {exc.status_code}: is this a Loop server?"
            ) from None
        except (LoopError, ValidationError, ValueError):
            raise ConnectError(f"{api_url} does not answer like a Loop server") from None
        if not health.ok:
            raise ConnectError(f"Loop at {api_url} says it is not healthy; try again later")
        try:
            projects = list(client.projects.iter(max_items=MAX_PROJECTS))
        except AuthenticationError:
            raise ConnectError(f"{api_url} rejected the API key", EXIT_AUTH) from None
        except PermissionDeniedError:
            raise ConnectError(
                "the API key lacks the read scope (an agent needs read, write and dispatch)",
                EXIT_AUTH,
            ) from None
        except LoopError as exc:
            raise ConnectError(f"checking the key failed: {exc}") from None
    except BaseException:
        client.close()
        raise
    return Server(client=client, projects=projects)


def find_project(projects: Sequence[Project], wanted: str) -> Project | None:
    """The project whose id is ``wanted``, else the one so named (case-insensitive)."""
    for project in projects:
        if project.id == wanted:
            return project
    named = [p for p in projects if p.name.casefold() == wanted.strip().casefold()]
    if len(named) > 1:
        raise ConnectError(f"{len(named)} projects are named {wanted!r}: pass the project's id")
    return named[0] if named else None


def create_project(client: LoopClient, name: str) -> Project:
    try:
        return client.projects.create(name=name.strip())
    except PermissionDeniedError:
        raise ConnectError(
            "the API key cannot create projects (it lacks the write scope)", EXIT_AUTH
        ) from None
    except LoopError as exc:
        raise ConnectError(f"could not create project {name!r}: {exc}") from None


def describe(project: Project | None) -> dict[str, Any] | None:
    return None if project is None else {"id": project.id, "name": project.name}
