"""Outgoing webhooks: where events go (a subscription), what happened (an event), each event's trip to each
subscription (a delivery) and every try of it (an attempt)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from leadflow.secrets import EncryptedTextField


class WebhookSubscription(models.Model):
    class Format(models.TextChoices):
        STANDARD = "standard", "JSON, signed (Standard Webhooks)"
        SLACK = "slack", "Slack incoming webhook"

    name = models.CharField(max_length=100)
    url = models.URLField("URL", max_length=500)
    # Event type names (crm.webhooks.events.EventType) this subscription receives.
    events = models.JSONField(default=list)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.STANDARD)
    # "whsec_<base64>", the Standard Webhooks form; unused for Slack, whose URL carries its own secret.
    secret = EncryptedTextField()
    active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Failed attempts in a row (any delivery), and when that run of failures began: past both limits it is disabled.
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        _listeners_forget()

    def delete(self, *args, **kwargs):
        deleted = super().delete(*args, **kwargs)
        _listeners_forget()
        return deleted


def _listeners_forget() -> None:
    # Imported here: the publisher imports these models.
    from crm.webhooks.publish import listeners_forget

    listeners_forget()


class WebhookEvent(models.Model):
    """Something that happened, as sent: the payload is fixed when the event is published."""

    # The Standard Webhooks message id ("msg_..."): the same on every attempt, so a receiver can drop duplicates.
    message_id = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=40)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # The sender holding it while status is "sending"; a sender silent past its claim loses it to the next sweep.
    claimed_by = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep: what is due.
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            # The delivery log of a subscription, newest first.
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event.type} to {self.subscription}"


class WebhookAttempt(models.Model):
    """One try of a delivery, as the delivery log shows it."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # The first bytes of the answer (WEBHOOK_RESPONSE_EXCERPT), as text.
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.status_code or self.error} at {self.started_at:%Y-%m-%d %H:%M}"
