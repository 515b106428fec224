"""The API's JSON request parser (``DEFAULT_PARSER_CLASSES``): bounded in size and in depth.

DRF reads the request stream itself, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` never applies to
API bodies on its own; this parser enforces it (413), never reading more than the cap + 1 byte
whatever Content-Length claims. Parsing is strict RFC 8259 (UTF-8, no NaN/Infinity, integers of at
most Python's 4300 digits), and a document nested deeper than ``MAX_JSON_DEPTH`` is refused (400)
before any serializer walks it recursively.
"""

from __future__ import annotations

import codecs
import json
from typing import IO, Any

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

# Deeper than any document the API accepts (upstream's deepest input is a few levels), shallow
# enough that nothing recursive downstream (serializers, JSON columns, rendering) can overflow.
MAX_JSON_DEPTH = 64
_CHUNK = 64 * 1024


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large"
    default_code = "payload_too_large"


class TooDeep(ValueError):
    pass


def declared_length(meta: dict[str, Any]) -> int | None:
    try:
        return int(meta.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def read_capped(stream: IO[bytes] | Any, limit: int) -> bytes | None:
    """The whole stream, or None when it is longer than ``limit``; reads at most limit + 1 bytes."""
    chunks: list[bytes] = []
    remaining = limit + 1
    while remaining > 0:
        chunk = stream.read(min(remaining, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    raw = b"".join(chunks)
    return None if len(raw) > limit else raw


def check_depth(document: Any, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise TooDeep when containers nest more than ``limit`` levels (the top level is 1).
    Iterative, so the check itself cannot overflow the stack."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            raise TooDeep(f"JSON nested deeper than {limit} levels")
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def loads_bounded(raw: bytes, encoding: str = "utf-8") -> Any:
    """Parse strictly and check the depth. Raises ValueError (TooDeep for depth) on anything that
    is not acceptable JSON, including documents too deep for Python's own parser."""
    try:
        document = json.loads(raw.decode(encoding), parse_constant=_reject_constant)
    except RecursionError:
        raise TooDeep("JSON nested too deeply") from None
    check_depth(document)
    return document


class LoopJSONParser(JSONParser):
    """JSON bodies for every API view: at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes (413), at
    most ``MAX_JSON_DEPTH`` levels deep, strictly decoded; anything unparseable is a 400."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        context = parser_context or {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = context.get("request")
        if limit is not None:
            length = declared_length(request.META) if request is not None else None
            if length is not None and length > limit:
                raise PayloadTooLarge(f"Request body too large: at most {limit} bytes")
        raw = read_capped(stream, limit) if limit is not None else stream.read()
        if raw is None:
            raise PayloadTooLarge(f"Request body too large: at most {limit} bytes")
        encoding = context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise exceptions.ParseError("Malformed JSON in request body") from None
        try:
            return loads_bounded(raw, encoding)
        except TooDeep as error:
            raise exceptions.ParseError(str(error)) from None
        except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
            raise exceptions.ParseError("Malformed JSON in request body") from None
