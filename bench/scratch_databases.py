"""Fresh PostgreSQL databases for the benchmarks, dropped again afterwards, and the environment of the
subprocesses that use them."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit


def _postgres_maintenance(url: str) -> tuple[str, str]:
    """The URL of the server's `postgres` database, and the name of the bench database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def postgres_recreate(url: str, template: str | None = None) -> None:
    """Drop the URL's database and create it again: empty, or as a copy of the database named `template`."""
    import psycopg
    from psycopg import sql

    maintenance, name = _postgres_maintenance(url)
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(create)


def postgres_drop(url: str) -> None:
    import psycopg
    from psycopg import sql

    maintenance, name = _postgres_maintenance(url)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def postgres_name(url: str) -> str:
    return _postgres_maintenance(url)[1]


def postgres_url_for(url: str, name: str) -> str:
    """The same server's URL for the database `name`."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


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
