"""Scope checks: reads need ``read``, writes ``write``; a view may demand another scope
(``required_scope = "dispatch"``). ``admin`` implies every scope."""
from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request


class HasApiKeyScope(BasePermission):
    message = "This API key lacks the scope this operation needs"

    def has_permission(self, request: Request, view) -> bool:
        agent = request.user
        if agent is None or not getattr(agent, "is_authenticated", False):
            return False
        scope = getattr(view, "required_scope", None)
        if scope is None:
            scope = "read" if request.method in SAFE_METHODS else "write"
        return agent.has_scope(scope)
