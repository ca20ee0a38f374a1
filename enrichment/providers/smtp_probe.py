"""Asking a domain's mail server whether mailboxes exist, without sending anything: one SMTP session that says
EHLO, MAIL FROM, RCPT TO a random address (accepted: the domain takes every address, "catch-all") and then RCPT TO
each candidate until one is accepted, and ends with RSET and QUIT (never DATA).

The whole session for one domain has a time cap (ENRICHMENT_SMTP_TIMEOUT): every wait is cut to the time left,
and a watchdog closes the socket at the deadline, so a tarpit that drips its replies cannot hold a job."""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
import smtplib
import socket
import string
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings

from enrichment.dns import DnsLookupFailed, MailRoute, host_addresses
from leadflow.http import HostRateLimiter, is_public_address

# A domain's first three mail hosts are enough: the rest are backups that answer the same way, or not at all.
MAX_MX_HOSTS = 3
# Replies that say this mailbox does not exist (RFC 5321): unless the enhanced code is a policy one (5.7.x: our
# address or HELO is blocked), which tells nothing of the mailbox.
_NO_SUCH_MAILBOX = frozenset({550, 551, 553})


class _ProbeTimeUp(Exception):
    pass


@dataclass
class RcptReply:
    address: str
    code: int
    message: str

    @property
    def verdict(self) -> str:
        """ "accepted", "rejected" (no such mailbox), "deferred" (4xx: greylisting, try later) or "blocked"."""
        if self.code in (250, 251):
            return "accepted"
        if 400 <= self.code < 500:
            return "deferred"
        if self.code in _NO_SUCH_MAILBOX and not self.message.startswith("5.7."):
            return "rejected"
        return "blocked"

    def as_dict(self) -> dict:
        return {"email": self.address, "code": self.code, "message": self.message[:200]}


@dataclass
class ProbeResult:
    """What one domain's mail server said. `error` is why the session ended before a verdict (time up, dropped,
    refused, greylisted): the addresses it did not answer are "unknown"."""

    domain: str
    mx_host: str = ""
    catch_all: bool | None = None
    catch_all_reply: RcptReply | None = None
    replies: list[RcptReply] = field(default_factory=list)
    found: str = ""
    error: str = ""
    connected: bool = False

    def as_dict(self) -> dict:
        return {
            "domain": self.domain,
            "mx_host": self.mx_host,
            "catch_all": self.catch_all,
            "catch_all_reply": self.catch_all_reply.as_dict() if self.catch_all_reply else None,
            "replies": [reply.as_dict() for reply in self.replies],
            "found": self.found,
            "error": self.error,
        }


class _DeadlineSMTP(smtplib.SMTP):
    """smtplib's client whose every connect, send and read waits at most the time left of the whole probe, and
    whose socket is shut at the deadline (a read that gets a byte now and then would never time out)."""

    _watchdog: threading.Timer | None = None

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        # local_hostname given: smtplib would otherwise ask the system resolver for our own name.
        super().__init__(local_hostname=settings.ENRICHMENT_HELO_NAME, timeout=self.time_left())

    def time_left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _ProbeTimeUp
        return left

    def _get_socket(self, host, port, timeout):
        # A host that never answers the connect may take half the time at most: the next MX host gets the rest.
        connect_within = min(self.time_left(), float(settings.ENRICHMENT_SMTP_TIMEOUT) / 2)
        sock = super()._get_socket(host, port, connect_within)
        self._watchdog = threading.Timer(self.time_left(), _shut, args=(sock,))
        self._watchdog.daemon = True
        self._watchdog.start()
        return sock

    def send(self, s) -> None:
        if self.sock is not None:
            self.sock.settimeout(self.time_left())
        super().send(s)

    def getreply(self) -> tuple[int, bytes]:
        if self.sock is not None:
            self.sock.settimeout(self.time_left())
        return super().getreply()

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        super().close()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


def _random_address(domain: str) -> str:
    """An address no one has: 20 random letters and digits."""
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(20)) + f"@{domain}"


def _allowed(address: str) -> bool:
    return settings.ENRICHMENT_ALLOW_PRIVATE_MX or is_public_address(ipaddress.ip_address(address))


def _rcpt(client: _DeadlineSMTP, address: str) -> RcptReply:
    code, message = client.rcpt(address)
    return RcptReply(address, code, message.decode("utf-8", "replace") if isinstance(message, bytes) else message)


def _converse(client: _DeadlineSMTP, result: ProbeResult, candidates: list[str], test_catch_all: bool) -> None:
    """EHLO (HELO if refused), MAIL FROM, RCPT TO the random address, then the candidates; stops at the first
    acceptance, a deferral or a policy block (more RCPTs would only annoy the server)."""
    code, _ = client.ehlo()
    if not 200 <= code < 300:
        code, _ = client.helo()
        if not 200 <= code < 300:
            result.error = f"{result.mx_host} refused HELO ({code})"
            return
    code, message = client.mail(settings.ENRICHMENT_MAIL_FROM)
    if code != 250:
        result.error = f"{result.mx_host} refused MAIL FROM ({code} {message.decode('utf-8', 'replace')[:120]})"
        return
    if test_catch_all:
        reply = result.catch_all_reply = _rcpt(client, _random_address(result.domain))
        if reply.verdict == "accepted":
            result.catch_all = True
            return
        if reply.verdict != "rejected":
            result.error = _unanswered(reply)
            return
        result.catch_all = False
    for address in candidates:
        reply = _rcpt(client, address)
        result.replies.append(reply)
        if reply.verdict == "accepted":
            result.found = address
            return
        if reply.verdict != "rejected":
            result.error = _unanswered(reply)
            return


def _unanswered(reply: RcptReply) -> str:
    if reply.verdict == "deferred":
        return f"greylisted: try later ({reply.code} {reply.message[:120]})"
    return f"the server refused the probe ({reply.code} {reply.message[:120]})"


def _session(address: str, result: ProbeResult, candidates: list[str], test_catch_all: bool, deadline: float) -> bool:
    """One session with one server address; False when it could not be opened in time left (try the next one)."""
    client = _DeadlineSMTP(deadline)
    try:
        code, _ = client.connect(address, settings.ENRICHMENT_SMTP_PORT)
        if code != 220:
            return False
        result.connected = True
        _converse(client, result, candidates, test_catch_all)
        _goodbye(client)
    except (_ProbeTimeUp, smtplib.SMTPException, OSError, UnicodeError) as error:
        # A timed-out read, or one the watchdog cut, means time is up (give or take the clock's last tick).
        time_up = isinstance(error, _ProbeTimeUp) or time.monotonic() >= deadline - 0.05
        if time_up or (result.connected and "timed out" in str(error)):
            result.error = f"no answer within {settings.ENRICHMENT_SMTP_TIMEOUT:g}s (a slow or tarpitting server)"
        elif not result.connected:
            return False
        elif isinstance(error, smtplib.SMTPServerDisconnected):
            result.error = f"{result.mx_host} dropped the connection"
        else:
            result.error = f"{result.mx_host} broke off the session ({error})"
    finally:
        client.close()
    return True


def _goodbye(client: _DeadlineSMTP) -> None:
    """RSET and QUIT, politely; a server that hangs up first is no failure of the probe."""
    try:
        client.rset()
        client.quit()
    except (smtplib.SMTPException, OSError, UnicodeError, _ProbeTimeUp):
        pass


_mail_server_turns = HostRateLimiter()


def probe_mailboxes(route: MailRoute, candidates: list[str], *, test_catch_all: bool = True) -> ProbeResult:
    """Ask the domain's mail hosts, in preference order, about the candidates (rank order); the next host is tried
    only when one cannot be reached. Mail servers on private addresses are refused unless
    ENRICHMENT_ALLOW_PRIVATE_MX."""
    result = ProbeResult(domain=route.domain)
    deadline = time.monotonic() + float(settings.ENRICHMENT_SMTP_TIMEOUT)
    why_not: list[str] = []
    for host in route.hosts[:MAX_MX_HOSTS]:
        try:
            addresses = host_addresses(host)
        except DnsLookupFailed as error:
            why_not.append(str(error))
            continue
        if not addresses:
            why_not.append(f"mail server {host} has no address")
        for address in addresses:
            if not _allowed(address):
                why_not.append(f"mail server {host} is on a private address ({address}): refused")
                continue
            if time.monotonic() >= deadline:
                why_not.append(f"no answer within {settings.ENRICHMENT_SMTP_TIMEOUT:g}s")
                break
            result.mx_host = host
            # Spread: sessions to one mail server are spaced out (ENRICHMENT_SMTP_RATE_PER_HOST), whoever asks.
            _mail_server_turns.wait(host, settings.ENRICHMENT_SMTP_RATE_PER_HOST)
            if _session(address, result, candidates, test_catch_all, deadline):
                return result
            why_not.append(f"mail server {host} ({address}) did not take the connection")
    result.mx_host = ""
    result.error = "; ".join(dict.fromkeys(why_not)) or f"no mail server to ask for {route.domain}"
    return result
