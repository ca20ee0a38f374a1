"""What the app tells a member of the team: a reply came, an ad-form lead arrived. Shown with a count in the header."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Notification(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", "Reply"
        LEAD = "lead", "New lead"
        OTHER = "other", "Other"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OTHER)
    text = models.CharField(max_length=300)
    # Where it leads (a conversation, a lead page): a path inside Leadflow.
    url = models.CharField(max_length=500, blank=True)
    lead = models.ForeignKey("crm.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The header's unread count and the list, per user.
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.text
