"""Personal API tokens: made (shown once), found by the hash of what a client sends, revoked."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from crm.models import User
from leadflow.audit import AuditEvent, record
from leadflow.models import ApiToken
from leadflow.roles import is_admin, role_of

# "lf_" says what the secret is (secret scanners and people recognise it); the rest is 256 random bits.
TOKEN_PREFIX = "lf_"  # noqa: S105 (a marker, not a secret)
# Characters of the token kept in clear so people can tell their tokens apart ("lf_Ab3dE9xK").
VISIBLE_CHARS = 11
# Writing the last use on every request would make every read a write: once a minute is enough to tell.
LAST_USED_EVERY = timedelta(minutes=1)
# The audit log says a token was used (and from where) at most once an hour.
AUDIT_USE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the whole token: shown once, never stored


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, name: str, read_only: bool = False, expires_at: datetime | None = None, channel: str = ""
) -> IssuedToken:
    """A new token for the user; its secret is in the answer and nowhere else."""
    if role_of(user) is None:
        raise PermissionDenied("Only active team members with a role can have API tokens.")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token after what will use it."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name[:100],
        prefix=secret[:VISIBLE_CHARS],
        token_hash=token_hash(secret),
        read_only=read_only,
        expires_at=expires_at,
    )
    token.full_clean(exclude=["token_hash"])
    token.save()
    details = {"user": user.email, "scope": token.scope, "expires_at": expires_at.isoformat() if expires_at else None}
    record("api_token.created", channel=channel, target=token, details=details)
    return IssuedToken(token=token, secret=secret)


def api_token_find(secret: str) -> ApiToken | None:
    """The usable token (not revoked, not expired, its user active) a client sent, else None. Looked up by hash: the
    secret itself is never compared, so its timing tells nothing."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=token_hash(secret)).first()
    if token is None or not token.is_usable() or not token.user.is_active:
        return None
    return token


def api_token_touch(token: ApiToken, now: datetime | None = None, *, request: HttpRequest | None = None) -> None:
    """Record that the token was used, at most once a minute (a conditional update: of requests at the same moment
    one wins), and in the audit log, with the caller's address, at most once an hour."""
    now = now or timezone.now()
    if token.last_used_at is not None and token.last_used_at >= now - LAST_USED_EVERY:
        return
    if not ApiToken.objects.filter(pk=token.pk, last_used_at=token.last_used_at).update(last_used_at=now):
        return
    token.last_used_at = now
    used = AuditEvent.objects.filter(action="api_token.used", object_type=token._meta.label_lower, object_id=token.pk)
    if not used.filter(at__gte=now - AUDIT_USE_EVERY).exists():
        record("api_token.used", request=request, actor=token.user, target=token, details={"scope": token.scope})


def api_token_revoke(*, token: ApiToken, actor: User) -> bool:
    """Revoke one of the actor's own tokens (admins may revoke anyone's); False when it already was."""
    if token.user_id != actor.pk and not is_admin(actor):
        raise PermissionDenied("You can only revoke your own tokens.")
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if revoked:
        record("api_token.revoked", actor=actor, target=token, details={"user": token.user.email})
    return bool(revoked)


def api_tokens_of(user: User):
    return ApiToken.objects.filter(user=user)
