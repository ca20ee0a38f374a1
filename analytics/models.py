"""What analytics keeps of its own: the money spent on each source and campaign (people type it or import the ad
platforms' exports), so the Sources report can show cost per lead and return on it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Spend(models.Model):
    """Money spent over a period (a month typed in, or a day of an ad platform's export) on a lead source (the
    leads' Source field) and/or a capture campaign. A report over part of the period counts the share of its days."""

    period_start = models.DateField()
    period_end = models.DateField()
    source = models.CharField(max_length=60, blank=True, help_text="The Source field of the leads it brought.")
    campaign = models.ForeignKey("scraping.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # The ad platform's own campaign name, when the figure came from its export.
    ad_campaign = models.CharField("ad platform campaign", max_length=200, blank=True)
    imported = models.BooleanField(default=False)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    # The site currency when it was entered (crm.SiteSettings.currency).
    currency = models.CharField(max_length=3)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "source", "ad_campaign", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(source="") | Q(campaign__isnull=False), name="spend_has_a_target"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="spend_not_negative"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="spend_period_in_order"),
        ]
        indexes = [models.Index(fields=["period_start", "period_end"], name="spend_period")]
        verbose_name_plural = "spend"

    def __str__(self) -> str:
        target = self.campaign or self.source
        return f"{target} {self.period_start}–{self.period_end}: {self.amount} {self.currency}"

    @property
    def days(self) -> int:
        return (self.period_end - self.period_start).days + 1


class SummaryOptOut(models.Model):
    """A manager or admin who asked not to get the weekly summary email."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user}: no weekly summary"


class SummarySent(models.Model):
    """One weekly summary to one person, claimed before it is sent: a job that runs twice sends it once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "week_start"], name="summary_once_a_week")]

    def __str__(self) -> str:
        return f"{self.user}: week of {self.week_start}"
