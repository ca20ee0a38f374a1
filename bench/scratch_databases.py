"""Fresh PostgreSQL databases for the benchmarks, dropped again afterwards."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def _postgres_maintenance(url: str) -> tuple[str, str]:
    """The URL of the server's `postgres` database, and the name of the bench database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def postgres_recreate(url: str) -> None:
    import psycopg
    from psycopg import sql

    maintenance, name = _postgres_maintenance(url)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def postgres_drop(url: str) -> None:
    import psycopg
    from psycopg import sql

    maintenance, name = _postgres_maintenance(url)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
