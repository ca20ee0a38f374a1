"""Sequences: reusable templates, the ordered steps of a sequence with their A/B variants, and the leads enrolled in
it with where each one stands."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from outreach.models.mail import working_days


class Template(models.Model):
    """A subject and body with merge fields ({{ first_name|default:"there" }}), checked when saved."""

    name = models.CharField(max_length=120, unique=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Sequence(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ARCHIVED = "archived", "Archived"

    class RequiredBasis(models.TextChoices):
        NONE = "", "None"
        ANY = "any", "Any lawful basis"
        CONSENT = "consent", "Consent only"

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    mailbox = models.ForeignKey(
        "outreach.Mailbox", null=True, blank=True, on_delete=models.PROTECT, related_name="sequences"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The sending window in each lead's own zone (from the lead, its phone or its country, else the team's).
    window_days = models.JSONField(default=working_days, blank=True)
    window_start = models.TimeField(default=datetime.time(9, 0))
    window_end = models.TimeField(default=datetime.time(17, 0))
    # Messages of this sequence a day, across its mailbox's other sequences' caps.
    daily_cap = models.PositiveIntegerField(default=200)
    # When one person at a company replies, pause everyone else at that company in this sequence.
    pause_company_on_reply = models.BooleanField(default=False)
    # Whom the sequence may write to: enrolling skips, and sending stops, leads without this lawful basis.
    require_lawful_basis = models.CharField(
        max_length=10, choices=RequiredBasis.choices, default=RequiredBasis.NONE, blank=True
    )
    # A ready sequence shipped to be cloned: never sends itself.
    is_template = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SequenceStep(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        TASK = "task", "Manual task"
        LINKEDIN_CONNECT = "linkedin_connect", "LinkedIn connection request"
        LINKEDIN_MESSAGE = "linkedin_message", "LinkedIn message"
        WHATSAPP = "whatsapp", "WhatsApp message"

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.EMAIL)
    # Waited after the previous step (after enrolment for the first), in calendar or business days.
    delay_days = models.PositiveSmallIntegerField(default=0)
    business_days = models.BooleanField(default=False)
    # A manual task's title ("Call {{ first_name }}"), and its kind on the task list.
    task_title = models.CharField(max_length=200, blank=True)
    task_kind = models.CharField(max_length=20, default="call")
    # A LinkedIn step launches this PhantomBuster agent instead of making a task, when a PhantomBuster key is set.
    phantom_agent_id = models.CharField(max_length=40, blank=True)
    # A WhatsApp step sends this approved template while the lead's 24-hour window is closed, its variant's text
    # (free text) while it is open.
    whatsapp_template = models.ForeignKey(
        "outreach.WhatsAppTemplate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["sequence", "position"]
        constraints = [models.UniqueConstraint(fields=["sequence", "position"], name="step_position_once")]

    def __str__(self) -> str:
        return f"{self.sequence} step {self.position}"


class StepVariant(models.Model):
    """One version of a step's content; a step with two or more is an A/B test with an even random split."""

    step = models.ForeignKey(SequenceStep, on_delete=models.CASCADE, related_name="variants")
    label = models.CharField(max_length=2, default="A")
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    template = models.ForeignKey(Template, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The lead's latest approved writer draft on the step's channel is sent instead, where one exists.
    use_approved_draft = models.BooleanField(default=False)

    class Meta:
        ordering = ["step", "label"]
        constraints = [models.UniqueConstraint(fields=["step", "label"], name="variant_label_once")]

    def __str__(self) -> str:
        return f"{self.step} variant {self.label}"


class Enrollment(models.Model):
    """A lead in a sequence: the next step it is due for and when, or why it stopped."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        FINISHED = "finished", "Finished"
        STOPPED = "stopped", "Stopped"

    class StopReason(models.TextChoices):
        REPLIED = "replied", "Replied"
        BOUNCED = "bounced", "Bounced"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        COMPLAINED = "complained", "Complained"
        WON = "won", "Deal won"
        LOST = "lost", "Deal lost"
        MEETING = "meeting", "Meeting booked"
        COMPANY_REPLIED = "company_replied", "Someone at the company replied"
        SUPPRESSED = "suppressed", "Suppressed"
        NO_EMAIL = "no_email", "No email address"
        DO_NOT_CONTACT = "do_not_contact", "Do not contact"
        NO_LAWFUL_BASIS = "no_lawful_basis", "Without the lawful basis required"
        REMOVED = "removed", "Removed by hand"
        FAILED = "failed", "Sending failed"

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="enrollments")
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="enrollments")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # The position of the step it waits for, and when that step is due (None once it waits for nothing).
    next_position = models.PositiveSmallIntegerField(default=1)
    due_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=16, choices=StopReason.choices, blank=True)
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    enrolled_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Raised by every change, so the scheduler's write is refused after a pause or stop it did not read.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["sequence", "lead"], name="enrollment_once")]
        indexes = [
            # The scheduler's question: active enrollments due by now.
            models.Index(fields=["due_at"], condition=models.Q(status="active"), name="enrollment_due"),
            models.Index(fields=["lead", "status"], name="enrollment_lead"),
            # A sequence's page lists its newest enrolments first.
            models.Index(fields=["sequence", "-enrolled_at", "-id"], name="enrollment_newest"),
        ]

    def __str__(self) -> str:
        return f"Lead #{self.lead_id} in {self.sequence}"
