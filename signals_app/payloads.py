"""What a signal payload must be before it can be stored.

PostgreSQL's ``jsonb`` (and its text columns) cannot hold a NUL character or a lone UTF-16
surrogate, and a JSON document nested thousands of levels deep exhausts recursion in parsers and
in the database. Python's ``json`` module happily produces all three, so every payload is checked
here before it reaches the database (so are numbers like ``1e999``, which Python reads as infinity
and no JSON column accepts): the REST API refuses such input with a 400 naming the field
(:func:`find_unstorable`); webhooks, which must not lose a genuine provider event over one odd
character, replace the characters instead (:func:`make_storable`).
"""
from __future__ import annotations

import math
import re
from typing import Any

# Deeper than any real provider payload (GitHub's are about 10 levels) yet far below the point
# where recursive JSON handling would fail.
MAX_DEPTH = 64
REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class PayloadTooDeep(ValueError):
    """The document nests objects/arrays deeper than MAX_DEPTH."""


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None when it can."""
    match = _UNSTORABLE.search(text)
    if match is None:
        return None
    if match.group() == "\x00":
        return "NUL characters are not allowed"
    return "Unpaired UTF-16 surrogates are not allowed"


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def find_unstorable(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first ``(field path, problem)`` that keeps ``value`` out of the database, else None.

    Iterative, so a hostile document cannot exhaust the Python stack while being checked.
    """
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return where or "_", problem
        elif isinstance(item, float) and not math.isfinite(item):
            return where or "_", "Number out of range"
        elif isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                return where or "_", f"Nested deeper than {MAX_DEPTH} levels"
            if isinstance(item, dict):
                for key, child in item.items():
                    problem = text_problem(key)
                    if problem:
                        return where or "_", f"{problem} (in a key)"
                    stack.append((child, _join(where, key), depth + 1))
            else:
                for index, child in enumerate(item):
                    stack.append((child, _join(where, index), depth + 1))
    return None


def _clean_text(text: str) -> str:
    return _UNSTORABLE.sub(REPLACEMENT, text)


def make_storable(value: Any) -> Any:
    """A copy of ``value`` with NULs and lone surrogates replaced by U+FFFD, and out-of-range
    numbers by null (what JavaScript's JSON round trip makes of them).

    Raises :class:`PayloadTooDeep` rather than storing a document nested beyond MAX_DEPTH.
    """

    def clean(item: Any, depth: int) -> Any:
        if isinstance(item, str):
            return _clean_text(item)
        if isinstance(item, float) and not math.isfinite(item):
            return None
        if isinstance(item, dict):
            if depth >= MAX_DEPTH:
                raise PayloadTooDeep(f"Payload is nested deeper than {MAX_DEPTH} levels")
            return {_clean_text(key): clean(child, depth + 1) for key, child in item.items()}
        if isinstance(item, list):
            if depth >= MAX_DEPTH:
                raise PayloadTooDeep(f"Payload is nested deeper than {MAX_DEPTH} levels")
            return [clean(child, depth + 1) for child in item]
        return item

    # Recursion is bounded by MAX_DEPTH, far below Python's limit.
    return clean(value, 0)
