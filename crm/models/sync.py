"""Two-way sync with another CRM: a connection, the link of each lead to its record there, runs and their changes."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from leadflow.models import LeasedJob
from leadflow.secrets import EncryptedTextField


class CrmConnection(models.Model):
    """One account in another CRM, reached with stored credentials, synced as one user sees and may change leads."""

    class Kind(models.TextChoices):
        HUBSPOT = "hubspot", "HubSpot"
        SALESFORCE = "salesforce", "Salesforce"
        PIPEDRIVE = "pipedrive", "Pipedrive"
        GOHIGHLEVEL = "gohighlevel", "GoHighLevel"

    class Direction(models.TextChoices):
        PUSH = "push", "Push Leadflow to the CRM"
        PULL = "pull", "Pull the CRM into Leadflow"
        BOTH = "both", "Both ways"

    class Conflict(models.TextChoices):
        NEWEST = "newest", "The newest change wins"
        LEADFLOW = "leadflow", "Leadflow always wins"
        CRM = "crm", "The CRM always wins"

    class Schedule(models.TextChoices):
        OFF = "off", "Only when started"
        HOURLY = "hourly", "Every hour"
        DAILY = "daily", "Every day"

    # The NAME of `manage.py sync_crm NAME`.
    name = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Private app token, or OAuth client id and secret; empty: the <CRM>_TOKEN setting from the environment.
    token = EncryptedTextField(blank=True)
    client_id = models.CharField(max_length=200, blank=True)
    client_secret = EncryptedTextField(blank=True)
    # The CRM's own scope where it has one (GoHighLevel location id, Salesforce instance URL).
    account = models.CharField(max_length=300, blank=True)
    # Leadflow field -> the CRM's field name; checked against the CRM's fields when saved (crm.sync.connections).
    mapping = models.JSONField(default=dict)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.BOTH)
    conflict_rule = models.CharField(max_length=10, choices=Conflict.choices, default=Conflict.NEWEST)
    schedule = models.CharField(max_length=10, choices=Schedule.choices, default=Schedule.OFF)
    push_on_qualify = models.BooleanField("push a lead when it qualifies (MQL/SQL)", default=False)
    # Visibility binds the sync like every bulk writer: it changes only leads this user may change.
    acting_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The CRM's modification time of the newest record pulled so far: the next pull asks for changes after it.
    pulled_until = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class CrmLink(models.Model):
    """A lead and its record in a connected CRM, with both sides' modification times as of the last sync."""

    connection = models.ForeignKey(CrmConnection, on_delete=models.CASCADE, related_name="links")
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="crm_links")
    remote_id = models.CharField(max_length=100)
    remote_modified_at = models.DateTimeField(null=True, blank=True)
    # The lead's updated_at right after the last sync wrote or read it: a later one means it changed here since.
    lead_synced_at = models.DateTimeField(null=True, blank=True)
    # What the mapped fields held on both sides after the last sync, so a rerun sends nothing that did not change.
    synced_values = models.JSONField(default=dict, blank=True)
    # The record was deleted in the CRM: the link stays as a tombstone so the lead is not pushed there again.
    remote_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "remote_id"], name="crm_link_remote_once"),
            models.UniqueConstraint(fields=["connection", "lead"], name="crm_link_lead_once"),
        ]

    def __str__(self) -> str:
        return f"{self.connection.name}:{self.remote_id} -> lead #{self.lead_id}"


class SyncRun(LeasedJob):
    """One sync of a connection (push, pull or both), run by the job cluster under a lease, with its counts."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Started by hand"
        SCHEDULE = "schedule", "Schedule"
        QUALIFIED = "qualified", "A lead qualified"
        COMMAND = "command", "Command line"

    connection = models.ForeignKey(CrmConnection, on_delete=models.CASCADE, related_name="runs")
    direction = models.CharField(max_length=10, choices=CrmConnection.Direction.choices)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    # Only these leads (a lead that just qualified); empty: every lead the acting user may change.
    lead_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    pulled = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Sync #{self.pk} {self.connection_id} ({self.get_status_display()})"

    @property
    def counts(self) -> dict[str, int]:
        names = ("created", "updated", "pulled", "skipped", "conflicts", "errors")
        return {name: getattr(self, name) for name in names}


class SyncChange(models.Model):
    """One field one run changed, on one side, and why that side's value won."""

    class Direction(models.TextChoices):
        PUSH = "push", "To the CRM"
        PULL = "pull", "To Leadflow"

    class Winner(models.TextChoices):
        ONLY = "only", "Changed on one side only"
        NEWEST = "newest", "Newest change"
        LEADFLOW = "leadflow", "Leadflow always wins"
        CRM = "crm", "The CRM always wins"
        NEW = "new", "New record"
        DELETED = "deleted", "Deleted on the other side"

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="changes")
    lead = models.ForeignKey("crm.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    remote_id = models.CharField(max_length=100, blank=True)
    field = models.CharField(max_length=60)
    old = models.TextField(blank=True)
    new = models.TextField(blank=True)
    direction = models.CharField(max_length=4, choices=Direction.choices)
    winner = models.CharField("why", max_length=10, choices=Winner.choices, default=Winner.ONLY)
    conflict = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "id"], name="sync_change_run")]

    def __str__(self) -> str:
        return f"{self.field}: {self.old!r} -> {self.new!r} ({self.direction})"
