"""Statements whose shape never changes, compiled to SQL once per process instead of per call.

Building a queryset and compiling it costs two to four times what PostgreSQL needs to run it
(docs/benchmarks.md, "Where the time goes"); on the hot paths (authentication, dispatch, the
completion PATCH, ingest) the same few shapes run on every request with only values changing.

- ``PreparedQuery`` keeps a queryset's SQL, its column layout and Django's converters, and turns
  each row into model instances the way ``QuerySet`` iteration does (``select_related``,
  ``only()`` and annotations included).
- ``insert`` writes one new row with the INSERT the ORM would issue (``insert_sql`` and
  ``insert_params`` when the statement is to be combined with others), without per-call query
  building; ``run_together`` sends several writes as one statement on PostgreSQL.

All go through ``connection.cursor()``, so they are counted and logged like any other statement,
and compiled statements are keyed by database vendor (test runs may see another backend than the
server).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DatabaseError, connection
from django.db.models import (
    BooleanField,
    CharField,
    Field,
    FloatField,
    ForeignKey,
    Model,
    QuerySet,
    TextField,
)
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=Model)


class Slot(str):
    """A placeholder value: text nobody would store, found again in the compiled params."""

    def __new__(cls, name: str) -> Slot:
        return super().__new__(cls, f"\x00loop-slot:{name}\x00")


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


class PreparedQuery(Generic[M]):
    """``build(**slots)`` returns the queryset, each keyword standing for a value given at run
    time: ``PreparedQuery(lambda pk: Issue.objects.filter(pk=pk)[:1], "pk").first(pk="...")``.

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
            row = _converted(fetched, statement.converters)
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


_WHOLE_ROW_CONVERTERS: dict[tuple[type[Model], str], list[tuple[int, list[Any], Any]]] = {}


def fetch_whole_rows(model: type[M], sql: str, params: Any) -> list[M]:
    """Run hand-written ``sql`` that returns every concrete column of ``model`` in field order
    (``RETURNING`` of a claim, say) and build instances as QuerySet iteration would: what
    ``Manager.raw`` does, without working out the column mapping and converters on every call."""
    key = (model, connection.vendor)
    converters = _WHOLE_ROW_CONVERTERS.get(key)
    if converters is None:
        table = model._meta.db_table
        columns = [field.get_col(table) for field in model._meta.concrete_fields]
        found = model._base_manager.none().query.get_compiler(connection=connection).get_converters(columns)
        converters = _WHOLE_ROW_CONVERTERS[key] = [
            (pos, convs, expr) for pos, (convs, expr) in found.items()
        ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [model.from_db(connection.alias, None, _converted(row, converters)) for row in rows]


def _converted(fetched: Sequence[Any], converters: list[tuple[int, list[Any], Any]]) -> list[Any]:
    """A fetched row with Django's field converters applied (JSON, datetimes on SQLite, ...)."""
    row = list(fetched)
    for pos, convs, expr in converters:
        value = row[pos]
        for convert in convs:
            value = convert(value, expr, connection)
        row[pos] = value
    return row


_INSERTS: dict[tuple[Any, ...], tuple[str, list[Field[Any, Any]]]] = {}
# Fields whose database value is the Python value itself when it is exactly this type (or None):
# their get_db_prep_save is a chain of identity conversions on every backend Loop runs on.
# (Not integers: PostgreSQL's backend wraps them in typed adapters.)
_PLAIN_TYPES: dict[type[Field[Any, Any]], type] = {
    CharField: str,
    TextField: str,
    FloatField: float,
    BooleanField: bool,
}
_PLAIN: dict[Field[Any, Any], type | None] = {}


def _plain_type(field: Field[Any, Any]) -> type | None:
    if field not in _PLAIN:
        target = field.target_field if isinstance(field, ForeignKey) else field
        _PLAIN[field] = _PLAIN_TYPES.get(type(target))
    return _PLAIN[field]


def insert_sql(
    model: type[Model], *, inline: tuple[tuple[str, str], ...] = ()
) -> tuple[str, list[Field[Any, Any]]]:
    """The INSERT ``Model.save(force_insert=True)`` issues for a new row, and the fields whose
    values it takes as parameters, in order. ``inline`` names fields written as the given SQL
    instead (``(("number", "nextval('seq')"),)``); a ``RETURNING`` of their values is added. For a
    model with an auto-increment key, the key is left to the database and returned instead."""
    key = (model, connection.vendor, inline)
    compiled = _INSERTS.get(key)
    if compiled is None:
        meta = model._meta
        auto = meta.auto_field
        if auto is not None and (inline or not connection.features.can_return_columns_from_insert):
            raise ValueError("insert_sql() needs INSERT ... RETURNING for an auto-increment key")
        written = {name: sql for name, sql in inline}
        # An auto-increment key is left out, so the database assigns it; RETURNING gives it back.
        fields = [
            field for field in meta.local_concrete_fields
            if not field.generated and field is not auto
        ]
        quote = connection.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({})".format(
            quote(meta.db_table),
            ", ".join(quote(field.column) for field in fields),
            ", ".join(written.get(field.name, "%s") for field in fields),
        )
        returned = [*written, *([auto.name] if auto is not None else [])]
        if returned:
            sql += " RETURNING " + ", ".join(quote(meta.get_field(name).column) for name in returned)
        compiled = _INSERTS[key] = (sql, [field for field in fields if field.name not in written])
    return compiled


def insert_params(obj: Model, fields: list[Field[Any, Any]]) -> list[Any]:
    """The values ``save`` would write: each field's ``pre_save`` (``auto_now_add`` and
    ``auto_now`` stamp the time) prepared for the database by the field."""
    if obj.pk is None and obj._meta.auto_field is None:
        raise ValueError("the row's primary key must be set before it is inserted")
    params = []
    for field in fields:
        plain = _plain_type(field)
        if plain is not None:  # pre_save of these fields is reading the attribute
            value = getattr(obj, field.attname)
            if value is None or type(value) is plain:
                params.append(value)
                continue
        params.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    return params


_UPDATES: dict[tuple[Any, ...], tuple[str, list[Field[Any, Any]]]] = {}


def update(obj: Model, names: Sequence[str]) -> None:
    """``obj.save(update_fields=names)`` with the UPDATE compiled once per field list (``auto_now``
    fields among ``names`` are stamped, as save does). No model signals are sent. Raises
    ``DatabaseError`` when the row is gone, as save does."""
    key = (type(obj), connection.vendor, tuple(names))
    compiled = _UPDATES.get(key)
    if compiled is None:
        meta = obj._meta
        fields = [meta.get_field(name) for name in names]
        quote = connection.ops.quote_name
        sql = "UPDATE {} SET {} WHERE {} = %s".format(
            quote(meta.db_table),
            ", ".join(f"{quote(field.column)} = %s" for field in fields),
            quote(meta.pk.column),
        )
        compiled = _UPDATES[key] = (sql, fields)
    sql, fields = compiled
    params = [field.get_db_prep_save(field.pre_save(obj, False), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, obj.pk])
        if cursor.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")


def mark_saved(obj: Model) -> None:
    obj._state.adding = False
    obj._state.db = connection.alias


Statement = tuple[str, list[Any]]


def insert_statement(obj: Model) -> Statement:
    """The INSERT of ``insert(obj)`` as a statement, to send with others (``run_together``)."""
    sql, fields = insert_sql(type(obj))
    return sql, insert_params(obj, fields)


def insert(obj: Model) -> None:
    """``obj.save(force_insert=True)`` for a new row (its primary key set, or an auto-increment
    key the database assigns and this sets on ``obj``), without building the query each time.
    No model signals are sent: use it only for models nothing listens to
    (tests/signals_app/test_services.py and tests/loop_project/test_db.py check)."""
    with connection.cursor() as cursor:
        cursor.execute(*insert_statement(obj))
        if obj._meta.auto_field is not None:
            obj.pk = cursor.fetchone()[0]
    mark_saved(obj)


def run_together(main: Statement, *more: Statement) -> list[tuple[Any, ...]]:
    """Run ``main`` and then ``more``, and return ``main``'s RETURNING rows. On PostgreSQL they are
    one statement (one round trip): ``more`` become data-modifying CTEs, which always run to
    completion, and foreign keys (deferred, as Django creates them) are checked at commit as
    before. Elsewhere, one statement after another."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and more:
            ctes = ", ".join(f"loop_w{index} AS ({sql})" for index, (sql, _) in enumerate(more))
            params = [value for _, values in more for value in values]
            cursor.execute(f"WITH {ctes} {main[0]}", params + main[1])
            return cursor.fetchall() if cursor.description else []
        cursor.execute(*main)
        rows = cursor.fetchall() if cursor.description else []
        for statement in more:
            cursor.execute(*statement)
        return rows
