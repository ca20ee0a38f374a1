"""Email that came in for no lead we know, kept for a person to look at in the back office."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class UnmatchedEmail(models.Model):
    """An email on no thread of ours from an address no lead has (or a bounce of a message we never sent): a
    conversation needs a lead, so it waits here; nothing else happens to it."""

    mailbox = models.ForeignKey(
        "outreach.Mailbox", null=True, blank=True, on_delete=models.SET_NULL, related_name="unmatched_emails"
    )
    via = models.CharField(max_length=20)  # "imap" or the email service's name
    kind = models.CharField(max_length=12)  # as ConversationMessage.Kind: message, auto_reply, bounce, unsubscribe
    sender = models.CharField(max_length=254, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    raw = models.FileField(upload_to="inbound/unmatched/%Y/%m/", blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["message_id"], condition=~Q(message_id=""), name="unmatched_email_once")
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"
