"""JSON text exactly as JavaScript's ``JSON.stringify(JSON.parse(body))`` would produce it.

Upstream Loop (TypeScript) verifies Sentry signatures over that re-serialisation rather than over
the bytes received, and senders written against it sign the same string. To accept those
signatures we must rebuild the string byte for byte, which Python's ``json.dumps`` does not do:
JavaScript numbers are doubles printed by ``Number.prototype.toString`` (``1.0`` → ``1``,
``1e-7`` → ``1e-7``, ``1e21`` → ``1e+21``), object keys that look like array indexes are
enumerated first in ascending order, and lone surrogates are escaped.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_ARRAY_INDEX_LIMIT = 2**32 - 1  # ECMAScript array index: a canonical uint32 below 2³²−1


def js_number(value: int | float) -> str:
    """``Number.prototype.toString()`` of the double nearest ``value``."""
    try:
        number = float(value)
    except OverflowError:
        return "null"  # JSON.parse gives Infinity, which JSON.stringify writes as null
    if number != number or number in (float("inf"), float("-inf")):
        return "null"
    if number == 0:
        return "0"
    if number < 0:
        return "-" + js_number(-number)
    # repr() gives the shortest digits that round-trip, as ECMAScript requires.
    sign, digits_tuple, exponent = Decimal(repr(number)).normalize().as_tuple()
    digits = "".join(str(d) for d in digits_tuple)
    k = len(digits)
    n = int(exponent) + k  # value = 0.digits × 10^n
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def _js_string(text: str) -> str:
    encoded = json.encoder.py_encode_basestring(text)  # escapes ", \ and C0 controls only
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)


def _is_array_index(key: str) -> bool:
    if not (key.isascii() and key.isdigit()):
        return False
    return str(int(key)) == key and int(key) < _ARRAY_INDEX_LIMIT


def _js_key_order(obj: dict[str, Any]) -> list[str]:
    indexes = sorted((key for key in obj if _is_array_index(key)), key=int)
    return indexes + [key for key in obj if not _is_array_index(key)]


def js_compact_dumps(value: Any) -> str:
    """``JSON.stringify(value)`` for a value produced by ``json.loads``."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, str):
        return _js_string(value)
    if isinstance(value, list):
        return "[" + ",".join(js_compact_dumps(item) for item in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(
                f"{_js_string(key)}:{js_compact_dumps(value[key])}" for key in _js_key_order(value)
            )
            + "}"
        )
    raise TypeError(f"not a JSON value: {type(value).__name__}")
