"""Suspected duplicate leads and the merges that resolved them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class DuplicateCandidate(models.Model):
    """Two leads that look like one person, found by the duplicate scan, until someone merges or dismisses them."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DISMISSED = "dismissed", "Not duplicates"
        MERGED = "merged", "Merged"

    # lead_a has the lower id, so each pair is stored once.
    lead_a = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="+")
    lead_b = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    found_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-score", "-found_at", "id"]
        constraints = [models.UniqueConstraint(fields=["lead_a", "lead_b"], name="unique_duplicate_pair")]
        indexes = [models.Index(fields=["status", "-score"], name="duplicate_open_best")]

    def __str__(self) -> str:
        return f"{self.lead_a_id} ~ {self.lead_b_id} ({self.score})"


class MergeRecord(models.Model):
    """What a merge did: the removed lead as it was, the value chosen for each field, and what moved."""

    survivor = models.ForeignKey("crm.Lead", null=True, on_delete=models.SET_NULL, related_name="merges")
    merged_lead_id = models.PositiveBigIntegerField()
    merged_snapshot = models.JSONField(default=dict)
    survivor_before = models.JSONField(default=dict)
    chosen = models.JSONField(default=dict)
    moved = models.JSONField(default=dict)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"lead {self.merged_lead_id} merged into {self.survivor_id}"
