"""``loop auth``: log in (check and store the API URL and key), log out, show the state."""

from __future__ import annotations

from typing import Annotated

import typer

from loop_client.cli.state import EXIT_AUTH, EXIT_ERROR, command, current_state, fail, out
from loop_client.config import config_path, mask_secret, read_config, write_config
from loop_client.sdk.errors import AuthenticationError, LoopConnectionError, PermissionDeniedError

app = typer.Typer(no_args_is_help=True)


@command(app, "login")
def login(
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Store without checking the key against the server.")
    ] = False,
) -> None:
    """Store the server URL and API key (asks for what --api-url/--token do not give).

    The key is checked against the server first, then written to the config file, readable by
    you only (mode 0600)."""
    state = current_state()
    output = out()
    url = state.api_url or typer.prompt("Loop API URL", default=state.connection().api_url)
    token = state.token or typer.prompt("API key (loop_…)", hide_input=True)
    url, token = url.strip().rstrip("/"), token.strip()
    if not token:
        raise fail("An API key is required.")
    state.apply(json_output=False, plain=False, api_url=url, token=token)
    verified = False
    if not no_verify:
        loop = state.client_factory(api_url=url, api_key=token)
        try:
            with output.spinner("Checking the key"):
                loop.dashboard.stats()
            verified = True
        except AuthenticationError as exc:
            raise fail(
                f"{url} rejected the key ({exc.message}); nothing was saved.", EXIT_AUTH
            ) from exc
        except PermissionDeniedError:
            # The key is real but cannot read the dashboard (e.g. a dispatch-only key): keep it.
            output.warn("The key is valid but lacks the read scope; saved anyway.")
        except LoopConnectionError as exc:
            raise fail(
                f"{exc}; nothing was saved (use --no-verify to save anyway).", EXIT_ERROR
            ) from exc
        finally:
            loop.close()
    stored = read_config()
    stored.update(url=url, token=token)
    path = write_config(stored)
    if output.is_json:
        output.json(
            {"url": url, "token": mask_secret(token), "configFile": str(path), "verified": verified}
        )
        return
    output.success(f"Logged in to {url} as {mask_secret(token)}; saved to {path}")


@command(app, "logout")
def logout() -> None:
    """Forget the stored API key (the URL stays)."""
    stored = read_config()
    had_token = stored.pop("token", None) is not None
    path = write_config(stored)
    output = out()
    if output.is_json:
        output.json({"loggedOut": had_token, "configFile": str(path)})
        return
    output.success("Logged out: key removed from " + str(path) if had_token else "No stored key.")


@command(app, "status")
def status() -> None:
    """Which server and key the CLI uses, and whether the server accepts the key."""
    state = current_state()
    conn = state.connection()
    output = out()
    result = {
        "url": conn.api_url,
        "urlSource": conn.url_source,
        "token": mask_secret(conn.api_key),
        "tokenSource": conn.key_source,
        "configFile": str(config_path()),
        "authenticated": False,
    }
    code = 0
    if conn.api_key:
        try:
            state.client().dashboard.stats()
            result["authenticated"] = True
        except (AuthenticationError, PermissionDeniedError) as exc:
            result["error"] = exc.message
            # A key without the read scope is still a valid key.
            result["authenticated"] = isinstance(exc, PermissionDeniedError)
            code = 0 if result["authenticated"] else EXIT_AUTH
    else:
        result["error"] = "No API key: run `loop auth login` or set LOOP_API_KEY."
        code = EXIT_AUTH
    if output.is_json:
        output.json(result)
    else:
        output.record(
            "Authentication",
            [
                ("Server", f"{conn.api_url}  ({conn.url_source})"),
                ("API key", f"{mask_secret(conn.api_key)}  ({conn.key_source or 'none'})"),
                ("Config file", str(config_path())),
                (
                    "Status",
                    "authenticated"
                    if result["authenticated"]
                    else f"not authenticated: {result.get('error')}",
                ),
            ],
        )
    if code:
        raise typer.Exit(code)
