"""Copying the configured database out and back in: SQLite through its online backup API, PostgreSQL through
pg_dump and pg_restore, one file each; and whether a database holds any of our data."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper

from leadflow.backups.errors import BackupError

DUMP_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}

# Rows a fresh `migrate` writes (the default pipeline and its stages): a database holding only these is empty.
MIGRATION_SEEDED_TABLES = {"crm_pipeline", "crm_stage"}

# A dump or restore of a large database takes long, but one that hangs (a lock held forever) must not hang the
# job cluster with it.
PG_TOOL_TIMEOUT_SECONDS = 6 * 3600


def database_dump(*, connection: BaseDatabaseWrapper, folder: Path) -> Path:
    """Write a consistent copy of the database into `folder` and return its path."""
    path = folder / database_dump_file(connection.vendor)
    if connection.vendor == "sqlite":
        _sqlite_copy(source=Path(connection.settings_dict["NAME"]), target=path)
    else:
        _pg_run(connection, "pg_dump", ["--format=custom", "--no-password", f"--file={path}"])
    return path


def database_load(*, connection: BaseDatabaseWrapper, dump: Path) -> None:
    """Replace the configured database's contents with `dump` (made by `database_dump` on the same vendor)."""
    if connection.vendor == "sqlite":
        # Our own connection is closed first: the copy rewrites the file under it.
        connection.close()
        _sqlite_copy(source=dump, target=Path(connection.settings_dict["NAME"]))
    else:
        # --clean --if-exists: an empty but migrated database has the tables already; the dump's own replace them.
        # --no-owner --no-acl: the roles of the machine the dump came from need not exist here.
        _pg_run(
            connection,
            "pg_restore",
            [
                *("--no-owner", "--no-acl", "--clean", "--if-exists", "--single-transaction", "--exit-on-error"),
                *("--no-password", f"--dbname={connection.settings_dict['NAME']}", str(dump)),
            ],
        )


def database_dump_file(vendor: str) -> str:
    if vendor not in DUMP_FILES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return DUMP_FILES[vendor]


def tables_with_data(connection: BaseDatabaseWrapper) -> list[str]:
    """Our apps' tables that hold rows other than the ones migrations write; none means the database is empty."""
    existing = set(connection.introspection.table_names())
    ours = sorted(
        {
            model._meta.db_table
            for config in apps.get_app_configs()
            if Path(config.path).parent == settings.BASE_DIR  # the project's own apps, not installed packages
            for model in config.get_models(include_auto_created=True)
        }
        & existing - MIGRATION_SEEDED_TABLES
    )
    with connection.cursor() as cursor:
        found = []
        for table in ours:
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone():
                found.append(table)
    return found


def server_version(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor == "sqlite":
        return sqlite3.sqlite_version
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def _sqlite_copy(*, source: Path, target: Path) -> None:
    """Copy page by page with SQLite's online backup API: consistent even while the web server and the job
    cluster write, and the same call restores."""
    if not source.is_file():
        raise BackupError(f"The SQLite database {source} does not exist.")
    with closing(sqlite3.connect(source, timeout=20)) as reader, closing(sqlite3.connect(target, timeout=20)) as writer:
        reader.backup(writer)
        # The live database runs in WAL mode: the copy becomes one self-contained file (a restored database goes
        # back to WAL when Leadflow next connects).
        writer.execute("PRAGMA journal_mode=DELETE")


def _pg_run(connection: BaseDatabaseWrapper, tool: str, args: list[str]) -> None:
    executable = _pg_tool(connection, tool)
    try:
        done = subprocess.run(  # noqa: S603
            [executable, *args],
            env=_pg_environment(connection.settings_dict),
            capture_output=True,
            text=True,
            timeout=PG_TOOL_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BackupError(f"{tool} did not finish in {PG_TOOL_TIMEOUT_SECONDS // 3600} hours.") from error
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()}")


def _pg_tool(connection: BaseDatabaseWrapper, tool: str) -> str:
    """The tool's path. It must exist and be at least the server's major version (an older pg_dump refuses a newer
    server; a newer one reads and writes older servers, as PostgreSQL's upgrade guide recommends)."""
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} is not installed: install PostgreSQL's client tools (postgresql-client).")
    version = subprocess.run(  # noqa: S603
        [executable, "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    found = re.search(r"\(PostgreSQL\) (\d+)", version)
    server_major = connection.pg_version // 10000
    if found is None or int(found.group(1)) < server_major:
        raise BackupError(
            f"{tool} is version {found.group(1) if found else 'unknown'} but the server is PostgreSQL "
            f"{server_major}: install postgresql-client-{server_major}."
        )
    return executable


def _pg_environment(settings_dict: dict) -> dict[str, str]:
    """Connection parameters as libpq's environment variables: the password never appears on a command line."""
    from django.db.backends.postgresql.client import DatabaseClient

    _, extra = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    env = {**os.environ, **(extra or {})}
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGDATABASE", "NAME")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env
