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


# ---------------------------------------------------------------------------------------------------------------
# Rollups: the reports' figures per whole past day, written by `manage.py analytics_rollup` (analytics/rollup_job.py)
# and read by the reports up to RollupState.through; the days after it are counted live (analytics/rollups.py).
# Their people, stages and jobs are plain ids, not foreign keys: a figure row names what it counted, and deleting a
# user or a stage must not delete history (the next run writes the rows again as the live queries would count them).
# ---------------------------------------------------------------------------------------------------------------


class RollupState(models.Model):
    """The rollup job's one row: its lease (one runner at a time), the last whole day the tables hold, and the
    settings the figures were counted under (a report ignores tables counted under other ones)."""

    status = models.CharField(max_length=10, default="idle")
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    through = models.DateField(null=True, blank=True)
    basis = models.JSONField(default=dict)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Analytics rollups through {self.through}"


class DayRow(models.Model):
    day = models.DateField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.day}"


class RollupRow(DayRow):
    """A day of figures for leads of one source and owner, among every lead or the members of one list or sequence
    (`segment`, analytics.rollups.segment_of): the filters the rollups answer."""

    segment = models.CharField(max_length=24, blank=True)
    source = models.CharField(max_length=60, blank=True)
    owner_id = models.IntegerField(null=True)

    class Meta:
        abstract = True


class CohortDay(RollupRow):
    """Leads added on the day, grouped by what they are now (funnel and sources). Rows with a campaign count the
    leads a capture campaign's runs created (a lead of two campaigns in each); those without count every lead."""

    campaign_id = models.IntegerField(null=True)
    is_lead = models.BooleanField()
    stage_kind = models.CharField(max_length=10, null=True)
    furthest = models.IntegerField()
    added = models.IntegerField()
    value = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    mql = models.IntegerField()
    sql = models.IntegerField()
    replied = models.IntegerField()
    met = models.IntegerField()

    class Meta(RollupRow.Meta):
        indexes = [models.Index(fields=["segment", "day"], name="cohortday_segment_day")]


class AddedDay(RollupRow):
    """Leads added on the day: what the overview and the reps read, fewer rows than CohortDay's."""

    added = models.IntegerField()

    class Meta(RollupRow.Meta):
        indexes = [models.Index(fields=["segment", "day"], name="addedday_segment_day")]


class EventDay(RollupRow):
    """Things that happened on the day (a kind of analytics.rollups.EVENT_KINDS), with the person they are counted
    for where a report groups them by one; `value` is the kind's sum (deal value won, messages bounced)."""

    kind = models.CharField(max_length=20)
    person_id = models.IntegerField(null=True)
    n = models.IntegerField()
    value = models.DecimalField(max_digits=16, decimal_places=2, null=True)

    class Meta(RollupRow.Meta):
        indexes = [models.Index(fields=["segment", "kind", "day"], name="eventday_segment_kind_day")]


class LeadDay(RollupRow):
    """Leads who did something (a kind) on the day, by the day they last did it before (`previous`): the leads who
    did it in any range [a, b] are the rows of its days whose previous day is before a (or none), so a count of
    distinct leads is a sum."""

    kind = models.CharField(max_length=20)
    previous = models.DateField(null=True)
    leads = models.IntegerField()

    class Meta(RollupRow.Meta):
        # Covering (PostgreSQL): a count over 90 days reads the index alone, not tens of thousands of rows.
        indexes = [
            models.Index(
                fields=["segment", "kind", "day", "previous"], include=["leads"], name="leadday_segment_kind_day"
            )
        ]


class DurationDay(RollupRow):
    """How many durations fell in each log-scaled bucket (analytics.rollups.duration_bucket), per measure and key
    (a stage's id, an assignee's id): a median over any range is read from the summed buckets. Durations are too
    varied to keep per source and owner at once (a row per duration): each is counted three times, in the cut of
    every lead (`cut` "", no source or owner), per owner ("owner") and per source ("source")."""

    cut = models.CharField(max_length=10, blank=True)
    measure = models.CharField(max_length=20)
    key = models.IntegerField(null=True)
    bucket = models.IntegerField()
    n = models.IntegerField()

    class Meta(RollupRow.Meta):
        indexes = [models.Index(fields=["segment", "measure", "cut", "day"], name="durationday_seg_measure_day")]


class OutreachDay(RollupRow):
    """Sequence messages sent on the day, per step, variant, mailbox and lead source and owner, and what became of
    them."""

    step_id = models.IntegerField(null=True)
    variant_id = models.IntegerField(null=True)
    mailbox_id = models.IntegerField(null=True)
    sent = models.IntegerField()
    delivered = models.IntegerField()
    opened = models.IntegerField()
    machine_opened = models.IntegerField()
    clicked = models.IntegerField()
    replied = models.IntegerField()
    bounced = models.IntegerField()
    unsubscribed = models.IntegerField()

    class Meta(RollupRow.Meta):
        indexes = [models.Index(fields=["segment", "day"], name="outreachday_segment_day")]


class SendTimeDay(RollupRow):
    """Sequence messages sent on the day (the site's), per lead source and owner and the weekday and hour in the
    lead's zone."""

    weekday = models.SmallIntegerField()
    hour = models.SmallIntegerField()
    sent = models.IntegerField()
    replied = models.IntegerField()

    class Meta(RollupRow.Meta):
        indexes = [models.Index(fields=["segment", "day"], name="sendtimeday_segment_day")]


class EnrichedDay(RollupRow):
    """Enrichment items finished on the day, per job: how many, and for how many a value (an email, a phone) was
    found."""

    job_id = models.IntegerField()
    items = models.IntegerField()
    succeeded = models.IntegerField()
    email = models.IntegerField()
    email_verified = models.IntegerField()
    phone = models.IntegerField()

    class Meta(RollupRow.Meta):
        indexes = [models.Index(fields=["segment", "day"], name="enrichedday_segment_day")]


class FoundDay(RollupRow):
    """Values found on the day, per field and the source that found them."""

    field = models.CharField(max_length=40)
    found_by = models.CharField(max_length=40)
    found = models.IntegerField()
    verified = models.IntegerField()
    applied = models.IntegerField()
    values = models.IntegerField()
    confidence_sum = models.BigIntegerField()

    class Meta(RollupRow.Meta):
        indexes = [models.Index(fields=["segment", "day"], name="foundday_segment_day")]
