"""Numbers the team must never call or message, from lists that staff upload."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class DoNotCallNumber(models.Model):
    """One number (E.164) on the do-not-call list: flagged on every lead that has it, never dialled or messaged."""

    number = models.CharField(max_length=20, unique=True)
    # Where it came from: the uploaded file's name, or "typed".
    origin = models.CharField(max_length=255, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-added_at", "number"]
        verbose_name = "do-not-call number"

    def __str__(self) -> str:
        return self.number
