"""Query lookups for bulk readers that look up thousands of keys at once (the importer, company matching)."""

from __future__ import annotations

import json

from django.core.exceptions import EmptyResultSet
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Lookup
from django.db.models.sql.compiler import SQLCompiler

# Up to this many values are written out a placeholder each, so that PostgreSQL plans with what it knows of each
# value. Joined with a list it cannot see into, it reckons each key matches as many rows as an average one does: a
# phone looked up among leads that nearly all have none read the whole table (0.3-4 s a webhook's lead under load).
FEW_VALUES = 50


class OneOf(Lookup):
    """`field IN values`, the values sent as one parameter, a JSON list. With a placeholder per value, as `__in`
    writes it, building and binding a batch's lookups took longer than running them, and so did quoting an array
    of them: psycopg quotes each element in Python, json.dumps the whole list in C."""

    lookup_name = "one_of"
    prepare_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list]:
        # Not `= ANY(array)`: for a batch's 2,000 keys PostgreSQL reckons a scan of the whole table cheaper than
        # 2,000 index lookups and is wrong by 2-3 times; joined with the list's rows, it looks them up.
        if len(self.rhs) <= FEW_VALUES:
            return self._few_sql(compiler)
        cast = self.lhs.output_field.cast_db_type(connection)
        values = f"SELECT value::{cast} FROM jsonb_array_elements_text(%s::jsonb) AS value"  # noqa: S608 (a type)
        return self._sql(compiler, values)

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list]:
        return self._sql(compiler, "SELECT value FROM json_each(%s)")

    def _few_sql(self, compiler: SQLCompiler) -> tuple[str, list]:
        if not self.rhs:
            raise EmptyResultSet
        lhs, params = compiler.compile(self.lhs)
        values = list(self.rhs)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*params, *values]

    def _sql(self, compiler: SQLCompiler, values_sql: str) -> tuple[str, list]:
        if not self.rhs:
            raise EmptyResultSet  # as `__in` does: the query returns nothing without asking the database
        lhs, params = compiler.compile(self.lhs)
        return f"{lhs} IN ({values_sql})", [*params, json.dumps(list(self.rhs))]
