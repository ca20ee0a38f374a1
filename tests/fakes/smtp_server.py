"""SMTP stand-ins on 127.0.0.1: an aiosmtpd server whose answer to RCPT TO depends on the recipient's domain, and a
tarpit that drips its greeting forever. Both count what they saw, so tests can tell whether a session happened."""

from __future__ import annotations

import asyncio
import socket
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

# How each domain answers RCPT TO: a set of mailbox names (the rest refused with 550), or one of these behaviours.
CATCH_ALL = "catch-all"  # every address accepted
GREYLIST = "greylist"  # 451: try again later
TARPIT = "tarpit"  # no reply for `tarpit_seconds`
DROP = "drop"  # the connection is closed without a reply
BLOCKED = "blocked"  # 550 5.7.1: our client is refused, which says nothing of the mailbox


def free_port() -> int:
    """A port free right now (aiosmtpd's Controller cannot be given port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, fake: FakeSmtpServer) -> None:
        self.fake = fake

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str, options) -> str:
        self.fake.greetings.append(session.host_name)
        self.fake.senders.append(address)
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options) -> str:
        self.fake.recipients.append(address)
        local, _, domain = address.lower().rpartition("@")
        rule = self.fake.domains.get(domain, set())
        if rule == CATCH_ALL or (isinstance(rule, (set, frozenset)) and local in rule):
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 OK"
        if rule == GREYLIST:
            return "451 4.7.1 Greylisted, please try again later"
        if rule == TARPIT:
            await asyncio.sleep(self.fake.tarpit_seconds)
            return "250 2.1.5 OK"
        if rule == DROP:
            server.transport.close()
            return "421 4.4.2 Closing"
        if rule == BLOCKED:
            return "550 5.7.1 Client host rejected"
        return "550 5.1.1 No such user here"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.fake.messages.append(envelope)  # a probe must never get here
        return "250 Message accepted"


class _CountingSMTP(SMTP):
    def __init__(self, fake: FakeSmtpServer, *args, **kwargs) -> None:
        self._fake = fake
        super().__init__(*args, **kwargs)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._fake.connection_seen()


class _Controller(Controller):
    def __init__(self, fake: FakeSmtpServer, **kwargs) -> None:
        self.fake = fake
        super().__init__(_Handler(fake), **kwargs)

    def factory(self) -> SMTP:
        return _CountingSMTP(self.fake, self.handler, **self.SMTP_kwargs)


class FakeSmtpServer:
    """`domains`: {"acme.test": {"jane.doe"}, "catchall.test": CATCH_ALL, ...}; a domain not listed refuses every
    address. Counts connections (`sessions`) and keeps every MAIL FROM, RCPT TO and message it saw."""

    def __init__(self, domains: dict[str, object] | None = None, *, tarpit_seconds: float = 30.0) -> None:
        self.domains = domains if domains is not None else {}
        self.tarpit_seconds = tarpit_seconds
        self.sessions = 0
        self.greetings: list[str] = []
        self.senders: list[str] = []
        self.recipients: list[str] = []
        self.messages: list[Envelope] = []
        self.port = free_port()
        self._lock = threading.Lock()
        self._first_connection = threading.Event()
        self._controller = _Controller(self, hostname="127.0.0.1", port=self.port, server_hostname="mx.fake.test")

    def connection_seen(self) -> None:
        with self._lock:
            self.sessions += 1
        self._first_connection.set()

    def start(self) -> FakeSmtpServer:
        self._controller.start()
        # The controller opens one connection of its own to check it is up: wait for it, then count from zero.
        self._first_connection.wait(timeout=5)
        with self._lock:
            self.sessions = 0
        return self

    def stop(self) -> None:
        self._controller.stop()


class TarpitServer:
    """Accepts connections and sends its greeting one line at a time ("220-..."), never finishing it: every read
    gets a little, so only a cap on the whole session ends it."""

    def __init__(self, *, line_every: float = 0.1) -> None:
        self.line_every = line_every
        self.sessions = 0
        self._stopped = threading.Event()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self._listener.settimeout(0.05)
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.sessions += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            while not self._stopped.wait(self.line_every):
                try:
                    conn.sendall(b"220-still here, please wait\r\n")
                except OSError:
                    return  # the client gave up

    def start(self) -> TarpitServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()
        self._listener.close()
