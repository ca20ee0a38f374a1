"""Importing files of leads: jobs with their progress and history, rejected rows, what each import changed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from leadflow.progress import progress_percent, progress_seconds_left


class SavedMapping(models.Model):
    """A column mapping kept for the next file of the same shape (header -> lead field)."""

    name = models.CharField(max_length=100, unique=True)
    columns = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    class Status(models.TextChoices):
        MAPPING = "mapping", "Waiting for a mapping"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        UNDONE = "undone", "Undone"

    class OnDuplicate(models.TextChoices):
        SKIP = "skip", "Skip the row"
        FILL = "fill", "Fill only empty fields"
        OVERWRITE = "overwrite", "Overwrite with the file's values"

    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    file_format = models.CharField(max_length=10, blank=True)
    encoding = models.CharField(max_length=40, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    header_line = models.PositiveIntegerField(default=1)
    headers = models.JSONField(default=list)
    # One target per column (see crm.importing.mapping.FIELDS); "" keeps the column as a custom field.
    mapping = models.JSONField(default=list)
    on_duplicate = models.CharField(max_length=10, choices=OnDuplicate.choices, default=OnDuplicate.SKIP)
    lead_list = models.ForeignKey("crm.LeadList", null=True, blank=True, on_delete=models.SET_NULL)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=60, default="csv_import")
    # Rows written into its file while it ran, by the task that ran it (a capture's table): a job whose runner died
    # is failed, not resumed, since its file may not be whole; the capture that made it fetches and imports again.
    fed_by_caller = models.BooleanField(default=False)
    # Where a column mapped to the lawful basis says it came from ("Meta lead form"); "": "Import file <name>".
    lawful_basis_source = models.CharField(max_length=100, blank=True)
    # Where new leads enter: a stage (None: the default pipeline's first) and as contacts or leads. A capture run or
    # an ad form sets them; files imported by people take the defaults.
    stage = models.ForeignKey("crm.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lifecycle = models.CharField(max_length=10, default="contact")
    dry_run = models.BooleanField(default=False)
    # Enrich the leads it created or changed once it is done (the import page's option, the API's
    # enrich_after_import); `enrichment_requested_at` is set in the transaction that asks, so it is asked once.
    enrich_after = models.BooleanField(default=False)
    enrichment_requested_at = models.DateTimeField(null=True, blank=True)
    # Country of phone numbers written without +code when the row itself does not say (its country, website or
    # email); "" means settings.PHONE_DEFAULT_REGION.
    region = models.CharField(max_length=2, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.MAPPING)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="imports"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Progress, committed together with each batch so a restarted worker resumes after `last_line`.
    progress_total = models.PositiveBigIntegerField(default=0)
    progress_done = models.PositiveBigIntegerField(default=0)
    last_line = models.PositiveIntegerField(default=0)
    # Last sign of life: queued, claimed, or a batch written. A queued or running job silent for long lost its
    # task (a Redis broker forgets a task whose worker died) and is queued again (imports_requeue_stalled).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The one task running the job: its id, and until when its claim holds without a sign of life.
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undo_report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        finished = self.status in {self.Status.DONE, self.Status.UNDONE}
        return progress_percent(self.progress_done, self.progress_total, finished=finished)

    @property
    def seconds_left(self) -> int | None:
        if self.status != self.Status.RUNNING:
            return None
        return progress_seconds_left(self.started_at, self.progress_done, self.progress_total)


class ImportRejection(models.Model):
    """A row the import rejected or skipped, or one cell of it that it could not use, with the reason."""

    class Kind(models.TextChoices):
        REJECTED = "rejected", "rejected"
        WARNING = "warning", "imported without this value"
        SKIPPED = "skipped", "skipped"

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rejections")
    line = models.PositiveIntegerField()
    column = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=500)
    # The whole row as read, so the rejected-rows download can be fixed and imported again.
    values = models.JSONField(default=list)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REJECTED)
    # The lead a skipped row matched, when the importer may see it.
    lead = models.ForeignKey("crm.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["job", "line", "id"]
        indexes = [models.Index(fields=["job", "line"], name="importrejection_job_line")]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class ImportChange(models.Model):
    """The previous values of the fields an import filled or overwrote on an existing lead, for undo."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="changes")
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="import_changes")
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    # What the import added beside field values: {"tags": [names], "list": true} for undo to take back.
    added = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["job", "lead"], name="importchange_job_lead")]

    def __str__(self) -> str:
        return f"{self.job_id}: lead {self.lead_id}"
