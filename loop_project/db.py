"""Queries whose shape never changes, compiled to SQL once per process instead of on every call.

Building a queryset and compiling it costs two to four times what PostgreSQL needs to run it
(docs/benchmarks.md, "Where the time goes"); on the hot paths (authentication, dispatch, the
completion PATCH) the same few shapes run on every request with only a value changing. A
``PreparedQuery`` builds its queryset once, with placeholder values, keeps the compiled SQL and
runs it through ``Manager.raw`` with the real values, so rows still come back as model instances
with Django's field conversions (JSON, datetimes on SQLite) applied.

Only for querysets that select whole rows of one model (no ``select_related``, ``values()`` or
annotations that ``raw`` would not map) and whose parameters are scalars.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


class Slot(str):
    """A placeholder value: unique text nobody would store, found again in the compiled params."""

    def __new__(cls, name: str) -> Slot:
        return super().__new__(cls, f"\x00loop-slot:{name}\x00")


class PreparedQuery(Generic[M]):
    """``build(**slots)`` returns the queryset, with each keyword standing for a value given at run
    time: ``PreparedQuery(lambda pk: Issue.objects.filter(pk=pk), "pk").first(pk="...")``."""

    def __init__(self, build: Callable[..., QuerySet[M]], *names: str) -> None:
        self._build = build
        self._names = names
        self._compiled: dict[str, tuple[QuerySet[M], str, tuple[Any, ...]]] = {}

    def _statement(self) -> tuple[QuerySet[M], str, tuple[Any, ...]]:
        # Keyed by vendor: a process normally sees one database, test runs may see another.
        key = connection.vendor
        compiled = self._compiled.get(key)
        if compiled is None:
            slots = {name: Slot(name) for name in self._names}
            queryset = self._build(**slots)
            # Compiled where it is first run: select_for_update insists on a transaction then.
            sql, params = queryset.query.sql_with_params()
            compiled = self._compiled[key] = (queryset, sql, params)
        return compiled

    def all(self, **values: Any) -> list[M]:
        queryset, sql, params = self._statement()
        by_slot = {Slot(name): values[name] for name in self._names}
        bound: Sequence[Any] = [by_slot.get(value, value) if isinstance(value, str) else value
                                for value in params]
        return list(queryset.model._base_manager.raw(sql, bound))

    def first(self, **values: Any) -> M | None:
        rows = self.all(**values)
        return rows[0] if rows else None
