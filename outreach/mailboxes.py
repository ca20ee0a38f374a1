"""Mailboxes: building one from an EMAIL_URL-style address or a form, the connection that sends through it, its
cap on a given day after the warm-up ramp, and the "send test" that proves it works."""

from __future__ import annotations

import datetime
import smtplib
import ssl
import zoneinfo
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from anymail.backends.mailgun import EmailBackend as MailgunBackend
from anymail.backends.postmark import EmailBackend as PostmarkBackend
from anymail.backends.resend import EmailBackend as ResendBackend
from anymail.backends.sendgrid import EmailBackend as SendGridBackend
from anymail.exceptions import AnymailError
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from crm.locale import site_settings, zone_or_none
from crm.models import User
from leadflow.audit import audit_changes, audit_stored, record
from leadflow.http import BlockedAddress, http_session
from leadflow.roles import STAFF_ROLES, role_of
from leadflow.secrets import SecretUnreadable
from outreach.models import WEEKDAYS, Mailbox, SendCount

# Seconds an SMTP server may take to answer before the send is given up (Django's default is to wait for ever).
SMTP_TIMEOUT = 30
TRUE_WORDS = {"1", "true", "yes", "on"}
# Every field a URL sets: a mailbox given a new URL loses the old transport's host, user and keys.
TRANSPORT_FIELDS = {
    "transport": Mailbox.Transport.SMTP,
    "smtp_host": "",
    "smtp_port": None,
    "smtp_tls": False,
    "smtp_ssl": False,
    "smtp_user": "",
    "smtp_password": "",
    "api_key": "",
    "api_domain": "",
    "api_base_url": "",
}
API_TRANSPORTS = {
    Mailbox.Transport.MAILGUN,
    Mailbox.Transport.SENDGRID,
    Mailbox.Transport.RESEND,
    Mailbox.Transport.POSTMARK,
}
URL_FORMS = (
    "smtp://USER:PASSWORD@HOST:587?tls=1 (also smtp+tls:// or smtps:// for STARTTLS, smtp+ssl:// or ?ssl=1 for "
    "implicit TLS), mailgun://KEY@DOMAIN, sendgrid://KEY, resend://KEY, postmark://KEY or console://"
)


def can_manage_mailboxes(user: User) -> bool:
    """Admins and managers add and change mailboxes; everyone else may look."""
    return role_of(user) in STAFF_ROLES


def smtp_default_port(*, starttls: bool, implicit: bool) -> int:
    """The port each kind of SMTP security implies when the URL or form names none."""
    return 465 if implicit else 587 if starttls else 25


def _flag(query: dict[str, list[str]], *names: str) -> bool:
    return any(value.lower() in TRUE_WORDS for name in names for value in query.get(name, []))


def transport_from_url(url: str) -> dict[str, object]:
    """The transport fields an EMAIL_URL-style address describes, or ValidationError saying what is wrong."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"That URL cannot be read ({exc}). Use one of: {URL_FORMS}.") from exc
    scheme = parts.scheme.lower()
    query = parse_qs(parts.query)
    fields = dict(TRANSPORT_FIELDS)
    if scheme in {"smtp", "smtps", "smtp+tls", "smtp+ssl"}:
        # As django-environ reads it: smtps:// means STARTTLS; implicit TLS is smtp+ssl:// (or ?ssl=1).
        starttls = scheme in {"smtps", "smtp+tls"} or _flag(query, "tls", "email_use_tls")
        implicit = scheme == "smtp+ssl" or _flag(query, "ssl", "email_use_ssl")
        if starttls and implicit:
            raise ValidationError("Choose STARTTLS (tls) or implicit TLS (ssl), not both.")
        if not parts.hostname:
            raise ValidationError(f"The URL names no SMTP host. Use one of: {URL_FORMS}.")
        fields.update(
            smtp_host=parts.hostname,
            smtp_port=port or smtp_default_port(starttls=starttls, implicit=implicit),
            smtp_tls=starttls,
            smtp_ssl=implicit,
            smtp_user=unquote(parts.username or ""),
            smtp_password=unquote(parts.password or ""),
        )
        return fields
    if scheme in {"console", "consolemail"}:
        fields["transport"] = Mailbox.Transport.CONSOLE
        return fields
    if scheme in API_TRANSPORTS:
        # The key is case-sensitive: read it from the raw netloc, not from .hostname (lower-cased).
        key, _, domain = parts.netloc.rpartition("@") if scheme == Mailbox.Transport.MAILGUN else (parts.netloc, "", "")
        if not key:
            needed = "mailgun://KEY@DOMAIN" if scheme == Mailbox.Transport.MAILGUN else f"{scheme}://KEY"
            raise ValidationError(f"The URL has no API key: write it as {needed}.")
        fields.update(transport=scheme, api_key=unquote(key), api_domain=domain.lower())
        fields["api_base_url"] = query.get("api_url", [""])[0]
        return fields
    # Only the scheme is repeated back: the rest of a URL may hold a password.
    kind = f"Unknown kind of mail URL ({scheme}://)" if scheme else "That is not a mail URL"
    raise ValidationError(f"{kind}. Use one of: {URL_FORMS}.")


IMAP_URL_FORM = "imaps://USER:PASSWORD@HOST[:993][/FOLDER] (imap:// without TLS)"


def imap_from_url(url: str) -> dict[str, object]:
    """The IMAP fields an imaps:// or imap:// address describes (where replies are read), or ValidationError."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"That IMAP URL cannot be read ({exc}). Use {IMAP_URL_FORM}.") from exc
    if parts.scheme.lower() not in {"imap", "imaps"} or not parts.hostname:
        raise ValidationError(f"That is not an IMAP URL. Use {IMAP_URL_FORM}.")
    return {
        "imap_host": parts.hostname,
        "imap_port": port,
        "imap_ssl": parts.scheme.lower() == "imaps",
        "imap_user": unquote(parts.username or ""),
        "imap_password": unquote(parts.password or ""),
        "imap_folder": unquote(parts.path.strip("/")) or "INBOX",
    }


def mailbox_imap_summary(mailbox: Mailbox) -> str:
    """Where its replies are read over IMAP and how the last poll went, with no secret in it."""
    scheme = "imaps" if mailbox.imap_ssl else "imap"
    port = f":{mailbox.imap_port}" if mailbox.imap_port else ""
    summary = f"replies read from {scheme}://{mailbox.imap_host}{port}/{mailbox.imap_folder}"
    if mailbox.imap_error:
        return f"{summary} (failing: {mailbox.imap_error})"
    if mailbox.imap_polled_at:
        return f"{summary} (last read {mailbox.imap_polled_at:%Y-%m-%d %H:%M} UTC)"
    return summary


def mailbox_address(address: str) -> str:
    """Addresses are kept in lower case, so one mailbox cannot be added twice under two spellings."""
    return address.strip().lower()


def mailbox_check(mailbox: Mailbox) -> None:
    """The rules a mailbox must meet before it is saved, as ValidationError keyed by field."""
    errors: dict[str, str] = {}
    if mailbox.transport == Mailbox.Transport.SMTP:
        if not mailbox.smtp_host:
            errors["smtp_host"] = "An SMTP mailbox needs its server's host name."
        if mailbox.smtp_tls and mailbox.smtp_ssl:
            errors["smtp_ssl"] = "Choose STARTTLS or implicit TLS, not both."
    elif mailbox.transport in API_TRANSPORTS and not mailbox.api_key:
        errors["api_key"] = f"{mailbox.get_transport_display()} needs an API key."
    if not mailbox.window_days or not set(mailbox.window_days) <= set(WEEKDAYS):
        errors["window_days"] = "Choose at least one sending day."
    if mailbox.window_start >= mailbox.window_end:
        errors["window_end"] = "The sending window must end after it starts."
    if mailbox.time_zone and zone_or_none(mailbox.time_zone) is None:
        errors["time_zone"] = f"{mailbox.time_zone!r} is not a time zone this server knows (e.g. Europe/Berlin)."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def mailbox_save(*, mailbox: Mailbox, actor: User | None, channel: str = "") -> Mailbox:
    """Check and save a new or changed mailbox; a warm-up given no start day starts today."""
    mailbox.address = mailbox_address(mailbox.address)
    if mailbox.transport == Mailbox.Transport.SMTP and mailbox.smtp_host and not mailbox.smtp_port:
        mailbox.smtp_port = smtp_default_port(starttls=mailbox.smtp_tls, implicit=mailbox.smtp_ssl)
    if mailbox.warmup_start is not None and mailbox.warmup_began_on is None:
        mailbox.warmup_began_on = mailbox_today(mailbox)
    mailbox.full_clean(exclude=["created_by"])
    mailbox_check(mailbox)
    if mailbox.pk is None:
        mailbox.created_by = actor
    before = audit_stored(mailbox)
    mailbox.save()
    record("mailbox.saved", actor=actor, channel=channel, target=mailbox, changes=audit_changes(before, mailbox))
    return mailbox


def mailbox_from_url(
    url: str, *, address: str, name: str, actor: User | None = None, channel: str = "", **fields
) -> Mailbox:
    """Create the mailbox with this address, or update it, sending through what the URL describes; `fields` sets
    others such as daily_cap or postal_address."""
    transport = transport_from_url(url)
    mailbox = Mailbox.objects.filter(address=mailbox_address(address)).first() or Mailbox(address=address)
    for field_name, value in {**transport, "name": name, **fields}.items():
        setattr(mailbox, field_name, value)
    return mailbox_save(mailbox=mailbox, actor=actor, channel=channel)


@transaction.atomic
def mailboxes_delete(*, mailboxes: list[Mailbox], actor: User) -> None:
    """Delete mailboxes (the back office), each written to the audit log."""
    for mailbox in mailboxes:
        record("mailbox.deleted", actor=actor, target=mailbox)
    Mailbox.objects.filter(pk__in=[mailbox.pk for mailbox in mailboxes]).delete()


def mailbox_transport_summary(mailbox: Mailbox) -> str:
    """How the mailbox sends, in words, with no secret in them: "SMTP mail.example:587 (STARTTLS) as sales"."""
    if mailbox.transport == Mailbox.Transport.SMTP:
        security = "implicit TLS" if mailbox.smtp_ssl else "STARTTLS" if mailbox.smtp_tls else "no TLS"
        login = f" as {mailbox.smtp_user}" if mailbox.smtp_user else ""
        return f"SMTP {mailbox.smtp_host}:{mailbox.smtp_port} ({security}){login}"
    summary = mailbox.get_transport_display()
    if mailbox.api_domain:
        summary += f" domain {mailbox.api_domain}"
    if mailbox.api_base_url:
        summary += f" at {mailbox.api_base_url}"
    return summary


def team_zone() -> zoneinfo.ZoneInfo:
    return zone_or_none(site_settings().time_zone) or zoneinfo.ZoneInfo("UTC")


def mailbox_zone(mailbox: Mailbox, *, team: zoneinfo.ZoneInfo | None = None) -> zoneinfo.ZoneInfo:
    """The mailbox's own zone, else the team's (`team`, when the caller has read it already)."""
    return zone_or_none(mailbox.time_zone) or team or team_zone()


def mailbox_today(
    mailbox: Mailbox, *, now: datetime.datetime | None = None, team: zoneinfo.ZoneInfo | None = None
) -> datetime.date:
    """Today where the mailbox sends from: its days (counts, caps, warm-up) are counted there."""
    return (now or timezone.now()).astimezone(mailbox_zone(mailbox, team=team)).date()


def mailbox_cap_on(mailbox: Mailbox, day: datetime.date) -> int:
    """The most the mailbox may send on `day`: its daily cap, or less while warming up (start at `warmup_start`, add
    `warmup_step` each day since `warmup_began_on`)."""
    if mailbox.warmup_start is None:
        return mailbox.daily_cap
    days_in = max(0, (day - mailbox.warmup_began_on).days) if mailbox.warmup_began_on else 0
    return min(mailbox.daily_cap, mailbox.warmup_start + mailbox.warmup_step * days_in)


def mailbox_warmup_state(mailbox: Mailbox, day: datetime.date) -> str:
    """How the warm-up stands on `day`, in words for the mailboxes page."""
    if mailbox.warmup_start is None:
        return "No warm-up"
    cap = mailbox_cap_on(mailbox, day)
    if cap >= mailbox.daily_cap:
        return "Warmed up"
    days_in = max(0, (day - mailbox.warmup_began_on).days) if mailbox.warmup_began_on else 0
    return f"Warming up: day {days_in + 1}, {cap} of {mailbox.daily_cap} a day"


@dataclass(frozen=True)
class MailboxRow:
    """A mailbox as its list shows it: today in its zone, what it has claimed today and may send today."""

    mailbox: Mailbox
    sends_through: str
    sent_today: int
    cap_today: int
    warmup: str


def mailbox_rows(*, now: datetime.datetime | None = None) -> list[MailboxRow]:
    """Every mailbox with today's count (the send counts that hold its cap) and today's cap, in two queries."""
    mailboxes = list(Mailbox.objects.all())
    team = team_zone()
    today = {mailbox.pk: mailbox_today(mailbox, now=now, team=team) for mailbox in mailboxes}
    counts = SendCount.objects.filter(
        scope=SendCount.Scope.MAILBOX, key__in=[str(pk) for pk in today], day__in=set(today.values())
    ).values_list("key", "day", "sent")
    sent = {int(key): number for key, day, number in counts if today.get(int(key)) == day}
    return [
        MailboxRow(
            mailbox=mailbox,
            sends_through=mailbox_transport_summary(mailbox),
            sent_today=sent.get(mailbox.pk, 0),
            cap_today=mailbox_cap_on(mailbox, today[mailbox.pk]),
            warmup=mailbox_warmup_state(mailbox, today[mailbox.pk]),
        )
        for mailbox in mailboxes
    ]


class _GuardedSessionMixin:
    """An email service's base URL may be typed into a mailbox: its requests go through leadflow/http.py, which
    refuses private and metadata addresses, like every other outbound call."""

    def create_session(self):
        session = http_session(rate_per_host=0)
        session.headers["User-Agent"] = f"{session.headers['User-Agent']} django-anymail"
        return session


class GuardedMailgunBackend(_GuardedSessionMixin, MailgunBackend):
    pass


class GuardedSendGridBackend(_GuardedSessionMixin, SendGridBackend):
    pass


class GuardedResendBackend(_GuardedSessionMixin, ResendBackend):
    pass


class GuardedPostmarkBackend(_GuardedSessionMixin, PostmarkBackend):
    pass


def mailbox_connection(mailbox: Mailbox) -> BaseEmailBackend:
    """A mail backend sending through the mailbox, not yet opened: the caller opens it and closes it."""
    if mailbox.transport == Mailbox.Transport.SMTP:
        return SmtpBackend(
            host=mailbox.smtp_host, port=mailbox.smtp_port, username=mailbox.smtp_user,
            password=mailbox.smtp_password, use_tls=mailbox.smtp_tls, use_ssl=mailbox.smtp_ssl,
            timeout=SMTP_TIMEOUT, fail_silently=False,
        )  # fmt: skip
    if mailbox.transport == Mailbox.Transport.CONSOLE:
        return ConsoleBackend(fail_silently=False)
    # Without a base URL of its own, anymail falls back to the ANYMAIL settings (MAILGUN_API_URL from MAILGUN_BASE_URL).
    url = {"api_url": mailbox.api_base_url} if mailbox.api_base_url else {}
    if mailbox.transport == Mailbox.Transport.MAILGUN:
        return GuardedMailgunBackend(api_key=mailbox.api_key, sender_domain=mailbox.api_domain or None, **url)
    if mailbox.transport == Mailbox.Transport.SENDGRID:
        return GuardedSendGridBackend(api_key=mailbox.api_key, **url)
    if mailbox.transport == Mailbox.Transport.RESEND:
        return GuardedResendBackend(api_key=mailbox.api_key, **url)
    if mailbox.transport == Mailbox.Transport.POSTMARK:
        return GuardedPostmarkBackend(server_token=mailbox.api_key, **url)
    raise ValueError(f"Mailbox {mailbox.address} has an unknown transport {mailbox.transport!r}.")


@dataclass(frozen=True)
class SendTestResult:
    """What a test send came to: whether the server took the message, and its answer in words."""

    ok: bool
    detail: str


def _server_answer(exc: Exception) -> str:
    """The server's own words for why it refused, where it gave any."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {message.decode(errors='replace')}"
            for address, (code, message) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"{exc.smtp_code} {message}"
    return str(exc) or exc.__class__.__name__


def mailbox_send_test(mailbox: Mailbox, *, to: str) -> SendTestResult:
    """Send one short test message through the mailbox to `to`; never raises for a transport's failure."""
    try:
        validate_email(to)
    except ValidationError:
        return SendTestResult(ok=False, detail=f"{to!r} is not an email address.")
    message = EmailMessage(
        subject=f"Leadflow test from {mailbox.address}",
        body=f"This test message was sent through the mailbox {mailbox} by Leadflow. It works.",
        from_email=f"{mailbox.name} <{mailbox.address}>",
        to=[to],
    )
    try:
        sent = mailbox_connection(mailbox).send_messages([message])
    except (SecretUnreadable, BlockedAddress) as exc:
        return SendTestResult(ok=False, detail=str(exc))
    except smtplib.SMTPAuthenticationError as exc:
        return SendTestResult(ok=False, detail=f"The server refused the user name or password: {_server_answer(exc)}")
    except smtplib.SMTPNotSupportedError as exc:
        return SendTestResult(ok=False, detail=f"{exc} Check the TLS choice, the port and whether it needs a login.")
    except (smtplib.SMTPException, AnymailError) as exc:
        return SendTestResult(ok=False, detail=f"The server refused the message: {_server_answer(exc)}")
    except ssl.SSLError as exc:
        return SendTestResult(ok=False, detail=f"TLS failed ({exc.reason or exc}): check the port and the TLS choice.")
    except OSError as exc:
        where = f"{mailbox.smtp_host}:{mailbox.smtp_port}" if mailbox.transport == Mailbox.Transport.SMTP else "it"
        return SendTestResult(ok=False, detail=f"Could not reach {where}: {exc.strerror or exc}.")
    if not sent:
        return SendTestResult(ok=False, detail="The message was not sent (the transport took nothing).")
    return SendTestResult(ok=True, detail=f"Sent a test message to {to} through {mailbox.get_transport_display()}.")
