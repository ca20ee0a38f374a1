"""SQL the ORM does not write for both our databases: seconds between two moments, and a median per group.

PostgreSQL computes the median with percentile_cont; SQLite has no such aggregate, so there the middle row (or the
two middle rows' mean) of each group is picked by window functions: still one query, no rows loaded into Python.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction


def seconds_between(later: str, earlier: str) -> str:
    """An SQL expression: seconds from `earlier` to `later` (two timestamp expressions)."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later}) - ({earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def median_by_group(values_sql: str, params: Sequence[Any]) -> dict[Any, float]:
    """The median of `value` per `grp`, over a query selecting the columns `grp` and `value` (NULL values skipped)."""
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT grp, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) FROM ({values_sql}) AS v "  # noqa: S608
            "WHERE value IS NOT NULL GROUP BY grp"
        )
    else:
        sql = (
            "SELECT grp, AVG(value) FROM (SELECT grp, value, "  # noqa: S608 (values_sql is ours, values are params)
            "ROW_NUMBER() OVER (PARTITION BY grp ORDER BY value) AS position, "
            f"COUNT(*) OVER (PARTITION BY grp) AS size FROM ({values_sql}) AS v WHERE value IS NOT NULL) AS ranked "
            "WHERE position IN ((size + 1) / 2, (size + 2) / 2) GROUP BY grp"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return {group: float(value) for group, value in cursor.fetchall() if value is not None}


@contextmanager
def report_queries() -> Iterator[None]:
    """Run a report's queries with PostgreSQL's JIT compiler off (for these aggregates over tens of thousands of
    rows, compiling took seconds at a million leads where the queries take milliseconds), and with the planner told
    that index reads are cheap, as on SSDs: walking a period's leads through their indexes then beats scanning a
    whole timeline table (measured: 0.97 s down to 0.47 s for the funnel's medians)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL random_page_cost = 1.1")
        yield
