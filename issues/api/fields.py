"""Strict request fields: a JSON value of the wrong type is a 400, never coerced.

DRF's stock fields are lenient where upstream's zod schemas are not (``CharField`` turns ``123``
into ``"123"``, ``IntegerField`` takes ``"2"`` and ``True``, ``FloatField`` takes ``"nan"``).
These fields accept exactly the JSON types upstream accepts, and refuse what the database cannot
store faithfully: NUL characters (PostgreSQL text cannot hold them), lone surrogates (not
encodable as UTF-8) and non-finite numbers (not valid JSON on the way back out). Every request
serializer in the issues API is built from them, so the 400 names the field at fault.
"""
from __future__ import annotations

import math
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# How deep a free-form JSON value (signalPayload) may nest; deeper payloads are refused with a 400
# instead of being walked recursively.
MAX_JSON_DEPTH = 32
# Ids are 24 characters (loop_project.ids); anything longer cannot name a row.
MAX_ID_LENGTH = 64


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None when it can."""
    if "\x00" in value:
        return "Null characters are not allowed."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Invalid unicode: lone surrogate characters are not allowed."
    return None


def json_problem(value: Any, depth: int = 0) -> str | None:
    """Why a parsed JSON value cannot be stored, or None when it can (walks nested values)."""
    if depth > MAX_JSON_DEPTH:
        return f"Nested more than {MAX_JSON_DEPTH} levels deep."
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "Numbers must be finite."
    if isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(str(key)) or json_problem(item, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, list):
        for item in value:
            problem = json_problem(item, depth + 1)
            if problem:
                return problem
        return None
    return "Unsupported value."


class StrictCharField(serializers.CharField):
    """A JSON string only (numbers and booleans are a type error, as upstream). Whitespace is kept
    unless ``trim_whitespace=True`` is asked for."""

    default_error_messages = {"invalid": "Must be a string."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        problem = text_problem(data)
        if problem:
            raise serializers.ValidationError(problem, code="invalid")
        return super().to_internal_value(data)


class IdField(StrictCharField):
    """A reference to a row by id: a non-empty string of sane length (existence is the service's
    business: an unknown id is 404 or 422 there)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_ID_LENGTH)
        super().__init__(**kwargs)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: ``"2"``, ``true`` and ``2.5`` are type errors (``2.0`` is 2, as JSON
    numbers have no integer type)."""

    default_error_messages = {"invalid": "Must be an integer."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        if isinstance(data, float) and not (math.isfinite(data) and data.is_integer()):
            self.fail("invalid")
        return super().to_internal_value(int(data))


class StrictFloatField(serializers.FloatField):
    """A finite JSON number only (strings, booleans, NaN and infinities are refused)."""

    default_error_messages = {"invalid": "Must be a finite number."}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        try:
            number = float(data)
        except OverflowError:
            self.fail("invalid")
        if not math.isfinite(number):
            self.fail("invalid")
        return number


class StrictChoiceField(serializers.ChoiceField):
    """One of ``choices``, given as a JSON string."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        problem = text_problem(data)
        if problem:
            raise serializers.ValidationError(problem, code="invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "object", "additionalProperties": {}})
class JsonObjectField(serializers.JSONField):
    """A free-form JSON object (``signalPayload``): must be an object, storable as is."""

    default_error_messages = {"invalid": "Must be a JSON object."}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail("invalid")
        problem = json_problem(data)
        if problem:
            raise serializers.ValidationError(problem, code="invalid")
        return data
