"""A Redis server of the test's own, on a free port in a temporary folder, that a test may kill and start again:
with its append-only file written at every command, as README asks of the broker's Redis in production."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import redis


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> OwnRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=(self.folder / "redis.log").open("a"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis(port=self.port, socket_timeout=1).ping()
                return self
            except redis.ConnectionError:
                assert self.process.poll() is None, (self.folder / "redis.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "Redis did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, as a crash or a machine's restart: what it had written to its append-only file stays."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)

    def restart(self) -> None:
        self.kill()
        self.start()

    def queue_length(self) -> int:
        return sum(redis.Redis(port=self.port).llen(key) for key in redis.Redis(port=self.port).keys("django_q:*:q"))
