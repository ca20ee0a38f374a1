"""What enrichment keeps: provider accounts (keys encrypted), every raw answer a source gave (also the cache),
where each value of a lead came from, the jobs that ran, and the site's waterfall settings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from leadflow.models import LeasedJob
from leadflow.secrets import EncryptedTextField, secret_masked


class ProviderAccount(models.Model):
    """One paid enrichment provider as this site uses it: its API key (encrypted) and whether the waterfall may call
    it."""

    class Provider(models.TextChoices):
        HUNTER = "hunter", "Hunter.io"

    provider = models.CharField(max_length=32, choices=Provider.choices, unique=True)
    api_key = EncryptedTextField(blank=True, help_text="Stored encrypted; shown masked.")
    enabled = models.BooleanField(default=True, help_text="Off: the waterfall skips this provider.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider"]

    def __str__(self) -> str:
        return self.get_provider_display()

    @property
    def api_key_masked(self) -> str:
        return secret_masked(self.api_key)


class ProviderAnswer(models.Model):
    """One answer a source gave (an API response, a verification, a domain's facts), kept as it came.

    Rows are only ever added: the newest unexpired row for (source, kind, key) is the cache (enrichment.answers),
    and the older ones stay as the history that FieldSource rows point at. `credits` is what the call cost, so a
    month's spending is a sum over these rows.
    """

    source = models.CharField(max_length=32)
    kind = models.CharField(max_length=32)
    key = models.CharField(max_length=300)
    body = models.JSONField(default=dict, blank=True)
    credits = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["source", "kind", "key", "-created_at"], name="answer_lookup"),
            models.Index(fields=["source", "created_at"], name="answer_spending"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.key}"


class EnrichmentJob(LeasedJob):
    """Enriching a set of leads: which fields, from which sources, with its progress, credits and breakdown."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    description = models.CharField(max_length=200, blank=True)
    fields = models.JSONField(default=list)
    sources = models.JSONField(default=list)
    overwrite = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    credits_used = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    credits_estimate = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    # Counts by outcome: emails_found, emails_verified, phones_found, phones_mobile, linkedin_found,
    # companies_enriched, people_added, failed.
    breakdown = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"Enrichment #{self.pk}"


class EnrichmentItem(models.Model):
    """One lead in one job, and what became of it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(EnrichmentJob, on_delete=models.CASCADE, related_name="items")
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="enrichment_items")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # What happened, in words: "email found (valid, 96%)", "hunter: key rejected", "no domain to search".
    outcome = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "lead"], name="enrichment_item_once")]
        indexes = [models.Index(fields=["job", "status", "id"], name="enrichment_item_queue")]

    def __str__(self) -> str:
        return f"{self.job} lead #{self.lead_id}: {self.get_status_display()}"


class FieldSource(models.Model):
    """Where one value of a lead came from: the source, how sure it was, when, and the raw answer behind it."""

    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="field_sources")
    field = models.CharField(max_length=40)
    value = models.CharField(max_length=500)
    source = models.CharField(max_length=32)
    confidence = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    # Whether the value became the lead's (or its company's) own; a lower one is kept as an alternative.
    applied = models.BooleanField(default=False)
    answer = models.ForeignKey(ProviderAnswer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    job = models.ForeignKey(EnrichmentJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["field", "-confidence", "-found_at"]
        indexes = [
            models.Index(fields=["lead", "field"], name="field_source_lead"),
            # Verified addresses of a domain teach the finder its pattern (enrichment.providers.email_patterns).
            models.Index(fields=["field", "status", "value"], name="field_source_verified"),
        ]

    def __str__(self) -> str:
        return f"{self.field}={self.value} ({self.source}, {self.confidence}%)"


class EnrichmentSettings(models.Model):
    """The site's waterfall: sources in order, which are on, the confidence each field needs, the monthly cap on
    paid credits, and how long answers are cached. One row (pk 1), made on first use."""

    source_order = models.JSONField(default=list)
    sources_enabled = models.JSONField(default=list)
    # {field: minimum confidence}: the waterfall stops asking sources for a field once a value reaches it.
    thresholds = models.JSONField(default=dict)
    monthly_credit_cap = models.PositiveIntegerField(
        default=0, help_text="Paid credits a month; 0: no cap. Free built-in sources carry on past it."
    )
    cache_days = models.PositiveSmallIntegerField(
        default=30, help_text="Verifications and domain facts are reused this long before a source is asked again."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "enrichment settings"
        verbose_name_plural = "enrichment settings"

    def __str__(self) -> str:
        return "Enrichment settings"


class AnalysisJob(LeasedJob):
    """AI analysis of many leads (a list or a selection), run under a lease like an enrichment job."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    description = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    failed_count = models.PositiveIntegerField(default=0)
    built_in_count = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)

    def __str__(self) -> str:
        return f"Analysis #{self.pk}"


class AnalysisItem(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(AnalysisJob, on_delete=models.CASCADE, related_name="items")
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="analysis_items")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    outcome = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "lead"], name="analysis_item_once")]
        indexes = [models.Index(fields=["job", "status", "id"], name="analysis_item_queue")]

    def __str__(self) -> str:
        return f"{self.job} lead {self.lead_id}"


class LeadAnalysis(models.Model):
    """One analysis of a lead (by the model, or built in when no model is configured); history is kept, the page
    shows the latest."""

    class Status(models.TextChoices):
        PENDING = "pending", "Queued"
        RUNNING = "running", "Being analysed"
        OK = "ok", "Done"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        AI = "ai", "AI"
        BUILT_IN = "built-in", "Built-in"

    class Urgency(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        UNKNOWN = "unknown", "Unknown"

    class Authority(models.TextChoices):
        DECISION_MAKER = "decision maker", "Decision maker"
        INFLUENCER = "influencer", "Influencer"
        USER = "user", "User"
        UNKNOWN = "unknown", "Unknown"

    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="analyses")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    job = models.ForeignKey(AnalysisJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="analyses")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Why it failed; on a built-in analysis, why no model was asked.
    failure = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, blank=True)
    pain_points = models.JSONField(default=list, blank=True)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, blank=True)
    urgency_reason = models.TextField(blank=True)
    authority = models.CharField(max_length=20, choices=Authority.choices, blank=True)
    authority_reason = models.TextField(blank=True)
    fit = models.PositiveSmallIntegerField(null=True, blank=True)
    fit_reasoning = models.TextField(blank=True)
    summary = models.TextField(blank=True)
    # Facts were too few to say much: the analysis says so rather than guessing.
    thin = models.BooleanField(default=False)
    model = models.CharField(max_length=100, blank=True)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    seconds = models.FloatField(default=0)
    ai_call = models.ForeignKey("leadflow.AiCall", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lead", "-created_at"], name="lead_analysis_recent")]
        verbose_name_plural = "lead analyses"

    def __str__(self) -> str:
        return f"Analysis of lead {self.lead_id} ({self.get_status_display()})"
