"""What capture keeps: sources (connections, their secrets encrypted), campaigns (what to fetch, where leads go, when),
the runs of each campaign, and the deliveries of ad lead-form webhooks."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils import timezone

from leadflow.secrets import EncryptedTextField, secret_masked

# The environment setting that stands in for each credential a source may hold (tests and simple installs).
CREDENTIAL_SETTINGS = {
    "api_key": {"phantombuster": "PHANTOMBUSTER_API_KEY"},
    "token": {"apify": "APIFY_TOKEN"},
    "crm_key": {"indiamart": "INDIAMART_CRM_KEY"},
    "app_secret": {"meta": "META_APP_SECRET"},
    "verify_token": {"meta": "META_VERIFY_TOKEN"},
    "page_access_token": {"meta": "META_PAGE_ACCESS_TOKEN"},
    "webhook_key": {"google_ads": "GOOGLE_ADS_WEBHOOK_KEY"},
}
# The setting holding each kind's default base URL.
BASE_URL_SETTINGS = {
    "phantombuster": "PHANTOMBUSTER_BASE_URL",
    "apify": "APIFY_BASE_URL",
    "indiamart": "INDIAMART_BASE_URL",
    "meta": "META_GRAPH_BASE_URL",
}


class Source(models.Model):
    """A configured connection: a PhantomBuster or Apify account, an IndiaMART seller, the web, an ad platform."""

    class Kind(models.TextChoices):
        PHANTOMBUSTER = "phantombuster", "PhantomBuster"
        APIFY = "apify", "Apify"
        INDIAMART = "indiamart", "IndiaMART"
        WEBSITE = "website", "Websites and directories"
        META = "meta", "Meta lead ads"
        GOOGLE_ADS = "google_ads", "Google Ads lead forms"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=100, unique=True)
    # A JSON object of the source's secrets (api_key, token, crm_key, app_secret, verify_token, page_access_token,
    # webhook_key), encrypted at rest; a setting in the environment wins over a blank one here.
    credentials = EncryptedTextField(blank=True)
    base_url = models.URLField(blank=True, help_text="Empty: the provider's real endpoint (or its setting).")
    # Where leads from this source's webhooks (ad forms, IndiaMART push) go; campaigns say it for their own runs.
    stage = models.ForeignKey("crm.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead_list = models.ForeignKey("crm.LeadList", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    paused = models.BooleanField(default=False)
    # An ad-form lead of this source is answered at once by WhatsApp or email with this template (outreach's
    # WhatsApp template or email template of that name; email from the mailbox at acknowledge_from).
    acknowledge_by = models.CharField(
        max_length=10, blank=True, choices=[("", "No acknowledgement"), ("whatsapp", "WhatsApp"), ("email", "Email")]
    )
    acknowledge_template = models.CharField(
        max_length=120, blank=True, help_text="The name of the WhatsApp template, or of the email template."
    )
    acknowledge_from = models.EmailField(blank=True, help_text="The mailbox email acknowledgements are sent from.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def credential(self, name: str) -> str:
        """One secret: the environment's setting when set, else the stored one, else ""."""
        setting = CREDENTIAL_SETTINGS.get(name, {}).get(self.kind)
        from_environment = getattr(settings, setting, "") if setting else ""
        if from_environment:
            return from_environment
        try:
            stored = json.loads(self.credentials or "{}")
        except ValueError:
            return ""
        return str(stored.get(name, "")) if isinstance(stored, dict) else ""

    def credentials_masked(self) -> dict[str, str]:
        try:
            stored = json.loads(self.credentials or "{}")
        except ValueError:
            return {}
        return {name: secret_masked(str(value)) for name, value in stored.items()} if isinstance(stored, dict) else {}

    @property
    def api_base_url(self) -> str:
        setting = BASE_URL_SETTINGS.get(self.kind)
        return self.base_url or (getattr(settings, setting, "") if setting else "")


class Campaign(models.Model):
    """What to fetch from a source, where its leads go, and when it runs."""

    class EnterAs(models.TextChoices):
        CONTACT = "contact", "Contacts"
        LEAD = "lead", "Leads"

    name = models.CharField(max_length=150, unique=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="campaigns")
    # What to fetch, as the source kind reads it: agent, actor, input, search terms, start_urls, item, fields,
    # next_page, max_pages, mapping ({column: lead field}).
    target = models.JSONField(default=dict, blank=True)
    lead_list = models.ForeignKey("crm.LeadList", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Reps who take the new leads in turn (round-robin); empty: `owner` takes them all.
    round_robin = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    round_robin_next = models.PositiveIntegerField(default=0)
    source_tag = models.CharField(max_length=60, blank=True, help_text="Each lead's Source field; empty: the kind.")
    enter_as = models.CharField(max_length=10, choices=EnterAs.choices, default=EnterAs.CONTACT)
    # "manual", "hourly", "daily HH:MM", "weekly <mon..sun> HH:MM" (the site's time zone).
    schedule = models.CharField(max_length=40, default="manual")
    paused = models.BooleanField(default=False)
    # Contacts of this campaign become leads when their score reaches this (0: never by score).
    promote_at_score = models.PositiveSmallIntegerField(default=0)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ScrapeRun(models.Model):
    """One run of a campaign: what was fetched, what became of it, and why it failed if it did."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FLAGGED = "flagged", "Needs a look"  # finished, but something is off (zero items from a listing page)
        FAILED = "failed", "Failed"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=20, default="manual")  # manual | schedule | command
    attempts = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_fetched = models.PositiveIntegerField(default=0)
    leads_created = models.PositiveIntegerField(default=0)
    leads_updated = models.PositiveIntegerField(default=0)
    leads_skipped = models.PositiveIntegerField(default=0)
    leads_rejected = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    notes = models.JSONField(default=list, blank=True)
    # Where the next incremental run starts (the source says what it needs: a container id, a time).
    cursor = models.JSONField(default=dict, blank=True)
    # The raw answer (or a summary of a large one), kept until raw_expires_at (CAPTURE_RAW_DAYS).
    raw = models.JSONField(default=dict, blank=True)
    raw_expires_at = models.DateTimeField(null=True, blank=True)
    # The imports that brought the rows in (a large fetch is imported in chunks): each holds its rows, its rejected
    # rows with their line, and Undo.
    import_jobs = models.ManyToManyField("crm.ImportJob", blank=True, related_name="scrape_runs")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["campaign", "-created_at"], name="run_campaign_recent")]

    def __str__(self) -> str:
        return f"{self.campaign} run #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class AdDelivery(models.Model):
    """One lead a platform (Meta, Google Ads, IndiaMART push) delivered by webhook: kept as received, saved as a lead
    by a queued task. Unique per platform lead id, so a redelivered webhook changes nothing."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        SAVING = "saving", "Being saved"
        SAVED = "saved", "Saved"
        FAILED = "failed", "Failed"
        TEST = "test", "Test (not saved)"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="deliveries")
    platform_lead_id = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    saved_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    # The lead's fields as the platform gave them (after a Graph fetch for Meta), ready for the import's mapping.
    fields = models.JSONField(default=dict, blank=True)
    # Ad, ad set, campaign, form, ad group, creative, gclid: where the lead came from.
    origin = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    lead = models.ForeignKey("crm.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="ad_deliveries")

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "platform_lead_id"], name="ad_delivery_once"),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="ad_delivery_pending")]
        verbose_name_plural = "ad deliveries"

    def __str__(self) -> str:
        return f"{self.source} lead {self.platform_lead_id}"
