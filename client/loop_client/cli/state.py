"""Per-invocation CLI state, the options every command shares, and the exit-code contract.

Every command accepts ``--json``, ``--plain``, ``--api-url`` and ``--token`` (also accepted before
the command: ``loop --json issues list``). :func:`command` adds them to a command's signature so
each command is written with only its own options.

Exit codes: 0 ok, 1 API or usage error, 2 authentication/permission, 3 not found.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import click
import typer

from loop_client.cli.output import Mode, Output
from loop_client.config import Connection, resolve_connection
from loop_client.sdk.client import LoopClient
from loop_client.sdk.errors import (
    APIError,
    AuthenticationError,
    LoopConnectionError,
    LoopError,
    NotFoundError,
    PermissionDeniedError,
)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_AUTH = 2
EXIT_NOT_FOUND = 3

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliState:
    mode: Mode = Mode.RICH
    api_url: str | None = None
    token: str | None = None
    # Tests swap this for a client on a mock transport.
    client_factory: Callable[..., LoopClient] = LoopClient
    _client: LoopClient | None = field(default=None, repr=False)
    _output: Output | None = field(default=None, repr=False)

    def apply(
        self, *, json_output: bool, plain: bool, api_url: str | None, token: str | None
    ) -> None:
        if json_output and plain:
            raise click.UsageError("--json and --plain cannot be used together")
        if json_output:
            self.mode = Mode.JSON
        elif plain:
            self.mode = Mode.PLAIN
        self.api_url = api_url or self.api_url
        self.token = token or self.token
        self._output = None

    @property
    def output(self) -> Output:
        if self._output is None:
            self._output = Output(self.mode)
        return self._output

    def connection(self) -> Connection:
        return resolve_connection(api_url=self.api_url, api_key=self.token)

    def client(self) -> LoopClient:
        if self._client is None:
            conn = self.connection()
            # "" rather than None: the key was already looked up, don't let the SDK look again.
            self._client = self.client_factory(api_url=conn.api_url, api_key=conn.api_key or "")
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def current_state() -> CliState:
    ctx = click.get_current_context()
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
        root.call_on_close(root.obj.close)
    return root.obj


def client() -> LoopClient:
    return current_state().client()


def out() -> Output:
    return current_state().output


# --- the shared options ----------------------------------------------------------------------

JsonOpt = Annotated[
    bool,
    typer.Option(
        "--json", help="Print the API's JSON (for scripts and agents).", rich_help_panel="Output"
    ),
]
PlainOpt = Annotated[
    bool,
    typer.Option(
        "--plain", help="Tab-separated values, no colour (for pipes).", rich_help_panel="Output"
    ),
]
ApiUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        help="Loop server URL (default: LOOP_API_URL, then the config file).",
        rich_help_panel="Connection",
    ),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token",
        help="API key (default: LOOP_API_KEY, then the config file).",
        rich_help_panel="Connection",
    ),
]

_COMMON = [
    inspect.Parameter(
        "json_output", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=JsonOpt
    ),
    inspect.Parameter("plain", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=PlainOpt),
    inspect.Parameter(
        "api_url", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ApiUrlOpt
    ),
    inspect.Parameter("token", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=TokenOpt),
]


def with_common_options(func: F) -> F:
    """Add the shared options to ``func``'s signature and apply them before it runs."""
    signature = inspect.signature(func, eval_str=True)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        current_state().apply(
            json_output=kwargs.pop("json_output"),
            plain=kwargs.pop("plain"),
            api_url=kwargs.pop("api_url"),
            token=kwargs.pop("token"),
        )
        return func(*args, **kwargs)

    parameters = [*signature.parameters.values(), *_COMMON]
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper  # type: ignore[return-value]


def command(app: typer.Typer, name: str | None = None, **kwargs: Any) -> Callable[[F], F]:
    """``@command(app, "list")``: register a command that takes the shared options."""

    def decorator(func: F) -> F:
        app.command(name, **kwargs)(with_common_options(func))
        return func

    return decorator


# --- errors and exit codes --------------------------------------------------------------------


def exit_code_for(exc: LoopError) -> int:
    if isinstance(exc, (AuthenticationError, PermissionDeniedError)):
        return EXIT_AUTH
    if isinstance(exc, NotFoundError):
        return EXIT_NOT_FOUND
    return EXIT_ERROR


def report_error(exc: LoopError, output: Output) -> int:
    """Print ``exc`` for a person (or as JSON on stderr) and return the exit code it means."""
    hint = None
    if isinstance(exc, AuthenticationError):
        hint = "Run `loop auth login`, set LOOP_API_KEY, or pass --token."
    elif isinstance(exc, PermissionDeniedError):
        hint = "This key lacks the scope for that operation; ask an admin for one that has it."
    elif isinstance(exc, LoopConnectionError):
        hint = "Is the server running? Check --api-url / LOOP_API_URL (`loop config show`)."
    if isinstance(exc, APIError):
        output.error(exc.message, status=exc.status_code, details=exc.field_errors, hint=hint)
    else:
        output.error(str(exc), hint=hint)
    return exit_code_for(exc)


def fail(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    """Report a CLI-side error (bad input the API never saw) and give the exit to raise."""
    out().error(message)
    return typer.Exit(code)
