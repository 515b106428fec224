"""``/mcp``: Loop's MCP server over streamable HTTP, hosted by Loop itself.

Agents connect with no install: the URL and an API key are all they need. The endpoint is
stateless and answers JSON (one POSTed JSON-RPC message, one answer), which suits WSGI workers.

It runs the very tools ``loop-mcp`` serves (``loop_client.mcp_server``), and those tools still
speak only the REST API: their SDK client talks to this Django app in-process through
``httpx.WSGITransport`` with the caller's own key, so scopes, throttles, validation and the audit
trail are exactly the REST API's, with no network loopback.

Query parameters choose what the endpoint offers, so one URL in an agent's config says it all:
``?profile=core`` lists only the six tools an agent working the queue needs (every tool schema
costs the agent context on every turn; the default is ``all``), and ``?project=<id>`` makes
get_next_task claim from that project and new issues and signals land in it unless a call names
another.
"""

from __future__ import annotations

import functools
import json

import httpx
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from loop_client import LoopClient
from loop_client.mcp_server import ToolContext
from loop_client.mcp_server.stateless import handle_post
from loop_client.mcp_server.tools import DEFAULT_PROFILE, PROFILES

from accounts.authentication import authenticate_key
from loop_project.api import error_body

MAX_KEY_LENGTH = 512
MAX_PROJECT_ID_LENGTH = 64


@functools.cache
def _in_process_app() -> WSGIHandler:
    # Built once per process: loading the middleware chain for every tool call would be waste.
    return get_wsgi_application()


def _bearer_token(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_KEY_LENGTH or "\x00" in token:
        return None
    return token


def _unauthorized() -> JsonResponse:
    response = JsonResponse(error_body("Unauthorized"), status=401)
    response["WWW-Authenticate"] = 'Bearer realm="loop"'
    return response


@csrf_exempt
def mcp_endpoint(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        # Stateless: no server-to-client stream (GET) and no session to end (DELETE).
        response = JsonResponse(
            error_body("Method not allowed: POST one JSON-RPC message"), status=405
        )
        response["Allow"] = "POST"
        return response
    token = _bearer_token(request)
    agent = authenticate_key(token) if token else None
    if token is None or agent is None:
        return _unauthorized()
    profile = request.GET.get("profile") or DEFAULT_PROFILE
    if profile not in PROFILES:
        return JsonResponse(
            error_body(
                f"Unknown tool profile {profile!r}: use {' or '.join(PROFILES)}",
                {"profile": [f"Must be one of: {', '.join(PROFILES)}."]},
            ),
            status=400,
        )
    project_id = request.GET.get("project") or None
    if project_id is not None and (
        len(project_id) > MAX_PROJECT_ID_LENGTH or not project_id.isprintable()
    ):
        return JsonResponse(
            error_body("Invalid project id", {"project": ["Not a project id."]}), status=400
        )

    clients: list[LoopClient] = []

    def context() -> ToolContext:
        # Same scheme and host as the caller's request, so ALLOWED_HOSTS and HTTPS settings
        # treat the in-process call like the original one.
        client = LoopClient(
            api_url=f"{request.scheme}://{request.get_host()}",
            api_key=token,
            transport=httpx.WSGITransport(app=_in_process_app()),
            # A busy answer goes back to the agent at once; its own client decides to retry.
            max_retries=0,
        )
        clients.append(client)
        return ToolContext(client=client, agent_name=agent.name, default_project_id=project_id)

    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        answer = handle_post(request.body, headers, context, profile)
    finally:
        for client in clients:
            client.close()
    if answer.body is None:
        response = HttpResponse(status=answer.status)
    else:
        response = HttpResponse(
            json.dumps(answer.body), status=answer.status, content_type="application/json"
        )
    for name, value in answer.headers.items():
        response[name] = value
    return response


# Included at "mcp" and at "mcp/" by loop_project/urls.py, so both /mcp and /mcp/ answer.
urlpatterns = [
    path("", mcp_endpoint, name="mcp"),
]
