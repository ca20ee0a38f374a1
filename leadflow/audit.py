"""The audit log: who did what, when, from where, to which object. Written by `record` and nothing else; append-only.

An event never holds a prospect's personal data (a lead is named by its id, never by its name or email), so the
log can be kept for years and an erasure has nothing to hunt for in it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

# Every action the log knows, with how the log page names it. Add the action here before recording it.
ACTIONS: dict[str, str] = {
    "login.succeeded": "Signed in",
    "login.failed": "Sign-in failed",
    "sessions.signed_out_everywhere": "Signed out everywhere",
    "mfa.enabled": "Added a two-factor method",
    "mfa.disabled": "Removed a two-factor method",
    "site.security_changed": "Changed the sign-in security settings",
    "backup.created": "Backup written",
    # Consent and lawful basis (crm.services.consent): by a person, on the lead page or over the API.
    "lead.lawful_basis_set": "Recorded a lead's lawful basis",
    "lead.consent_withdrawn": "Recorded a lead's withdrawal of consent",
    # Privacy requests (crm.privacy): details hold counts and keyed hashes only.
    "person.exported": "Exported a person's data (privacy request)",
    "person.erased": "Erased a person's data (privacy request)",
}

# Objects named only by their id in the log: they are people outside the team.
PERSONAL_MODELS = {"crm.lead"}


class AppendOnlyError(Exception):
    """The audit log is never changed or deleted from the app; old events expire through `expire_before` only."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit events are never changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are never deleted; they expire after AUDIT_RETENTION_DAYS.")

    def expire_before(self, cutoff) -> int:
        """The one way events leave the log: older than the retention period."""
        deleted, _ = models.QuerySet.delete(self.filter(at__lt=cutoff))
        return deleted


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    # Who it was at the time (their email), kept when the user is later deleted; "" for the system's own jobs.
    actor_label = models.CharField(max_length=254, blank=True)
    # web, api, command or job: where the action came from.
    channel = models.CharField(max_length=10, default="web")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)  # app_label.model
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    # {"field": [before, after]} for a change; secrets appear only as "changed".
    changes = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["actor", "-at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label or 'system'}: {self.action_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Audit events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are never deleted; they expire after AUDIT_RETENTION_DAYS.")

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)


def client_ip(request: HttpRequest) -> str:
    """The visitor's address; behind our proxy, the one the proxy saw (the last X-Forwarded-For entry)."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and forwarded:
        return forwarded.rsplit(",", 1)[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def record(
    action: str,
    *,
    request: HttpRequest | None = None,
    actor: Any = None,
    channel: str = "",
    target: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one event. The actor is the request's user unless given; without a request the channel says where from
    (command or job). `target` is the object acted on; `changes` maps a field to [before, after]."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}: add it to leadflow.audit.ACTIONS.")
    event = AuditEvent(action=action, changes=changes or {}, details=details or {})
    if request is not None:
        user = getattr(request, "user", None)
        if actor is None and user is not None and user.is_authenticated:
            actor = user
        event.ip = client_ip(request) or None
        event.user_agent = request.headers.get("User-Agent", "")[:300]
        event.channel = channel or ("api" if request.path.startswith("/api/") else "web")
    else:
        event.channel = channel or "job"
    if actor is not None:
        event.actor = actor
        event.actor_label = actor.email
    if target is not None:
        event.object_type = target._meta.label_lower
        event.object_id = str(target.pk)
        if event.object_type not in PERSONAL_MODELS:
            event.object_label = str(target)[:200]
    event.save()
    return event
