"""A median computed in the database: PostgreSQL's percentile_cont, and on SQLite an aggregate function registered
on the connection (SQLite has none of its own), so a median never needs the rows in Python."""

from __future__ import annotations

import statistics

from django.db.models import Aggregate, FloatField, Func


class SecondsBetween(Func):
    """`later - earlier` in seconds, as a number on every database."""

    output_field = FloatField()

    def __init__(self, later, earlier) -> None:
        super().__init__(later, earlier)

    def as_postgresql(self, compiler, conn, **extra):
        return self.as_sql(compiler, conn, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(
            compiler, conn, template="((julianday(%(expressions)s)) * 86400.0)", arg_joiner=") - julianday(", **extra
        )


class _SqliteMedian:
    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return statistics.median(self.values) if self.values else None


def _sqlite_median_register(conn) -> None:
    # Registering again replaces the same function: cheap, and right after a reconnection too.
    conn.ensure_connection()
    conn.connection.create_aggregate("ANALYTICS_MEDIAN", 1, _SqliteMedian)


class Median(Aggregate):
    function = "ANALYTICS_MEDIAN"
    name = "Median"
    output_field = FloatField()

    def as_sql(self, compiler, conn, **extra):
        if conn.vendor == "sqlite":
            _sqlite_median_register(conn)
        return super().as_sql(compiler, conn, **extra)

    def as_postgresql(self, compiler, conn, **extra):
        return super().as_sql(
            compiler,
            conn,
            function="",
            template="percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)",
            **extra,
        )
