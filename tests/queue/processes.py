"""manage.py processes a test starts, kills and stops by name (clusters, feeders, reconcilers), each in a process
group of its own so that a kill takes the whole of it, as a machine dying or a supervisor's SIGKILL would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.queue.test_cluster import ROOT


def group_members(group: int) -> list[int]:
    """The processes of a process group (a cluster's sentinel, pusher, monitor and workers)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group and fields[0] != "Z":
                members.append(int(entry.name))
    return members


class ManagedProcesses:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.running: dict[str, subprocess.Popen] = {}
        self.commands: dict[str, tuple[str, ...]] = {}

    def spawn(self, name: str, *args: str) -> None:
        self.commands[name] = args
        self.running[name] = subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, start_new_session=True,
            stdout=(self.logs / f"{name}.log").open("a"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def kill_group(self, name: str) -> None:
        """SIGKILL every process of the group at once; the group is gone when this returns."""
        process = self.running.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def respawn(self, name: str) -> None:
        self.spawn(name, *self.commands[name])

    def stop_all(self) -> None:
        """SIGTERM to each group's leader, as a supervisor stops a service (a cluster then stops its workers)."""
        for process in self.running.values():
            process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.running.clear()

    def check_alive(self) -> None:
        for name, process in self.running.items():
            assert process.poll() is None, f"{name} died: {(self.logs / f'{name}.log').read_text()[-3000:]}"

    def log_tails(self, chars: int = 800) -> str:
        return "\n".join(f"== {path.name}\n{path.read_text()[-chars:]}" for path in sorted(self.logs.glob("*.log")))
