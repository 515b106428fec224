"""Queries whose shape never changes, compiled to SQL once per process instead of on every call.

Building a queryset and compiling it costs two to four times what PostgreSQL needs to run it
(docs/benchmarks.md, "Where the time goes"); on the hot paths (authentication, dispatch, the
completion PATCH) the same few shapes run on every request with only a value changing. A
``PreparedQuery`` builds its queryset once, with placeholder values, keeps the compiled SQL and
runs it with the real values; rows still come back as model instances with Django's field
conversions (JSON, datetimes on SQLite) applied.

Only for querysets that select whole rows of one model (no ``select_related``, ``values()``,
``only()`` or annotations; refused when compiled) and whose parameters are scalars.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)


class Slot(str):
    """A placeholder value: unique text nobody would store, found again in the compiled params."""

    def __new__(cls, name: str) -> Slot:
        return super().__new__(cls, f"\x00loop-slot:{name}\x00")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    converters: dict[int, tuple[list[Any], Any]]
    compiler: SQLCompiler


class PreparedQuery(Generic[M]):
    """``build(**slots)`` returns the queryset, with each keyword standing for a value given at run
    time: ``PreparedQuery(lambda pk: Issue.objects.filter(pk=pk), "pk").first(pk="...")``.

    Rows are turned into instances the way QuerySet iteration does it (the field converters the
    compiler chose, then ``Model.from_db``), minus the per-call query building."""

    def __init__(self, build: Callable[..., QuerySet[M]], *names: str) -> None:
        self._build = build
        self._names = names
        self._model: type[M] | None = None
        self._compiled: dict[str, _Compiled] = {}

    def _statement(self) -> _Compiled:
        # Keyed by vendor: a process normally sees one database, test runs may see another.
        key = connection.vendor
        compiled = self._compiled.get(key)
        if compiled is None:
            queryset = self._build(**{name: Slot(name) for name in self._names})
            self._model = queryset.model
            compiler = queryset.query.get_compiler(connection=connection)
            # Compiled where it is first run: select_for_update insists on a transaction then.
            sql, params = compiler.as_sql()
            columns = [column for column, _, _ in compiler.select]
            if [getattr(column, "target", None) for column in columns] != list(
                self._model._meta.concrete_fields
            ):
                raise ValueError("PreparedQuery needs whole rows of one model, in field order")
            compiled = self._compiled[key] = _Compiled(
                sql=sql,
                params=tuple(params),
                converters=compiler.get_converters(columns),
                compiler=compiler,
            )
        return compiled

    def all(self, **values: Any) -> list[M]:
        compiled = self._statement()
        by_slot = {Slot(name): values[name] for name in self._names}
        bound: Sequence[Any] = [
            by_slot.get(value, value) if isinstance(value, str) else value
            for value in compiled.params
        ]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, bound)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        model = self._model
        return [model.from_db(connection.alias, None, row) for row in rows]

    def first(self, **values: Any) -> M | None:
        rows = self.all(**values)
        return rows[0] if rows else None
