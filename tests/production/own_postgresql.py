"""A throwaway PostgreSQL server of a test's own (initdb and pg_ctl in a temp folder, on a free port), which the
test may stop and start; the shared server is never touched."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.smtp_server import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*command: str) -> subprocess.CompletedProcess:
    """PostgreSQL refuses to run as root: its tools run as the postgres user when the test runs as root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@dataclass
class OwnPostgreSQL:
    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        _as_postgres(
            str(BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start"
        )

    def stop(self) -> None:
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def log(self) -> str:
        return (self.folder / "log").read_text(errors="replace")


def own_postgresql_start() -> OwnPostgreSQL:
    folder = Path(tempfile.mkdtemp(prefix="leadflow-own-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    server = OwnPostgreSQL(folder=folder, port=free_port())
    _as_postgres(str(BIN / "initdb"), "-D", str(server.data), "-U", "postgres", "--auth=trust", "--no-sync")
    server.start()
    return server


def own_postgresql_remove(server: OwnPostgreSQL) -> None:
    if (server.data / "postmaster.pid").exists():
        server.stop()
    shutil.rmtree(server.folder, ignore_errors=True)


def database_copy(*, source_url: str, server: OwnPostgreSQL, name: str) -> str:
    """A copy of a migrated database (pg_dump | pg_restore: seconds, where migrating anew takes minutes)."""
    _as_postgres(str(BIN / "createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", name)
    dump = subprocess.run(
        [str(BIN / "pg_dump"), "--format=custom", "--no-owner", source_url],
        capture_output=True,
        timeout=300,
        check=True,
    )
    subprocess.run(
        [str(BIN / "pg_restore"), "--no-owner", "--dbname", server.url(name)],
        input=dump.stdout,
        capture_output=True,
        timeout=300,
        check=True,
    )
    return server.url(name)
