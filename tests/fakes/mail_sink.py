"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts, parsed, for tests and benchmarks
to check what arrived: headers, bodies, how many copies each recipient got. It can be told to answer some
recipients with a temporary (4xx) or permanent (5xx) refusal, or to refuse connections altogether (`down`)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.fakes.smtp_server import free_port


class _SinkHandler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options) -> str:
        answer = self.sink.refusals.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        if self.sink.data_answer:
            return self.sink.data_answer
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink.lock:
            self.sink.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class _SinkSMTP(SMTP):
    def __init__(self, sink: MailSink, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sink = sink

    def connection_made(self, transport) -> None:
        with self.sink.lock:
            self.sink.connections += 1
        super().connection_made(transport)


class _SinkController(Controller):
    def __init__(self, sink: MailSink, **kwargs) -> None:
        self.sink = sink
        super().__init__(_SinkHandler(sink), **kwargs)

    def factory(self) -> SMTP:
        return _SinkSMTP(self.sink, self.handler, **self.SMTP_kwargs)


class MailSink:
    """Start with `.start()`, point a mailbox at `host`/`port`, read `.messages` as (recipients, message)."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.connections = 0
        # recipient (lower-cased) -> SMTP answer to RCPT TO,
        # e.g. "451 4.7.1 Try again later" or "550 5.1.1 No such user"
        self.refusals: dict[str, str] = {}
        # An answer to DATA for every message instead of accepting it ("421 4.3.2 Service shutting down").
        self.data_answer = ""
        # Seconds each message takes to be accepted, as a real server's would: sends overlap and take time.
        self.delay = 0.0
        self.port = free_port()
        self._controller: _SinkController | None = None

    def start(self) -> MailSink:
        self._controller = _SinkController(self, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received_by(self, address: str) -> list[EmailMessage]:
        """The messages that reached `address`, in the order they arrived."""
        with self.lock:
            return [message for recipients, message in self.messages if address.lower() in map(str.lower, recipients)]

    def copies_per_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.lock:
            for recipients, _message in self.messages:
                for address in recipients:
                    counts[address.lower()] = counts.get(address.lower(), 0) + 1
        return counts
