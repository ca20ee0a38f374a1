"""Conversations with leads across channels: every message in and out, in order, as the inbox shows them.

A sequence email (outreach.Message) is linked from the thread line that shows it, so one thread holds what the
sequence sent and what the lead answered. One conversation per lead and channel."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ConversationChannel(models.TextChoices):
    EMAIL = "email", "Email"
    WHATSAPP = "whatsapp", "WhatsApp"
    SMS = "sms", "SMS"


class Conversation(models.Model):
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="conversations")
    channel = models.CharField(max_length=10, choices=ConversationChannel.choices)
    # The rep answering it (empty: unassigned); set to the lead's owner when it opens.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    # Email: the thread's subject and the mailbox it runs through. WhatsApp/SMS: the lead's number (E.164).
    subject = models.CharField(max_length=300, blank=True)
    mailbox = models.ForeignKey(
        "outreach.Mailbox", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    peer = models.CharField(max_length=254, blank=True)  # their address or number
    last_message_at = models.DateTimeField(default=timezone.now)
    # The last message from the lead: WhatsApp's 24-hour customer service window runs from it.
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    preview = models.CharField(max_length=200, blank=True)
    unread = models.PositiveIntegerField(default=0)  # messages from the lead not yet read by the team
    snoozed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Raised on every change: the inbox's poll compares it and answers "nothing new" cheaply.
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["lead", "channel"], name="conversation_once_per_channel")]
        indexes = [
            models.Index(fields=["-last_message_at", "-id"], name="conversation_recent"),
            models.Index(fields=["assigned_to", "-last_message_at"], name="conversation_assignee_recent"),
            # The inbox's "unread" filter, and the menu's count of a user's unread conversations: a few percent of
            # the rows, read without walking the rest.
            models.Index(
                fields=["-last_message_at", "-id"], condition=Q(unread__gt=0), name="conversation_unread_recent"
            ),
            models.Index(fields=["assigned_to"], condition=Q(unread__gt=0), name="conversation_assignee_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} with {self.peer or self.lead_id}"


class ConversationMessage(models.Model):
    """One message of a thread, theirs or ours."""

    class Direction(models.TextChoices):
        IN = "in", "From the lead"
        OUT = "out", "From us"

    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        AUTO_REPLY = "auto_reply", "Automatic reply"  # out-of-office and the like: never a reply
        BOUNCE = "bounce", "Bounce"  # a delivery status notification
        UNSUBSCRIBE = "unsubscribe", "Unsubscribe request"  # written in a reply ("please remove me")
        # What the lead filled in on an ad form, shown first in the thread: theirs, but no message (it opens no
        # WhatsApp window).
        FORM = "form", "Ad form answers"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        READ = "read", "Read"
        FAILED = "failed", "Failed"
        UNCERTAIN = "uncertain", "Uncertain"  # a worker died mid-send: maybe sent, never sent again by itself

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.MESSAGE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    # The sequence email it is (ours) or answers (theirs, when matched).
    sequence_message = models.ForeignKey(
        "outreach.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversation_messages"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    sender = models.CharField(max_length=254, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    # The new text; the quoted history and signature apart (reply parsing); HTML kept raw, cleaned at display.
    text = models.TextField(blank=True)
    quoted = models.TextField(blank=True)
    signature = models.TextField(blank=True)
    html = models.TextField(blank=True)
    # Email threading: our or their Message-ID, and what it answers.
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    # The provider's id (Twilio's MessageSid, Mailgun's); a redelivered webhook finds it and adds nothing.
    provider_id = models.CharField(max_length=255, blank=True)
    # [{"name", "size", "content_type", "path" or "url"}]: files up to a cap, links for media.
    attachments = models.JSONField(default=list, blank=True)
    # The raw message as received (MIME or the webhook's form), for debugging and privacy exports.
    raw = models.FileField(upload_to="inbound/%Y/%m/", blank=True)
    error = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_id"], condition=~Q(provider_id=""), name="conversation_message_provider_once"
            )
        ]
        indexes = [
            models.Index(fields=["conversation", "occurred_at"], name="conversation_message_thread"),
            # The few lines still 'sending', looked for every minute (a send whose worker died becomes uncertain).
            models.Index(fields=["created_at"], condition=Q(status="sending"), name="conversation_message_sending"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()}: {self.subject or self.text[:40]}"
