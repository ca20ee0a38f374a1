"""The audit log: who did what, when, from where, to which object. Written by `record` and nothing else; append-only.

An event never holds a prospect's personal data (a lead is named by its id, never by its name or email), so the
log can be kept for years and an erasure has nothing to hunt for in it.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from leadflow.secrets import EncryptedTextField

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
    # People and roles
    "user.invited": "User invited",
    "user.created": "User created",
    "user.changed": "User changed",
    "user.role_changed": "Role changed",
    "user.password_set": "Password set by an admin",
    "user.password_changed": "Own password changed",
    "user.deactivated": "User deactivated",
    "user.reactivated": "User reactivated",
    "user.deleted": "User deleted",
    # Settings (a secret field's change is written as "changed", never its value)
    "settings.site_changed": "Site settings changed",
    "settings.ai_changed": "AI settings changed",
    "settings.enrichment_changed": "Enrichment settings changed",
    "settings.scoring_changed": "Scoring settings changed",
    "mailbox.saved": "Mailbox saved",
    "mailbox.deleted": "Mailbox deleted",
    "provider_account.saved": "Provider key saved",
    "provider_account.deleted": "Provider key deleted",
    "capture_source.saved": "Capture source saved",
    "webhook.created": "Webhook created",
    "webhook.changed": "Webhook changed",
    "webhook.deleted": "Webhook deleted",
    "webhook.secret_rotated": "Webhook secret rotated",
    "crm_connection.saved": "CRM connection saved",
    # Data leaving Leadflow
    "leads.exported": "Leads exported",
    "analytics.exported": "Analytics downloaded",
    "import.rejected_downloaded": "Rejected import rows downloaded",
    "attachment.downloaded": "Attachment downloaded",
    "suppressions.exported": "Suppression list exported",
    "audit.exported": "Audit log exported",
    # API tokens
    "api_token.created": "API token created",
    "api_token.revoked": "API token revoked",
    "api_token.used": "API token used",
    # Bulk changes to leads
    "leads.deleted": "Leads deleted",
    "records.deleted": "Records deleted in the admin",
    "leads.merged": "Leads merged",
    "import.started": "Import started",
    "import.finished": "Import finished",
    "import.undone": "Import undone",
    # Incoming webhooks whose signature or key did not check out
    "webhook.refused": "Incoming webhook refused",
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


# The request being served, so a service deep under a view, an admin page or an API call records who and from where
# without every service taking the request (the way django-auditlog finds its actor).
_serving: ContextVar[HttpRequest | None] = ContextVar("audit_serving", default=None)


class AuditRequestMiddleware:
    """Makes the request being served known to `record` for the length of the request."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        token = _serving.set(request)
        try:
            return self.get_response(request)
        finally:
            _serving.reset(token)


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
    """Write one event. The actor is the request's user unless given; the request is the one being served unless
    given or a channel (command or job) is named. `target` is the object acted on; `changes` maps a field to
    [before, after]."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}: add it to leadflow.audit.ACTIONS.")
    if request is None and not channel:
        request = _serving.get()
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


# A sender refused again and again (a misconfigured provider retrying, or someone probing) is written once a minute.
REFUSED_QUIET_SECONDS = 60


def webhook_refused(
    request: HttpRequest, *, provider: str, reason: str, status: int = 403, response: HttpResponse | None = None
) -> HttpResponse:
    """Refuse an incoming webhook whose signature or key did not check out (with `response`, else the reason as
    text), and write it to the log."""
    if cache.add(f"audit:refused:{provider}:{client_ip(request)}", 1, REFUSED_QUIET_SECONDS):
        details = {"provider": provider, "path": request.path, "reason": reason}
        record("webhook.refused", request=request, details=details)
    return response or HttpResponse(reason, status=status, content_type="text/plain; charset=utf-8")


# What a secret field's change is written as: that it changed, never its value, before or after.
SECRET_CHANGED = "changed"  # noqa: S105 (a word written instead of a secret)
# Bookkeeping that changes with every save and says nothing about what was done.
UNAUDITED_FIELDS = {"updated_at", "updated_by_id", "last_login", "date_joined", "created_at"}
# Secrets that are not encrypted fields: a user's password hash.
SECRET_FIELD_NAMES = {"password"}


def _plain(value: Any) -> Any:
    """A value as JSON can hold it (decimals, dates and times as text)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def audit_snapshot(instance: models.Model) -> dict[str, Any]:
    """The instance's stored fields now, to compare with after a change (`audit_changes`)."""
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def audit_stored(instance: models.Model) -> dict[str, Any]:
    """The instance's fields as stored before a change (all None for a new one), for `audit_changes`."""
    stored = type(instance)._base_manager.filter(pk=instance.pk).first() if instance.pk is not None else None
    if stored is None:
        return {field.attname: None for field in instance._meta.concrete_fields if not field.primary_key}
    return audit_snapshot(stored)


def audit_changes(before: dict[str, Any], instance: models.Model) -> dict[str, Any]:
    """{field: [before, after]} for each field that changed since `before`; a secret field only as "changed"."""
    changes: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.attname not in before or field.attname in UNAUDITED_FIELDS:
            continue
        old, new = before[field.attname], getattr(instance, field.attname)
        if old == new:
            continue
        secret = isinstance(field, EncryptedTextField) or field.name in SECRET_FIELD_NAMES
        changes[field.name] = SECRET_CHANGED if secret else [_plain(old), _plain(new)]
    return changes


def audit_events_expire() -> int:
    """Remove events older than AUDIT_RETENTION_DAYS (the daily schedule and `expire_audit_events`)."""
    return AuditEvent.objects.expire_before(timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS))
