"""What every core API view shares: the error responses for the schema, and the small steps each
view repeats (path ids, body validation, the acting principal)."""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework.request import Request

from issues.api.fields import MAX_ID_LENGTH, text_problem
from issues.audit import actor_for_user
from loop_project.api import ErrorOut
from loop_project.errors import NotFound

# --- schema helpers --------------------------------------------------------------------------

ERROR_DESCRIPTIONS = {
    400: "The request does not fit the schema (wrong type, unknown value, too long, malformed "
    "JSON); `details.fieldErrors` names the field",
    401: "Missing or invalid API key",
    403: "The API key lacks the scope this operation needs",
    409: "Conflicts with existing state",
    422: "Well-formed but breaks a rule",
}


def errors(*codes: int, **described: str) -> dict[int, OpenApiResponse]:
    """Error responses for the schema: each ``code`` with its usual description, or the one given
    as ``e404="Issue not found"``."""
    responses = {code: OpenApiResponse(ErrorOut, description=ERROR_DESCRIPTIONS[code]) for code in codes}
    for key, description in described.items():
        responses[int(key.lstrip("e"))] = OpenApiResponse(ErrorOut, description=description)
    return responses


READ = (401, 403)
WRITE = (400, 401, 403)
NO_CONTENT = OpenApiResponse(description="Deleted")


def path_id(value: str, what: str) -> str:
    """A path id that cannot name a row (too long, NUL, unencodable) is simply not found; checking
    here keeps such strings away from the database driver."""
    if len(value) > MAX_ID_LENGTH or text_problem(value):
        raise NotFound(f"{what} not found")
    return value


def actor(request: Request) -> str:
    return actor_for_user(request.user)


def valid(serializer_class: type, data: Any, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def plain(value: Any) -> Any:
    """validated_data nests OrderedDicts; store plain JSON values."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
