"""Who sends and who must never get mail: mailboxes with their transport, caps, window and warm-up; the day's counts
that hold those caps across workers; and the suppression list checked at send time."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from leadflow.secrets import EncryptedTextField

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def working_days() -> list[str]:
    return list(WEEKDAYS[:5])


class Mailbox(models.Model):
    """A sender identity bound to a transport: SMTP, or an email service through django-anymail."""

    class Transport(models.TextChoices):
        SMTP = "smtp", "SMTP"
        MAILGUN = "mailgun", "Mailgun"
        SENDGRID = "sendgrid", "SendGrid"
        RESEND = "resend", "Resend"
        POSTMARK = "postmark", "Postmark"
        CONSOLE = "console", "Console (development: printed, never sent)"

    name = models.CharField("sender name", max_length=120)
    address = models.EmailField(unique=True)
    signature = models.TextField(blank=True)
    # Required before a bulk send (CAN-SPAM): shown at the foot of every sequence email.
    postal_address = models.TextField(blank=True)
    transport = models.CharField(max_length=10, choices=Transport.choices, default=Transport.SMTP)
    smtp_host = models.CharField(max_length=253, blank=True)
    smtp_port = models.PositiveIntegerField(null=True, blank=True)
    smtp_tls = models.BooleanField("STARTTLS", default=False)
    smtp_ssl = models.BooleanField("implicit TLS", default=False)
    smtp_user = models.CharField(max_length=254, blank=True)
    smtp_password = EncryptedTextField(blank=True)
    # An email service's API key and, for Mailgun, its sending domain; base URL empty: the service's real one.
    api_key = EncryptedTextField(blank=True)
    api_domain = models.CharField(max_length=253, blank=True)
    api_base_url = models.URLField(blank=True)
    # Replies read over IMAP (an SMTP mailbox's own inbox); no host: not read. Password encrypted like SMTP's.
    imap_host = models.CharField("IMAP host", max_length=253, blank=True)
    imap_port = models.PositiveIntegerField("IMAP port", null=True, blank=True)
    imap_ssl = models.BooleanField("IMAP over TLS", default=True)
    imap_user = models.CharField("IMAP user", max_length=254, blank=True)
    imap_password = EncryptedTextField(blank=True)
    imap_folder = models.CharField("IMAP folder", max_length=200, default="INBOX", blank=True)
    # Where the poller stands: the folder's UIDVALIDITY and the last UID it read (a new UIDVALIDITY: read again by
    # date since the last poll); the last good poll; the last failure and how many in a row. Not polled before
    # imap_retry_at: a poll under way holds it for a while, a failure pushes it back further each time.
    imap_uidvalidity = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    imap_last_uid = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    imap_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    imap_error = models.TextField(blank=True, editable=False)
    imap_failures = models.PositiveSmallIntegerField(default=0, editable=False)
    imap_retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    daily_cap = models.PositiveIntegerField(default=200)
    # The sending window, in the mailbox's zone (empty: the team's); a sequence's own window is in the lead's zone.
    time_zone = models.CharField(max_length=64, blank=True)
    window_days = models.JSONField(default=working_days, blank=True)
    window_start = models.TimeField(default=datetime.time(8, 0))
    window_end = models.TimeField(default=datetime.time(18, 0))
    # Warm-up: start at `warmup_start` a day from `warmup_began_on`, `warmup_step` more each day, up to the cap.
    warmup_start = models.PositiveIntegerField(null=True, blank=True)
    warmup_step = models.PositiveIntegerField(default=0)
    warmup_began_on = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class SendCount(models.Model):
    """How many messages were claimed on one day for one mailbox or one recipient domain: raised by a conditional
    UPDATE in the claim's transaction, so a cap holds across workers."""

    class Scope(models.TextChoices):
        MAILBOX = "mailbox", "Mailbox"
        DOMAIN = "domain", "Recipient domain"
        SEQUENCE = "sequence", "Sequence"

    scope = models.CharField(max_length=8, choices=Scope.choices)
    # The mailbox's or sequence's id, or the recipient domain.
    key = models.CharField(max_length=253)
    day = models.DateField()
    sent = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key", "day"], name="send_count_once")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} on {self.day}: {self.sent}"


class Suppression(models.Model):
    """An address that gets no sequence email, whatever list or sequence it is in; checked at send time."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        SOFT_BOUNCES = "soft_bounces", "Repeated soft bounces"
        COMPLAINT = "complaint", "Spam complaint"
        MANUAL = "manual", "Added by hand"
        IMPORTED = "imported", "Imported list"

    # Lower-cased; a whole domain is written "@example.com".
    email = models.CharField(max_length=254, unique=True)
    reason = models.CharField(max_length=14, choices=Reason.choices)
    note = models.CharField(max_length=300, blank=True)
    message = models.ForeignKey("outreach.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_reason_display()})"
