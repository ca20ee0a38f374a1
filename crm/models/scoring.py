"""Scoring: the ideal-customer profile leads are measured against, the weights and thresholds, and each score kept."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdealCustomerProfile(models.Model):
    """Who the seller wants: one default profile (no pipeline; the oldest wins if two were ever made), optionally one
    per pipeline."""

    name = models.CharField(max_length=100)
    # Null: the default profile, used by every pipeline that has none of its own.
    pipeline = models.OneToOneField(
        "crm.Pipeline", null=True, blank=True, on_delete=models.CASCADE, related_name="profile"
    )
    industries = models.JSONField(default=list, blank=True)
    title_keywords = models.JSONField(default=list, blank=True)
    seniority_keywords = models.JSONField(default=list, blank=True)
    locations = models.JSONField(default=list, blank=True)
    technologies = models.JSONField(default=list, blank=True)
    exclusion_keywords = models.JSONField(default=list, blank=True)
    company_size_min = models.PositiveIntegerField(null=True, blank=True)
    company_size_max = models.PositiveIntegerField(null=True, blank=True)
    value_proposition = models.TextField(blank=True)
    offer = models.TextField(blank=True)
    proof_points = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pipeline_id", "name"]

    def __str__(self) -> str:
        return self.name


class ScoringSettings(models.Model):
    """The weights of the four components, the MQL and SQL thresholds and what crossing them does: one record."""

    SINGLETON_PK = 1

    weight_fit = models.PositiveSmallIntegerField(default=40)
    weight_completeness = models.PositiveSmallIntegerField(default=20)
    weight_engagement = models.PositiveSmallIntegerField(default=30)
    weight_recency = models.PositiveSmallIntegerField(default=10)
    # The AI's fit opinion's share of the fit component, in percent (0: ignored).
    weight_ai = models.PositiveSmallIntegerField("AI opinion weight", default=30)
    mql_threshold = models.PositiveSmallIntegerField("MQL threshold", default=50)
    sql_threshold = models.PositiveSmallIntegerField("SQL threshold", default=75)
    promote_at_mql = models.BooleanField("promote a contact to a lead when it crosses the MQL threshold", default=True)
    # Where a lead of this stage's pipeline moves when it crosses the SQL threshold (leads of other pipelines stay).
    sql_stage = models.ForeignKey(
        "crm.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="SQL stage"
    )
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "scoring settings"
        verbose_name_plural = "scoring settings"

    def __str__(self) -> str:
        return f"MQL {self.mql_threshold}, SQL {self.sql_threshold}"


class ScoreSnapshot(models.Model):
    """A lead's score as it was each time it changed."""

    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="score_snapshots", db_index=False)
    score = models.PositiveSmallIntegerField()
    fit = models.PositiveSmallIntegerField()
    completeness = models.PositiveSmallIntegerField()
    engagement = models.PositiveSmallIntegerField()
    recency = models.PositiveSmallIntegerField()
    grade = models.CharField(max_length=10)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lead", "created_at"], name="scoresnapshot_lead_time")]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.score} ({self.grade})"
