"""A real IMAP server for tests: pymap's in-memory backend, run as its own process on 127.0.0.1 with one login.
Messages are put in with IMAP APPEND (with the arrival date a test chooses); stopping it and starting it again gives
the folder a new UIDVALIDITY, as a rebuilt server would."""

from __future__ import annotations

import datetime
import socket
import subprocess
import sys
import time
from pathlib import Path

from imapclient import IMAPClient

from tests.fakes.smtp_server import free_port

PYMAP = Path(sys.executable).with_name("pymap")


# The one login of the test server (no real secret).
DEMO_PASSWORD = "imap-test-password"


class ImapServer:
    def __init__(self, *, user: str = "sam@acme.example", password: str = DEMO_PASSWORD) -> None:
        self.host = "127.0.0.1"
        self.user = user
        self.password = password
        self.port = free_port()
        self._process: subprocess.Popen | None = None

    def start(self) -> ImapServer:
        command = [str(PYMAP), "--host", self.host, "--port", str(self.port), "--no-tls", "dict",
                   "--demo-user", self.user, "--demo-password", self.password]  # fmt: skip
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("pymap did not start listening")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def restart(self) -> None:
        """A fresh, empty server on the same port: its INBOX has a new UIDVALIDITY."""
        self.stop()
        self.start()

    def append(self, messages: list[tuple[bytes, datetime.datetime]], folder: str = "INBOX") -> None:
        """APPEND (one MULTIAPPEND) each (raw message, arrival time), CRLF line ends as IMAP wants them."""
        with IMAPClient(self.host, port=self.port, ssl=False, timeout=60) as client:
            client.login(self.user, self.password)
            client.multiappend(folder, [
                {"msg": raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), "date": arrived}
                for raw, arrived in messages
            ])  # fmt: skip

    def flags(self, folder: str = "INBOX") -> dict[int, tuple]:
        with IMAPClient(self.host, port=self.port, ssl=False, timeout=10) as client:
            client.login(self.user, self.password)
            client.select_folder(folder, readonly=True)
            return {uid: data[b"FLAGS"] for uid, data in client.fetch(client.search(), ["FLAGS"]).items()}
