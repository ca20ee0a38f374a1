"""What the one AI client keeps: its settings (a singleton edited by admins) and a record of every call."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from leadflow.audit import AuditEvent  # noqa: F401 (the audit log's model lives beside its one writer)
from leadflow.progress import progress_percent, progress_seconds_left
from leadflow.secrets import EncryptedTextField

# USD per 1M input and output tokens (OpenAI's list prices); a model not listed (a local server's) costs 0.
DEFAULT_PRICES: dict[str, list[float]] = {
    "gpt-4o-mini": [0.15, 0.60],
    "gpt-4o": [2.50, 10.00],
    "gpt-4.1": [2.00, 8.00],
    "gpt-4.1-mini": [0.40, 1.60],
    "gpt-4.1-nano": [0.10, 0.40],
    "o4-mini": [1.10, 4.40],
    "gpt-5": [1.25, 10.00],
    "gpt-5-mini": [0.25, 2.00],
    "gpt-5-nano": [0.05, 0.40],
}


def default_prices() -> dict[str, list[float]]:
    return {model: list(price) for model, price in DEFAULT_PRICES.items()}


class AiSettings(models.Model):
    """The stored AI configuration; OPENAI_BASE_URL, OPENAI_MODEL and OPENAI_API_KEY in the environment win."""

    base_url = models.URLField(blank=True, help_text="Empty: OpenAI. Azure, vLLM, Ollama, llama.cpp: their /v1 URL.")
    model = models.CharField(max_length=100, blank=True, help_text="Empty: gpt-4o-mini. Azure: the deployment name.")
    api_key = EncryptedTextField(blank=True)
    monthly_budget_usd = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, default=Decimal("20.00"), help_text="Empty: no limit."
    )
    prices = models.JSONField(default=default_prices, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "AI settings"
        verbose_name_plural = "AI settings"

    def __str__(self) -> str:
        return "AI settings"

    @classmethod
    def load(cls) -> AiSettings:
        record, _ = cls.objects.get_or_create(pk=1)
        return record


class AiCall(models.Model):
    """One question put to the model (or answered from the cache, or refused by the budget), with what it cost."""

    class Status(models.TextChoices):
        OK = "ok", "answered"
        FAILED = "failed", "failed"
        REFUSED = "refused", "refused by the model"
        OVER_BUDGET = "over_budget", "not asked: over budget"

    purpose = models.CharField(max_length=60)
    subject = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100)
    cache_key = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    failure = models.TextField(blank=True)
    cached = models.BooleanField(default=False)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal(0))
    seconds = models.FloatField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Seconds spent waiting between retries (Retry-After or backoff), as the client chose them.
    waited_seconds = models.FloatField(default=0)
    answer = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.purpose} {self.subject} ({self.get_status_display()})"


class LeasedJob(models.Model):
    """What every job over many leads keeps (enrichment, analysis, drafts): its progress, its times, a cancel
    request and its runner's lease (leadflow.leases). Each job names its own Status, with QUEUED and RUNNING."""

    progress_total = models.PositiveIntegerField(default=0)
    progress_done = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        return progress_percent(self.progress_done, self.progress_total, finished=not self.is_active)

    @property
    def seconds_left(self) -> int | None:
        if self.status != self.Status.RUNNING:
            return None
        return progress_seconds_left(self.started_at, self.progress_done, self.progress_total)


class ApiToken(models.Model):
    """A personal API token: only its SHA-256 hash is kept (the token itself is shown once), with a short prefix
    people recognise it by, its scope, expiry and last use (leadflow.api.tokens)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    read_only = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope(self) -> str:
        return "read-only" if self.read_only else "read-write"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
