"""Request-body limits for ingest: read at most the cap (+1 byte to detect more), never more."""
from __future__ import annotations

import json
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from loop_project.api import PayloadTooLarge

# POST /api/signals bodies; a signal is an event, not a data dump.
MAX_SIGNAL_BODY_BYTES = 1024 * 1024


def declared_length(meta: dict[str, Any]) -> int | None:
    try:
        return int(meta.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def read_at_most(stream: IO[bytes] | Any, limit: int) -> bytes:
    """Up to ``limit`` bytes from ``stream`` (a file-like or an HttpRequest), looping over short
    reads, and never asking for more than is still allowed."""
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = stream.read(min(remaining, 64 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def loads_strict(raw: bytes) -> Any:
    """Parse JSON as RFC 8259 says: UTF-8, no NaN/Infinity. Raises ValueError on anything else,
    including documents nested too deeply for the parser (RecursionError)."""
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


class SignalJSONParser(JSONParser):
    """DRF's JSON parser with a size cap and strict decoding (a hostile body is a 400/413, never
    a 500)."""

    max_bytes = MAX_SIGNAL_BODY_BYTES

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        too_large = PayloadTooLarge(f"Payload too large: at most {self.max_bytes} bytes")
        length = declared_length(request.META) if request is not None else None
        if length is not None and length > self.max_bytes:
            raise too_large
        raw = read_at_most(stream, self.max_bytes + 1) if stream is not None else b""
        if len(raw) > self.max_bytes:
            raise too_large
        try:
            return loads_strict(raw)
        except ValueError:
            raise ParseError("Malformed JSON in request body") from None
