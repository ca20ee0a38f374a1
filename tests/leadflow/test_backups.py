"""`manage.py backup` and `restore`: a seeded database and its uploaded files come back whole in an empty database
(SQLite under `make test`, PostgreSQL when DATABASE_URL names one), and damaged or misplaced restores are refused."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils.module_loading import import_string

from crm.models import Lead, Stage
from leadflow.backups.database import _pg_environment, tables_with_data
from leadflow.backups.services import backup_scheduled
from leadflow.schedules import SCHEDULES
from tests.factories import LeadFactory, NoteFactory

pytestmark = pytest.mark.django_db(transaction=True)

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore (PostgreSQL)")

UPLOADS = {
    "imports/2026/12/leads.csv": b"Name,Email\nAsha Rao,asha@example.in\n",
    "inbound/2026/12/reply.eml": b"From: ravi@example.in\r\nSubject: Re: hello\r\n\r\nYes, call me.\r\n",
    "inbound/unmatched/2026/12/binary.bin": bytes(range(256)) * 400,
    "imports/2026/12/Réunion leads.csv": "Nom\nÉlodie\n".encode(),
}


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """MEDIA_ROOT with uploaded files of several kinds and folders."""
    root = tmp_path / "media"
    for name, content in UPLOADS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    settings.MEDIA_ROOT = str(root)
    return root


def database_rows(url: str) -> dict[str, list[tuple]]:
    """Every table's rows (every table the database's catalog lists), ordered by all their columns; PostgreSQL's
    sequences too, so that new rows after a restore get new ids."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return {table: _ordered_rows(db.cursor(), table) for table in tables}
    import psycopg

    with psycopg.connect(url) as db, db.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [name for (name,) in cursor.fetchall()]
        rows = {table: _ordered_rows(cursor, table) for table in tables}
        cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1")
        rows["(sequences)"] = cursor.fetchall()
        return rows


def _ordered_rows(cursor, table: str) -> list[tuple]:
    cursor.execute(f'SELECT * FROM "{table}" LIMIT 0')  # noqa: S608
    order = ", ".join(str(position) for position in range(1, len(cursor.description) + 1))
    cursor.execute(f'SELECT * FROM "{table}" ORDER BY {order}')  # noqa: S608
    return cursor.fetchall()


def files_in(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def source_url() -> str:
    """The test database's URL (its name is the test run's, not the one in settings)."""
    info = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{info['NAME']}"
    return f"postgres://{info['USER']}:{info['PASSWORD'] or ''}@{info['HOST']}:{info['PORT'] or 5432}/{info['NAME']}"


@dataclass
class Target:
    """A second, empty database and MEDIA_ROOT, which `manage.py` in another process restores into."""

    url: str
    media: Path

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "leadflow.settings",
            "DATABASE_URL": self.url,
            "MEDIA_ROOT": str(self.media),
        }
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )


@pytest.fixture
def target(tmp_path):
    if connection.vendor == "sqlite":
        yield Target(url=f"sqlite:///{tmp_path / 'restored.sqlite3'}", media=tmp_path / "restored-media")
        return
    import psycopg
    from psycopg import sql

    name = f"{connection.settings_dict['NAME']}_restored"
    maintenance = source_url().rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance, autocommit=True) as db:
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield Target(url=source_url().rsplit("/", 1)[0] + f"/{name}", media=tmp_path / "restored-media")
    with psycopg.connect(maintenance, autocommit=True) as db:
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def backup(into: Path) -> Path:
    out = StringIO()
    call_command("backup", str(into), stdout=out)
    return Path(out.getvalue().removeprefix("Backed up to ").strip())


def assert_same_rows(restored: dict[str, list[tuple]], original: dict[str, list[tuple]]) -> None:
    assert sorted(restored) == sorted(original)
    assert [table for table in original if restored[table] != original[table]] == []


def test_a_seeded_database_and_its_uploads_come_back_whole_in_an_empty_database(media, target, tmp_path):
    call_command("seed_demo", "--allow-without-debug", stdout=StringIO())
    original = database_rows(source_url())
    assert len(original["crm_lead"]) > 300
    assert len([table for table, rows in original.items() if rows]) > 40
    backup(tmp_path / "backups")

    # A database without tables, given the folder of backups (the newest is restored).
    restored = target.manage("restore", str(tmp_path / "backups"))
    assert restored.returncode == 0, restored.stderr
    uploads = files_in(media)  # ours, and the demo's own (its import's file)
    assert uploads.items() > UPLOADS.items()
    assert f"and {len(uploads)} uploaded files" in restored.stdout
    assert_same_rows(database_rows(target.url), original)
    assert files_in(target.media) == uploads

    # An empty database that has our tables (migrated, then emptied) takes it too.
    assert target.manage("flush", "--no-input").returncode == 0
    restored = target.manage("restore", str(tmp_path / "backups"))
    assert restored.returncode == 0, restored.stderr
    assert_same_rows(database_rows(target.url), original)

    # Now that it holds leads, it is refused.
    refused = target.manage("restore", str(tmp_path / "backups"))
    assert refused.returncode == 1
    assert "The configured database is not empty" in refused.stderr


def test_the_manifest_lists_every_file_with_its_checksum_and_the_migration_state(media, tmp_path):
    LeadFactory()
    folder = backup(tmp_path / "backups")

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["app"]["version"] == "0.1.0"
    assert manifest["created_at"].startswith(folder.name[9:13])
    assert "0001_initial" in manifest["migrations"]["crm"]
    dump = "database.sqlite3" if connection.vendor == "sqlite" else "database.pgdump"
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == {dump, *(f"media/{name}" for name in UPLOADS)}
    for path, entry in listed.items():
        content = (folder / path).read_bytes()
        assert (entry["size"], entry["sha256"]) == (len(content), hashlib.sha256(content).hexdigest())
    assert {path.name for path in folder.iterdir()} == {"manifest.json", "media", dump}


def test_a_database_with_data_is_not_overwritten(media, tmp_path):
    lead = LeadFactory()
    backup(tmp_path / "backups")

    with pytest.raises(CommandError, match=r"not empty \(rows in .*crm_lead"):
        call_command("restore", str(tmp_path / "backups"))
    assert Lead.objects.get() == lead


@pytest.mark.django_db  # in a transaction over the freshly migrated test database, not after a flush
def test_a_freshly_migrated_database_counts_as_empty():
    # Migrations write the default pipeline; if another migration starts writing rows, list its table in
    # MIGRATION_SEEDED_TABLES (or a fresh database would be refused).
    assert Stage.objects.exists()
    assert tables_with_data(connection) == []


@pytest.mark.parametrize(
    ("damage", "complaint"),
    [
        ("change the database file", "checksum does not match"),
        ("change an uploaded file", "media/imports/2026/12/leads.csv: checksum does not match"),
        ("remove an uploaded file", "media/inbound/2026/12/reply.eml: missing"),
        ("add a file", "media/extra.txt: not in the manifest"),
    ],
)
def test_a_damaged_backup_is_refused_before_anything_is_restored(media, tmp_path, damage, complaint):
    folder = backup(tmp_path / "backups")
    dump = next(folder.glob("database.*"))
    if damage == "change the database file":
        with dump.open("r+b") as file:
            file.seek(dump.stat().st_size // 2)
            file.write(b"\x00garbage\x00")
    elif damage == "change an uploaded file":
        (folder / "media/imports/2026/12/leads.csv").write_bytes(b"Name,Email\nMallory,m@example.com\n")
    elif damage == "remove an uploaded file":
        (folder / "media/inbound/2026/12/reply.eml").unlink()
    else:
        (folder / "media/extra.txt").write_text("planted")
    (Path(settings.MEDIA_ROOT) / "imports/2026/12/leads.csv").unlink()

    with pytest.raises(CommandError, match="is damaged or was changed; nothing was restored") as refused:
        call_command("restore", str(folder))
    assert complaint in str(refused.value)
    assert not (Path(settings.MEDIA_ROOT) / "imports/2026/12/leads.csv").exists()


def test_a_folder_that_cannot_be_written_gets_a_clear_message(media, tmp_path):
    # A regular file where the folder should be: refused for root too, unlike a folder without write permission.
    (tmp_path / "backups").write_text("not a folder")

    with pytest.raises(CommandError, match=r"Cannot write a backup into .*backups/daily: Not a directory\."):
        call_command("backup", str(tmp_path / "backups" / "daily"))


def test_a_backup_that_fails_half_way_leaves_nothing_behind(media, tmp_path):
    # An upload whose file vanished under its link: the database is copied, then reading the uploads fails.
    (media / "imports/gone.csv").symlink_to(tmp_path / "nowhere.csv")
    (tmp_path / "backups").mkdir()

    with pytest.raises(CommandError, match=r"The backup into .* failed and was removed: .*gone\.csv"):
        call_command("backup", str(tmp_path / "backups"))
    assert list((tmp_path / "backups").iterdir()) == []


def test_the_daily_backup_keeps_the_newest_copies_and_nothing_else_it_finds(media, tmp_path, settings):
    settings.BACKUP_DIR = str(tmp_path / "backups")
    settings.BACKUP_KEEP = 2
    (tmp_path / "backups" / "leadflow-notes").mkdir(parents=True)
    (tmp_path / "backups" / "README.txt").write_text("Our backups")
    # Half-written backups: one whose process was killed three days ago, one that may still be being written.
    (tmp_path / "backups" / ".leadflow-partial-killed").mkdir()
    os.utime(tmp_path / "backups" / ".leadflow-partial-killed", (time.time() - 3 * 24 * 3600,) * 2)
    (tmp_path / "backups" / ".leadflow-partial-running").mkdir()
    NoteFactory()

    said = []
    for _ in range(4):
        out = StringIO()
        call_command("backup", stdout=out)
        said.append(out.getvalue())

    kept = sorted(p.name for p in (tmp_path / "backups").iterdir() if p.name.startswith("leadflow-2"))
    assert len(kept) == 2
    assert kept[-1] in said[-1]
    assert "kept the newest 2, deleted 1 older: .leadflow-partial-killed" in said[0]
    assert "kept the newest 2, deleted none" in said[1]
    assert "kept the newest 2, deleted 1 older: leadflow-" in said[3]
    assert not (tmp_path / "backups" / ".leadflow-partial-killed").exists()
    assert (tmp_path / "backups" / ".leadflow-partial-running").is_dir()
    assert (tmp_path / "backups" / "leadflow-notes").is_dir()
    assert (tmp_path / "backups" / "README.txt").read_text() == "Our backups"


def test_keep_deletes_all_but_the_newest_backups_in_the_folder(tmp_path):
    first = backup(tmp_path / "backups")
    out = StringIO()

    call_command("backup", str(tmp_path / "backups"), "--keep", "1", stdout=out)

    kept = [path.name for path in (tmp_path / "backups").iterdir()]
    assert len(kept) == 1
    assert kept[0] in out.getvalue()
    assert f"Deleted 1 older backups: {first.name}" in out.getvalue()


def test_the_daily_backup_is_off_without_a_folder(settings):
    settings.BACKUP_DIR = ""

    assert backup_scheduled() == "Backups are off (BACKUP_DIR is empty)."
    entry = next(entry for entry in SCHEDULES.values() if entry["func"].endswith("backup_scheduled"))
    assert import_string(entry["func"]) is backup_scheduled


@on_postgresql
def test_without_pg_dump_the_backup_says_what_to_install(media, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(CommandError, match=r"pg_dump is not installed: install PostgreSQL's client tools"):
        call_command("backup", str(tmp_path / "backups"))
    assert list((tmp_path / "backups").iterdir()) == []


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"migrations": {"crm": ["9999_from_the_future"]}}, r"made by a newer Leadflow \(.*crm\.9999_from_the_future"),
        ({"database": {"vendor": "oracle"}}, r"This backup is of a oracle database; the configured one is"),
    ],
)
def test_a_backup_from_a_newer_leadflow_or_another_database_is_refused(tmp_path, change, complaint):
    folder = backup(tmp_path / "backups")
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, **change}))

    with pytest.raises(CommandError, match=complaint):
        call_command("restore", str(folder))


def test_pg_tools_get_the_password_from_the_environment_only():
    environment = _pg_environment(
        {
            "NAME": "crm",
            "USER": "leadflow",
            "PASSWORD": "s3cret pass",
            "HOST": "db.internal",
            "PORT": 5433,
            "OPTIONS": {"sslmode": "require"},
        }
    )

    assert {
        key: environment[key] for key in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "PGSSLMODE")
    } == {
        "PGHOST": "db.internal",
        "PGPORT": "5433",
        "PGUSER": "leadflow",
        "PGDATABASE": "crm",
        "PGPASSWORD": "s3cret pass",
        "PGSSLMODE": "require",
    }
