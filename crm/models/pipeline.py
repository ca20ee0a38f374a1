"""Pipelines, their ordered stages, and every move of a lead between stages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Pipeline(models.Model):
    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_pipeline")
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    pipeline = models.ForeignKey("crm.Pipeline", on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OPEN)

    class Meta:
        # By the column, not the pipeline: ordering by the relation would join Pipeline and sort by its ordering first.
        ordering = ["pipeline_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["pipeline", "name"], name="unique_stage_name_per_pipeline")]

    def __str__(self) -> str:
        return self.name


class StageChange(models.Model):
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey("crm.Stage", null=True, on_delete=models.SET_NULL, related_name="+")
    to_stage = models.ForeignKey("crm.Stage", null=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # Why the deal was lost: asked for on every move to a stage of kind "lost".
    lost_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="stagechange_lead_recent"),
            # Moves in a period (analytics: deals won, meetings booked) without reading every move ever made.
            models.Index(fields=["created_at"], name="stagechange_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.lead}: {self.from_stage} → {self.to_stage}"


class StageTotal(models.Model):
    """A change to the number, deal value and contacts of one owner's leads in one stage, written by database
    triggers on crm_lead (migrations crm 0029 and 0033) for every insert, move, reassignment, value or lifecycle
    change and delete, whatever code made it: imports by COPY and bulk updates too. The board and the dashboard sum
    them instead of reading a million leads; crm.stage_totals folds them into one row per stage and owner now and
    then. Plain ids, no foreign keys: a deleted user's or stage's rows simply no longer match anything."""

    stage_id = models.IntegerField()
    # The owner's id, 0 for unassigned leads (a key the triggers can write on both databases).
    owner_key = models.IntegerField()
    leads = models.BigIntegerField()
    # The deal value in cents: whole numbers add up exactly on both databases (SQLite keeps decimals as floats).
    cents = models.BigIntegerField()
    # How many of the leads are contacts (the "contact" lifecycle): the dashboard's Contacts and Leads.
    contacts = models.BigIntegerField(default=0)

    class Meta:
        # Covers the board's and the dashboard's sums: no visit to the table.
        indexes = [models.Index(fields=["stage_id", "owner_key", "leads", "cents", "contacts"], name="stagetotal_sums")]

    def __str__(self) -> str:
        return (
            f"stage {self.stage_id}, owner {self.owner_key}: {self.leads:+} leads, {self.cents:+} cents, "
            f"{self.contacts:+} contacts"
        )
