"""Ingest's statements, compiled to SQL once per process.

Ingest runs the same handful of statements on every signal with only the values changing, and
building and compiling them through the ORM cost several times what running them does
(docs/benchmarks.md, "Ingest"). ``CompiledSelect`` keeps a queryset's SQL, its column layout and
Django's converters, and turns each row into model instances the way ``QuerySet`` iteration does
(``select_related`` included); ``insert`` writes one new row with the INSERT the ORM would issue,
without the per-call query building. Both go through ``connection.cursor()``, so they are counted
and logged like any other statement, and both are keyed by database vendor (test runs may see
another backend than the server).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import AutoField, Field, Model, QuerySet
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=Model)


class Slot(str):
    """A placeholder value: text nobody would store, found again in the compiled params."""

    def __new__(cls, name: str) -> Slot:
        return super().__new__(cls, f"\x00loop-ingest-slot:{name}\x00")


@dataclass(frozen=True)
class _Select:
    sql: str
    params: tuple[Any, ...]
    model: type[Model]
    start: int
    end: int
    init_list: list[str]
    related_populators: list[Any]
    annotations: dict[str, int]
    converters: list[tuple[int, list[Callable[..., Any]], Any]]


class CompiledSelect(Generic[M]):
    """``build(**slots)`` returns the queryset, each keyword standing for a value given at run
    time: ``CompiledSelect(lambda pk: Issue.objects.filter(pk=pk)[:1], "pk").first(pk="...")``.

    Parameters must be scalars used as whole values (not inside LIKE patterns or lists)."""

    def __init__(self, build: Callable[..., QuerySet[M]], *names: str) -> None:
        self._build = build
        self._names = names
        self._slots = {Slot(name): name for name in names}
        self._compiled: dict[str, _Select] = {}

    def _statement(self) -> _Select:
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            compiled = self._compiled[connection.vendor] = self._compile()
        return compiled

    def _compile(self) -> _Select:
        queryset = self._build(**{name: Slot(name) for name in self._names})
        compiler = queryset.query.get_compiler(connection=connection)
        # Compiled where it is first run: select_for_update insists on a transaction then.
        sql, params = compiler.as_sql()
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        converters = compiler.get_converters([column for column, _, _ in select])
        return _Select(
            sql=sql,
            params=tuple(params),
            model=klass_info["model"],
            start=start,
            end=end,
            init_list=[column.target.attname for column, _, _ in select[start:end]],
            related_populators=get_related_populators(klass_info, select, connection.alias),
            annotations=dict(compiler.annotation_col_map or {}),
            converters=[(pos, convs, expr) for pos, (convs, expr) in converters.items()],
        )

    def all(self, **values: Any) -> list[M]:
        statement = self._statement()
        slots = self._slots
        params = [
            values[slots[value]] if isinstance(value, str) and value in slots else value
            for value in statement.params
        ]
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            rows = cursor.fetchall()
        db = connection.alias
        found: list[M] = []
        for fetched in rows:
            row = list(fetched)
            for pos, convs, expr in statement.converters:
                value = row[pos]
                for convert in convs:
                    value = convert(value, expr, connection)
                row[pos] = value
            obj = statement.model.from_db(db, statement.init_list, row[statement.start:statement.end])
            for populator in statement.related_populators:
                populator.populate(row, obj)
            for name, pos in statement.annotations.items():
                setattr(obj, name, row[pos])
            found.append(obj)  # type: ignore[arg-type]
        return found

    def first(self, **values: Any) -> M | None:
        rows = self.all(**values)
        return rows[0] if rows else None


_INSERTS: dict[tuple[type[Model], str], tuple[str, list[Field[Any, Any]]]] = {}


def _insert_statement(model: type[Model]) -> tuple[str, list[Field[Any, Any]]]:
    key = (model, connection.vendor)
    compiled = _INSERTS.get(key)
    if compiled is None:
        meta = model._meta
        # What Model.save(force_insert=True) writes for a row whose primary key is set.
        fields = [
            field for field in meta.local_concrete_fields
            if not isinstance(field, AutoField) and not field.generated
        ]
        quote = connection.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({})".format(
            quote(meta.db_table),
            ", ".join(quote(field.column) for field in fields),
            ", ".join(["%s"] * len(fields)),
        )
        compiled = _INSERTS[key] = (sql, fields)
    return compiled


def insert(obj: Model) -> None:
    """``obj.save(force_insert=True)`` for a new row with its primary key already set (no
    auto-increment key to read back). Fields' ``pre_save`` runs as in ``save`` (``auto_now_add``
    and ``auto_now`` stamp the time), values are prepared by the fields; no model signals are
    sent — nothing in Loop listens to these models' ``pre_save``/``post_save``."""
    if obj.pk is None or obj._meta.auto_field is not None:
        raise ValueError("insert() writes rows whose primary key is set, without an AutoField")
    sql, fields = _insert_statement(type(obj))
    params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    obj._state.adding = False
    obj._state.db = connection.alias
