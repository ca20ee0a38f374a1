"""Handing claimed emails to their mailbox's server: one connection per mailbox per tick, reused for every message,
and what the server answered, sorted into sent, worth retrying, or refused for good."""

from __future__ import annotations

import smtplib
import time
from dataclasses import dataclass

import requests
import urllib3
from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from outreach.mailboxes import mailbox_connection
from outreach.models import Mailbox


@dataclass(frozen=True)
class Delivery:
    """What became of one email: `sent`; `transient` (it did not go: try again later); `permanent` (refused for
    good); or `uncertain` (the exchange broke after it began: it may have gone, so a person decides)."""

    result: str
    error: str = ""
    provider_message_id: str = ""
    # The recipient's server refused the address itself for good: most likely a hard bounce.
    recipient_refused: bool = False


def _smtp_answer(code: int, text: bytes | str) -> str:
    text = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {text}".strip()


def _refused(exc: smtplib.SMTPRecipientsRefused) -> Delivery:
    code, text = next(iter(exc.recipients.values()))
    answer = _smtp_answer(code, text)
    if 400 <= code < 500:
        return Delivery("transient", error=answer)
    return Delivery("permanent", error=answer, recipient_refused=True)


def request_never_reached(cause: BaseException | None) -> bool:
    """Whether a request failed before any connection to the service was made (refused, unresolvable, timed out
    connecting), so that nothing can have been sent."""
    if isinstance(cause, requests.exceptions.ConnectTimeout):
        return True
    reason = (
        getattr(cause.args[0], "reason", None) if isinstance(cause, requests.ConnectionError) and cause.args else None
    )
    return isinstance(reason, urllib3.exceptions.ConnectTimeoutError)  # NewConnectionError is one


def _api_failure(exc: AnymailError) -> Delivery:
    status = getattr(exc, "status_code", None)
    if isinstance(exc, AnymailAPIError) and status is None and not request_never_reached(exc.__cause__):
        # The request went out and no answer came back (read timeout, connection cut): the service may have
        # accepted it, so a person decides rather than a retry sending a second copy.
        return Delivery("uncertain", error=f"no answer from the email service: {exc}"[:2000])
    # An email service that is down, unreachable or rate-limiting is asked again later; a request it refuses is not.
    if isinstance(exc, AnymailAPIError) and (status is None or status >= 500 or status == 429):
        return Delivery("transient", error=str(exc)[:2000])
    return Delivery("permanent", error=str(exc)[:2000], recipient_refused=isinstance(exc, AnymailRecipientsRefused))


# A connection idle this long is opened afresh before the next message (servers drop idle sessions).
IDLE_SECONDS = 20


class MailboxConnections:
    """The tick's open connections, one per mailbox, closed at the end; a mailbox whose server could not be
    reached is not tried again within the tick (its remaining messages wait for their retry)."""

    def __init__(self) -> None:
        self._open: dict[int, BaseEmailBackend] = {}
        self._used_at: dict[int, float] = {}
        self._down: dict[int, str] = {}

    def __enter__(self) -> MailboxConnections:
        return self

    def __exit__(self, *exc_info) -> None:
        for connection in self._open.values():
            connection.close()
        self._open.clear()

    def _connection(self, mailbox: Mailbox) -> BaseEmailBackend:
        """The mailbox's open connection; a fresh one when it sat idle long enough for the server to drop it, so
        that a broken exchange later really means the message's own exchange broke."""
        if time.monotonic() - self._used_at.get(mailbox.pk, 0.0) > IDLE_SECONDS:
            self._drop(mailbox)
        connection = self._open.get(mailbox.pk)
        if connection is None:
            connection = mailbox_connection(mailbox)
            connection.open()
            self._open[mailbox.pk] = connection
        self._used_at[mailbox.pk] = time.monotonic()
        return connection

    def _drop(self, mailbox: Mailbox) -> None:
        # After a broken exchange the session's state is unknown: the next message opens a fresh one.
        connection = self._open.pop(mailbox.pk, None)
        if connection is not None:
            connection.close()

    def deliver(self, mailbox: Mailbox, email: EmailMessage) -> Delivery:
        if mailbox.pk in self._down:
            return Delivery("transient", error=self._down[mailbox.pk])
        try:
            connection = self._connection(mailbox)
        except (smtplib.SMTPException, OSError) as exc:  # refused, timed out, TLS or login failed: nothing was sent
            self._down[mailbox.pk] = f"{mailbox.smtp_host or mailbox.transport}: {exc or type(exc).__name__}"
            return Delivery("transient", error=self._down[mailbox.pk])
        email.connection = connection
        try:
            connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            return _refused(exc)
        except smtplib.SMTPResponseException as exc:  # MAIL FROM or DATA answered with a refusal: not accepted
            self._drop(mailbox)
            answer = _smtp_answer(exc.smtp_code, exc.smtp_error)
            return Delivery("transient" if exc.smtp_code < 500 else "permanent", error=answer)
        except AnymailError as exc:  # before OSError: anymail's errors from requests are OSErrors too
            return _api_failure(exc)
        except (smtplib.SMTPException, OSError) as exc:  # cut off or timed out mid-exchange: it may have gone
            self._drop(mailbox)
            return Delivery("uncertain", error=f"the exchange with the server broke: {exc or type(exc).__name__}")
        status = getattr(email, "anymail_status", None)
        return Delivery("sent", provider_message_id=(status.message_id or "") if status else "")
