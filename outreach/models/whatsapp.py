"""WhatsApp templates: the messages Meta approved in advance, the only ones that may open a conversation (or speak
again once the lead's 24-hour customer service window has closed)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WhatsAppTemplate(models.Model):
    """An approved template as Twilio's Content API knows it (its ContentSid "HX…"), with what fills its
    placeholders {{1}}, {{2}}…: one merge-field text per placeholder, in order ("{{ first_name|default:'there' }}")."""

    name = models.CharField(max_length=120, unique=True)
    content_sid = models.CharField("Content SID", max_length=40)
    variables = models.JSONField(default=list, blank=True)
    # What it says, as approved, for people choosing one ("Hi {{1}}, thanks for asking about {{2}}…").
    body_preview = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = "WhatsApp template"

    def __str__(self) -> str:
        return self.name
