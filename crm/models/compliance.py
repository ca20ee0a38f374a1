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


class SuppressedPerson(models.Model):
    """A keyed hash of an erased person's email or phone (crm.privacy.suppression): all that is kept of them, so
    that no import, capture run, ad form or sequence brings them back or writes to them."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"

    # HMAC-SHA256 of the normalised value, hex; never the value itself.
    digest = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "suppressed person"

    def __str__(self) -> str:
        return f"{self.kind} {self.digest[:12]}…"


class RetentionReport(models.Model):
    """One run of the retention job: how many never-engaged contacts it found (and erased, unless only reported)."""

    months = models.PositiveIntegerField()
    made_at = models.DateTimeField(default=timezone.now)
    dry_run = models.BooleanField()
    found = models.PositiveIntegerField(default=0)
    erased = models.PositiveIntegerField(default=0)
    oldest = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-made_at", "-id"]

    def __str__(self) -> str:
        return f"{self.made_at:%Y-%m-%d}: {self.found} found, {self.erased} erased"
