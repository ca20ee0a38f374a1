"""Fresh PostgreSQL databases for the benchmarks, dropped again afterwards, and the subprocesses that use them
(their environment, and one run of a bench's worker on a scratch database)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
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


def worker_figures(
    script: str, database: str, options: list[str], *, pg_url: str, keep: bool, reuse: bool = False, **env: str
):
    """Run `script --worker DATABASE --out FILE OPTIONS` in a fresh interpreter on a scratch database (a new SQLite
    file, or `pg_url` dropped and created; `reuse` leaves an existing PostgreSQL one as it is, and keeps it), return
    the JSON it wrote, and drop the scratch unless `keep`."""
    scratch = Path(tempfile.mkdtemp(prefix=f"leadflow-bench-{Path(script).stem}-{database}-"))
    url = f"sqlite:///{scratch / 'bench.sqlite3'}" if database == "sqlite" else pg_url
    keep = keep or reuse
    if database == "postgres" and not reuse:
        postgres_recreate(url)
    out = scratch / "results.json"
    command = [sys.executable, script, "--worker", database, "--out", str(out), *options]
    try:
        root = Path(script).resolve().parent.parent
        subprocess.run(command, env=worker_environment(url, **env), cwd=root, check=True)
        return json.loads(out.read_text())
    finally:
        if keep:
            print(f"kept: {url}", flush=True)
        elif database == "postgres":
            postgres_drop(url)
        if not (keep and database == "sqlite"):
            shutil.rmtree(scratch, ignore_errors=True)
