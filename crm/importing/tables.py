"""Rows written the fast way: built as database values (no model instances), inserted by COPY on PostgreSQL and
one executemany INSERT on SQLite, with ids taken ahead from the sequence, and leads updated by one executemany
UPDATE. The import's writer plans batches with these and saves them."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, IntegerField, JSONField, Model
from django.db.models.fields import AutoFieldMixin
from django.db.models.options import Options
from django.utils import timezone

from crm.models import Lead


@dataclass
class TableRows:
    """New rows for one table, ready to insert: each a list of database values, id first. Built by the plan,
    inserted by save(), which then has nothing left to work out.

    COPY on PostgreSQL (DESIGN.md's bulk import path), one INSERT run by executemany on SQLite. No model
    instances: building and reading them cost more than the writes.
    """

    model: type[Model]
    values: list[list]

    @classmethod
    def of(cls, model: type[Model], rows: list[dict[str, object]], fixed: dict[str, object] | None = None) -> TableRows:
        """Rows given as {attname: value}, every other field taking its value from `fixed` or its default; a row's
        "pk" is its id, and rows without one get new ids."""
        ids = [row["pk"] for row in rows] if rows and "pk" in rows[0] else ids_new(model, len(rows))
        return cls(model, list(_db_rows(model, rows, ids, fixed or {})) if rows else [])

    def insert(self) -> None:
        if not self.values:
            return
        meta = self.model._meta
        db = connections[DEFAULT_DB_ALIAS]
        quote = db.ops.quote_name
        columns = ", ".join(quote(f.column) for f in [meta.pk, *_insert_fields(meta)])
        table = quote(meta.db_table)
        with db.cursor() as cursor:
            if db.vendor == "postgresql":
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for values in self.values:
                        copy.write_row(values)
                return
            placeholders = ", ".join(["%s"] * len(self.values[0]))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", self.values)  # noqa: S608


def _insert_fields(meta: Options) -> list[Field]:
    return [f for f in meta.concrete_fields if not f.primary_key]


def _db_rows(
    model: type[Model], rows: list[dict[str, object]], ids: list[int], fixed: dict[str, object]
) -> Iterator[list]:
    """Each row as the database takes it: its id, then every field's value, converted as bulk_create would."""
    db = connections[DEFAULT_DB_ALIAS]  # looked up once: `connection` finds it again on every use
    fields = _insert_fields(model._meta)
    position = {f.attname: i for i, f in enumerate(fields, start=1)}
    template = [None, *(_db_value(f, _field_default(f, fixed), db) for f in fields)]
    converted: dict[str, dict] = defaultdict(dict)  # field: {value: database value}, most values repeat
    # Text fields store a str as it is, integer fields (ids and foreign keys among them) an int: the conversion
    # would hand back the same value, at a cost per cell.
    as_is = {f.attname: _plain_type(f) for f in fields}
    # JSON values are dicts and lists, which cannot be looked up in `converted`.
    unhashable = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    for pk, row in zip(ids, rows, strict=True):
        out = template.copy()
        out[0] = pk
        for name, value in row.items():
            index = position.get(name)
            if index is None:
                continue
            if type(value) is as_is[name]:
                out[index] = value
            elif name in unhashable:
                out[index] = _db_value(fields[index - 1], value, db)
            else:
                out[index] = _converted(converted[name], fields[index - 1], value, db)
        yield out


def _plain_type(field: Field) -> type | None:
    """The Python type whose values the field stores unchanged, if any."""
    target = field.target_field if field.is_relation else field
    if target.get_internal_type() in {"CharField", "TextField"}:
        return str
    if isinstance(target, (IntegerField, AutoFieldMixin)):
        return int
    return None


def _db_value(field: Field, value: object, db: BaseDatabaseWrapper) -> object:
    """A field's value as the database takes it. JSON as its text, which both databases take (PostgreSQL parses it
    on the way in), written here by json.dumps as Django would: the plan does it, not the writing connection."""
    if isinstance(field, JSONField):
        return None if value is None else json.dumps(value, cls=field.encoder)
    return field.get_db_prep_save(value, db)


def _field_default(field: Field, fixed: dict[str, object]) -> object:
    """What a new row holds in this field unless told otherwise: as save() would set it, time stamps included."""
    if field.attname in fixed:
        return fixed[field.attname]
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    return field.get_default()


def _converted(cache: dict, field: Field, value: object, db: BaseDatabaseWrapper) -> object:
    """The database value of a field's value, each distinct value converted once; values equal in Python (1 and
    True, 1.0 and 1.00) are stored alike by the field."""
    try:
        return cache[value]
    except KeyError:
        cache[value] = converted = _db_value(field, value, db)
        return converted


def ids_new(model: type[Model], count: int) -> list[int] | range:
    """Ids for `count` new rows, ascending as bulk_create gives them (the file's order is the leads' order)."""
    if not count:
        return []
    meta = model._meta
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence's name found once, in a subquery: as nextval's argument it was looked up for every id.
            cursor.execute(
                "SELECT nextval((SELECT pg_get_serial_sequence(%s, %s))::regclass) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        # SQLite plans each batch inside the transaction that writes it, which began IMMEDIATE (settings.DATABASES),
        # so no other writer can take these before it commits. An AUTOINCREMENT table goes on from the highest id
        # it ever gave, kept in sqlite_sequence.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [meta.db_table])
        given = cursor.fetchone()
        pk, table = connection.ops.quote_name(meta.pk.column), connection.ops.quote_name(meta.db_table)
        cursor.execute(f"SELECT MAX({pk}) FROM {table}")  # noqa: S608 (the model's own names)
        last = max(given[0] if given else 0, cursor.fetchone()[0] or 0)
    return range(last + 1, last + 1 + count)


def leads_update(leads: list[Lead], names: list[str]) -> None:
    """Write these fields of each lead with one UPDATE run by executemany (pipelined by psycopg 3): bulk_update's
    CASE per field and lead costs far more to build than the writes themselves."""
    fields = [Lead._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    # Only the model's own table and column names go into the text; every value is a parameter.
    sql = f"UPDATE {quote(Lead._meta.db_table)} SET {assignments} WHERE {quote(Lead._meta.pk.column)} = %s"  # noqa: S608
    db = connections[DEFAULT_DB_ALIAS]
    rows = [[*(f.get_db_prep_save(getattr(lead, f.attname), db) for f in fields), lead.pk] for lead in leads]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
