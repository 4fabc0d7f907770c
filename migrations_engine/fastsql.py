"""The engine's hottest writes and reads in plain SQL, built from the models' own field lists.

Every imported message and every comment writes a journal row right after its Front call (that is
what makes a retry safe, docs/engine.md), and every ticket saves its record-map row and the run's
counters when it completes: several statements per ticket. The ORM's `create()`/`save()`/`filter()`
spend more CPU building a statement than the database spends running it; here each statement is built
once per model and column set, and every value still goes through its field's `get_db_prep_save`
(rows come back through the fields' own converters and `Model.from_db`), so what is stored and read
is exactly what the ORM would store and read. Only names taken from the models are put in the SQL
text; every value is a parameter.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def _insert_statement(model: type[Model], vendor: str) -> tuple[str, tuple]:
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    columns = ", ".join(_quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table, pk = _quote(meta.db_table), _quote(meta.pk.column)
    return f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING {pk}", fields  # noqa: S608


@cache
def _update_statement(model: type[Model], vendor: str, names: tuple[str, ...]) -> tuple[str, tuple]:
    meta = model._meta
    fields = tuple(meta.get_field(name) for name in names)
    assignments = ", ".join(f"{_quote(f.column)} = %s" for f in fields)
    table, pk = _quote(meta.db_table), _quote(meta.pk.column)
    return f"UPDATE {table} SET {assignments} WHERE {pk} = %s", fields  # noqa: S608


@cache
def _select_statement(model: type[Model], vendor: str, names: tuple[str, ...]) -> tuple[str, tuple, tuple, list]:
    meta = model._meta
    where_fields = tuple(meta.get_field(name) for name in names)
    columns = ", ".join(_quote(f.column) for f in meta.concrete_fields)
    where = " AND ".join(f"{_quote(f.column)} = %s" for f in where_fields)
    readers = tuple(_reader(model, f) for f in meta.concrete_fields)
    attnames = [f.attname for f in meta.concrete_fields]
    return f"SELECT {columns} FROM {_quote(meta.db_table)} WHERE {where}", where_fields, readers, attnames  # noqa: S608


def _reader(model: type[Model], field) -> tuple:
    """(column expression, converters): what the ORM applies to a column's raw value when it reads it
    (JSON decoding, aware datetimes...)."""
    expression = field.get_col(model._meta.db_table)
    return expression, tuple(connection.ops.get_db_converters(expression) + expression.get_db_converters(connection))


def insert(model: type[M], **values: Any) -> M:
    """INSERT one row (model defaults apply); raises IntegrityError on a unique conflict."""
    row = model(**values)
    sql, fields = _insert_statement(model, connection.vendor)
    params = [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]  # auto_now too
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row.pk = cursor.fetchone()[0]
    row._state.adding = False
    row._state.db = connection.alias
    return row


def update(row: M, values: dict[str, Any]) -> M:
    """Set these attributes on a saved row and UPDATE exactly their columns."""
    for name, value in values.items():
        setattr(row, name, value)
    return save_fields(row, tuple(values))


def save_fields(row: M, names: tuple[str, ...]) -> M:
    """UPDATE these columns of a saved row from its attributes, like `save(update_fields=...)` (auto_now
    included) but without signals: the engine's models have no receivers."""
    sql, fields = _update_statement(type(row), connection.vendor, names)
    params = [f.get_db_prep_save(f.pre_save(row, False), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, row.pk])
    return row


def first(model: type[M], **where: Any) -> M | None:
    """The row matching these equalities (meant for unique columns), or None."""
    sql, where_fields, readers, attnames = _select_statement(model, connection.vendor, tuple(where))
    params = [f.get_db_prep_save(value, connection) for f, value in zip(where_fields, where.values(), strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    values = []
    for raw, (expression, converters) in zip(found, readers, strict=True):
        for converter in converters:
            raw = converter(raw, expression, connection)
        values.append(raw)
    return model.from_db(connection.alias, attnames, values)
