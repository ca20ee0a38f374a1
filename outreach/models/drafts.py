"""What the message writer keeps: drafts (written by the AI or the built-in writer, edited, approved or rejected) and
the bulk jobs that write them for a list or a selection."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from leadflow.models import LeasedJob


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    LINKEDIN = "linkedin", "LinkedIn connection note"
    WHATSAPP = "whatsapp", "WhatsApp"


class Tone(models.TextChoices):
    FRIENDLY = "friendly", "Friendly"
    FORMAL = "formal", "Formal"
    DIRECT = "direct", "Direct"
    CONSULTATIVE = "consultative", "Consultative"


class Length(models.TextChoices):
    SHORT = "short", "Short"
    MEDIUM = "medium", "Medium"
    LONG = "long", "Long"


class Draft(models.Model):
    """One message written for one lead on one channel; nothing sends it until someone approves it."""

    class Source(models.TextChoices):
        AI = "ai", "AI"
        TEMPLATE = "template", "Built-in writer"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="drafts")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    tone = models.CharField(max_length=14, choices=Tone.choices, default=Tone.FRIENDLY)
    length = models.CharField(max_length=6, choices=Length.choices, default=Length.MEDIUM)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    source = models.CharField(max_length=8, choices=Source.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    # What the checks found in the text as it stands: [{"check": "length", "message": "..."}]; empty: all clear.
    findings = models.JSONField(default=list, blank=True)
    # How the draft came to be, in words ("the AI refused; written by the built-in writer").
    note = models.CharField(max_length=500, blank=True)
    # Raised by every edit: an edit carries the version it started from, and a stale one is refused.
    version = models.PositiveIntegerField(default=1)
    job = models.ForeignKey("outreach.DraftJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lead", "-created_at"], name="draft_lead_recent")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} draft for lead #{self.lead_id}"


class DraftJob(LeasedJob):
    """Writing drafts for a set of leads, run by the job cluster under a lease, with its progress and counts."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    description = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    tone = models.CharField(max_length=14, choices=Tone.choices, default=Tone.FRIENDLY)
    length = models.CharField(max_length=6, choices=Length.choices, default=Length.MEDIUM)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    # Counts by outcome: ai, template, flagged (a check found something), failed.
    breakdown = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"Drafts #{self.pk}"


class DraftItem(models.Model):
    """One lead in one draft job, and what became of it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(DraftJob, on_delete=models.CASCADE, related_name="items")
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    draft = models.ForeignKey(Draft, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "lead"], name="draft_item_once")]
        indexes = [models.Index(fields=["job", "status", "id"], name="draft_item_queue")]

    def __str__(self) -> str:
        return f"{self.job} lead #{self.lead_id}: {self.get_status_display()}"
