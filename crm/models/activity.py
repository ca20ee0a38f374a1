"""What happens to a lead: the timeline, notes and tasks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Activity(models.Model):
    """One line on a lead's timeline: everything that happens to a lead writes one."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        STAGE = "stage", "Stage changed"
        OWNER = "owner", "Owner changed"
        NOTE = "note", "Note"
        TASK = "task", "Task"
        TASK_DONE = "task_done", "Task completed"
        LIST = "list", "Lists"
        MERGED = "merged", "Merged"
        ENRICHED = "enriched", "Enriched"
        PROMOTED = "promoted", "Became a lead"
        # Engagement, written by outreach; an open with data {"machine": true} (a mail privacy proxy) never counts.
        EMAIL_OPENED = "email_opened", "Email opened"
        EMAIL_CLICKED = "email_clicked", "Email link clicked"
        # Sequences (outreach): enrolled, paused, stopped or finished; a message sent, not sent, bounced; opt-outs.
        SEQUENCE = "sequence", "Sequence"
        EMAIL_SENT = "email_sent", "Email sent"
        EMAIL_NOT_SENT = "email_not_sent", "Email not sent"
        EMAIL_BOUNCED = "email_bounced", "Email bounced"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        REPLIED = "replied", "Replied"
        MEETING_BOOKED = "meeting_booked", "Meeting booked"
        SCORE = "score", "Score threshold crossed"
        # The lawful basis recorded, changed or cleared, and consent withdrawn (crm.services.consent).
        LAWFUL_BASIS = "lawful_basis", "Lawful basis"

    # Indexed as the first column of activity_lead_recent.
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="activities", db_index=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    summary = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="activity_lead_recent"),
            # Analytics counts one kind over a period (replies, meetings, emails sent): at a million leads the
            # headline read every line of both periods without it (0.84 s, 0.47 s with it).
            models.Index(fields=["kind", "created_at"], name="activity_kind_time"),
        ]

    def __str__(self) -> str:
        return self.summary


class Note(models.Model):
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField()
    # The import the note came from (a column mapped to notes), so that undoing the import removes it.
    import_job = models.ForeignKey("crm.ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tags = models.ManyToManyField("crm.Tag", blank=True, related_name="notes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lead", "-created_at"], name="note_lead_recent")]

    def __str__(self) -> str:
        return self.body[:60]


class Task(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"
        FOLLOW_UP = "follow_up", "Follow-up"
        OTHER = "other", "Other"

    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.FOLLOW_UP)
    title = models.CharField(max_length=200)
    due_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["done", "due_at", "id"]
        indexes = [
            # A person's open tasks in due order (ties by id), read in index order.
            models.Index(fields=["assignee", "done", "due_at", "id"], name="task_assignee_due"),
            models.Index(fields=["lead", "done"], name="task_lead_open"),
            # Analytics: tasks done in a period, and open ones overdue now, over every assignee (covering: the
            # Reps report joins them to the leads of a filter without reading the tasks).
            models.Index(fields=["done_at"], name="task_done_time"),
            models.Index(
                fields=["due_at"],
                include=["lead", "assignee"],
                condition=models.Q(done=False),
                name="task_open_due_who",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return not self.done and self.due_at is not None and self.due_at < timezone.now()
