"""Messages sent (or being sent) to leads, one per enrollment and step, and what happened to each afterwards."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Message(models.Model):
    """One step's message to one lead. The row is claimed (status and claim time, committed) before the SMTP or API
    call, so that a worker killed mid-send leaves it 'uncertain' for a person to review, never sent twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"  # written, not yet claimed by a sender (a retry waits here for next_attempt_at)
        SENDING = "sending", "Sending"  # claimed by a worker; the call to the mail server may be under way
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"  # never sent, with the reason (suppressed, no email, unresolved field)
        UNCERTAIN = "uncertain", "Uncertain"  # its worker died mid-send: maybe sent; a person decides
        TASK = "task", "Task created"  # a manual or LinkedIn step, handed to a person

    enrollment = models.ForeignKey("outreach.Enrollment", on_delete=models.CASCADE, related_name="messages")
    step = models.ForeignKey("outreach.SequenceStep", on_delete=models.CASCADE, related_name="messages")
    variant = models.ForeignKey(
        "outreach.StepVariant", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="messages")
    mailbox = models.ForeignKey(
        "outreach.Mailbox", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    to_email = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Our own Message-ID header ("<…@domain>"), and the provider's id for it (Mailgun's, SendGrid's…).
    message_id = models.CharField(max_length=255, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What people did (machine opens and clicks are events with machine=True and never set these).
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_kind = models.CharField(max_length=4, blank=True)  # "hard" or "soft"
    complained_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # An uncertain message a person looked at: "sent" (they checked it went) or "not_sent".
    reviewed_as = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["enrollment", "step"], name="message_once_per_step")]
        indexes = [
            models.Index(fields=["message_id"], name="message_header_id"),
            models.Index(fields=["provider_message_id"], name="message_provider_id"),
            models.Index(fields=["status", "next_attempt_at"], name="message_status"),
            models.Index(fields=["lead", "-created_at"], name="message_lead_recent"),
            # Analytics reads the messages sent in a date range (only sent ones are indexed).
            models.Index(fields=["sent_at"], condition=models.Q(sent_at__isnull=False), name="message_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.subject or self.step} to lead #{self.lead_id}"


class MessageEvent(models.Model):
    """Something that happened to a message: delivered, opened, clicked, bounced, complained, unsubscribed."""

    class Kind(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        OPENED = "opened", "Opened"
        CLICKED = "clicked", "Clicked"
        BOUNCED = "bounced", "Bounced"
        DEFERRED = "deferred", "Deferred"
        COMPLAINED = "complained", "Complained"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        REPLIED = "replied", "Replied"
        FAILED = "failed", "Failed"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # A security scanner, an image proxy or a prefetch: kept, shown as such, never counted as a person.
    machine = models.BooleanField(default=False)
    machine_reason = models.CharField(max_length=120, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    # The provider's id for this event (Mailgun's event id): a replayed webhook is kept once.
    provider_event_id = models.CharField(max_length=255, blank=True)
    # "pixel", "redirect" or the provider's name ("mailgun").
    via = models.CharField(max_length=20, blank=True)
    data = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_event_id"], condition=~models.Q(provider_event_id=""), name="event_once"
            )
        ]
        indexes = [models.Index(fields=["message", "kind"], name="event_message_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.message_id}"
