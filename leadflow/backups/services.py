"""Making, restoring and pruning backups. The commands `backup` and `restore` and the daily schedule call these."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import tomllib
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from leadflow import audit
from leadflow.backups.archive import (
    PARTIAL_PREFIX,
    backup_folder_find,
    backup_folders,
    file_entry,
    folder_name,
    manifest_verified,
    manifest_write,
    media_copy,
    media_restore,
    partial_folders,
)
from leadflow.backups.database import (
    database_dump,
    database_dump_file,
    database_load,
    server_version,
    tables_with_data,
)
from leadflow.backups.errors import BackupError

FORMAT_VERSION = 1
# A half-written backup untouched this long was abandoned (its process killed), not still being written: even a
# pg_dump that runs to its time limit finishes well within it.
ABANDONED_AFTER_SECONDS = 2 * 24 * 3600


def backup_create(
    *, into: Path, channel: str = "command", connection: BaseDatabaseWrapper = default_connection
) -> Path:
    """Write the database and MEDIA_ROOT into a new folder under `into`; it appears complete or not at all."""
    try:
        into.mkdir(parents=True, exist_ok=True)
        # Private to the account that runs Leadflow (mkdtemp's mode is 0700): a backup holds every secret.
        partial = Path(tempfile.mkdtemp(prefix=PARTIAL_PREFIX, dir=into))
    except OSError as error:
        raise BackupError(f"Cannot write a backup into {into}: {error.strerror or error}.") from error
    try:
        created_at = timezone.now()
        dump = database_dump(connection=connection, folder=partial)
        media = media_copy(source=Path(settings.MEDIA_ROOT), folder=partial)
        manifest_write(
            partial,
            {
                "format": FORMAT_VERSION,
                "created_at": created_at.isoformat(),
                "app": _app_version(),
                "database": {"vendor": connection.vendor, "server_version": server_version(connection)},
                "migrations": _applied_migrations(connection),
                "files": [file_entry(partial, dump), *media],
            },
        )
        folder = into / folder_name(created_at)
        partial.rename(folder)
    except BaseException as error:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(error, OSError):
            raise BackupError(f"The backup into {into} failed and was removed: {error}") from error
        raise
    audit.record("backup.created", channel=channel, details={"folder": folder.name, "files": len(media)})
    return folder


def backup_restore(*, source: Path, connection: BaseDatabaseWrapper = default_connection) -> tuple[Path, dict, int]:
    """Check the backup, then load it into the configured database (which must be empty) and MEDIA_ROOT.

    Returns the folder restored, its manifest, and how many media files were copied."""
    folder = backup_folder_find(source)
    manifest = manifest_verified(folder)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(f"This backup is of a {vendor} database; the configured one is {connection.vendor}.")
    unknown = _unknown_migrations(manifest["migrations"])
    if unknown:
        raise BackupError(
            "This backup was made by a newer Leadflow (migrations this code does not have: "
            f"{', '.join(unknown[:5])}): restore it with that version."
        )
    try:
        busy = tables_with_data(connection)
    except DatabaseError as error:
        raise BackupError(f"Cannot read the configured database: {error}".strip()) from error
    if busy:
        raise BackupError(
            f"The configured database is not empty (rows in {', '.join(busy[:5])}"
            f"{' and more' if len(busy) > 5 else ''}): restore into a new, empty database."
        )
    database_load(connection=connection, dump=folder / database_dump_file(vendor))
    copied = media_restore(folder=folder, manifest=manifest, media_root=Path(settings.MEDIA_ROOT))
    return folder, manifest, copied


def backups_prune(*, directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups in `directory`, and abandoned half-written ones; other files and
    folders there are left alone."""
    if keep < 1:
        raise BackupError("At least one backup must be kept (BACKUP_KEEP ≥ 1).")
    old = backup_folders(directory)[:-keep] + partial_folders(directory, older_than=ABANDONED_AFTER_SECONDS)
    for folder in old:
        shutil.rmtree(folder)
    return old


def backup_scheduled(channel: str = "job") -> str:
    """The daily job: a backup into BACKUP_DIR, keeping the newest BACKUP_KEEP. Returns what it did."""
    if not settings.BACKUP_DIR:
        return "Backups are off (BACKUP_DIR is empty)."
    directory = Path(settings.BACKUP_DIR)
    folder = backup_create(into=directory, channel=channel)
    removed = backups_prune(directory=directory, keep=settings.BACKUP_KEEP)
    deleted = f"deleted {len(removed)} older: {', '.join(p.name for p in removed)}" if removed else "deleted none"
    return f"Backed up to {folder}; kept the newest {settings.BACKUP_KEEP}, {deleted}."


def _applied_migrations(connection: BaseDatabaseWrapper) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = defaultdict(list)
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied[app].append(name)
    return dict(applied)


def _unknown_migrations(applied: dict[str, list[str]]) -> list[str]:
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    return [f"{app}.{name}" for app, names in sorted(applied.items()) for name in names if (app, name) not in known]


def _app_version() -> dict[str, str | None]:
    version = tomllib.loads((settings.BASE_DIR / "pyproject.toml").read_text())["project"]["version"]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = None  # an installation without git or without its history
    return {"version": version, "commit": commit}
