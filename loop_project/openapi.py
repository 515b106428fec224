"""Schema post-processing: the error answers every operation can give, whatever its view says.

Views document their own outcomes (404 for a missing row, 409 for a lost claim, ...). Some answers
come from the layers around every view instead, and are added here so the schema is exact:

* 429 (rate limit, with Retry-After) and 503 (database unavailable, with Retry-After): any
  operation (``loop_project.throttling``, ``loop_project.middleware``).
* 401 and 403 (missing or invalid key, missing scope): any operation that takes an API key.
* 400 (malformed JSON), 413 (body too large) and 415 (not JSON): any operation with a JSON body
  read by the API's parser (``loop_project.parsers``); webhooks read their raw body themselves and
  document their own.
"""

from __future__ import annotations

from typing import Any

HTTP_METHODS = ("get", "put", "post", "patch", "delete")
_ERROR = {"$ref": "#/components/schemas/ErrorOut"}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def _error(description: str, *, retry_after: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ERROR}},
    }
    if retry_after:
        response["headers"] = _RETRY_AFTER
    return response


def _takes_api_key(operation: dict[str, Any]) -> bool:
    return any("bearerAuth" in requirement for requirement in operation.get("security", []))


def add_common_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    if "ErrorOut" not in result.get("components", {}).get("schemas", {}):
        return result
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            keyed = _takes_api_key(operation)
            extra = {
                "429": _error(
                    "Rate limit exceeded (per API key, or per source address without one)",
                    retry_after=True,
                ),
                "503": _error(
                    "Database unavailable; retry after Retry-After seconds", retry_after=True
                ),
            }
            if keyed:
                extra["401"] = _error("Missing or invalid API key")
                extra["403"] = _error("The API key lacks the scope this operation needs")
                if "requestBody" in operation:
                    extra["400"] = _error("Malformed JSON or invalid fields")
                    extra["413"] = _error("Request body larger than the limit")
                    extra["415"] = _error("Request body is not JSON")
            for code, response in extra.items():
                if code in responses:
                    # Keep the view's description; make sure Retry-After is documented.
                    if "headers" in response:
                        responses[code].setdefault("headers", response["headers"])
                else:
                    responses[code] = response
    return result
