"""Fresh PostgreSQL databases for the benchmarks, dropped again afterwards, and the environment of the
subprocesses that use them."""

from __future__ import annotations

import os
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


def worker_environment(url: str, **extra: str) -> dict[str, str]:
    """Production settings on the bench database: DEBUG off, so no query log grows with every request or batch."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "leadflow.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-never-used-to-sign-anything-real",
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        **extra,
    }
