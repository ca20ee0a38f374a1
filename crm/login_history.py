"""Sign-ins in the audit log: each success and failure (password or two-factor code), each two-factor method added
or removed, and the list a person sees of their own sign-ins on My settings."""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from allauth.account.authentication import get_authentication_records
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models import QuerySet
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from crm.models import User
from leadflow.audit import AuditEvent, record

SIGN_IN_ACTIONS = ("login.succeeded", "login.failed")
# Methods that are a second factor or a passkey; recovery codes are a fallback of these, not one of their own.
TWO_FACTOR_TYPES = {Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN}


def login_history(user: User) -> QuerySet[AuditEvent]:
    """The user's own sign-ins and failed attempts on their account, newest first."""
    return AuditEvent.objects.filter(actor=user, action__in=SIGN_IN_ACTIONS)


def _methods(request: HttpRequest, user: User) -> list[str]:
    """How this sign-in proved who it was, from allauth's record of the session's steps: password, totp, passkey..."""
    if not hasattr(request, "session"):
        return []
    methods = []
    for step in get_authentication_records(request, user):
        if step.get("method") != "mfa":
            methods.append(step.get("method", ""))
        else:
            methods.append("passkey" if step.get("passwordless") else step.get("type", "mfa"))
    return methods


@receiver(user_logged_in, dispatch_uid="crm.login_history.signed_in")
def signed_in(sender: type, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None:
        record("login.succeeded", request=request, actor=user, details={"methods": _methods(request, user)})


@receiver(user_login_failed, dispatch_uid="crm.login_history.sign_in_failed")
def sign_in_failed(sender: str, credentials: dict, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """A wrong password. For a known email the attempt is the account's (its owner sees it); for an unknown one only
    the domain and a keyed hash are kept, so repeated tries show without the log holding a stranger's address.
    Django has already masked the password in `credentials`; nothing else of them is stored."""
    email = str(credentials.get("email") or credentials.get("username") or "").strip().lower()
    user = User.objects.filter(email__iexact=email).first() if email else None
    if user is not None:
        record("login.failed", request=request, actor=user, details={"step": "password"})
        return
    details = {"step": "password", "email_domain": email.rpartition("@")[2][:100]}
    if email:
        details["email_hash"] = salted_hmac("crm.login_history.unknown_email", email).hexdigest()[:16]
    record("login.failed", request=request, details=details)


@receiver(mfa_signals.authentication_failed, dispatch_uid="crm.login_history.code_failed")
def code_failed(sender: type, request: HttpRequest, user: User, reauthentication: bool = False, **kwargs: Any) -> None:
    step = "two-factor code (confirming)" if reauthentication else "two-factor code"
    record("login.failed", request=request, actor=user, details={"step": step})


@receiver(mfa_signals.authenticator_added, dispatch_uid="crm.login_history.method_added")
def method_added(sender: type, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any) -> None:
    if authenticator.type in TWO_FACTOR_TYPES:
        record("mfa.enabled", request=request, actor=user, details={"type": authenticator.type})


@receiver(mfa_signals.authenticator_removed, dispatch_uid="crm.login_history.method_removed")
def method_removed(sender: type, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any) -> None:
    if authenticator.type in TWO_FACTOR_TYPES:
        record("mfa.disabled", request=request, actor=user, details={"type": authenticator.type})


@receiver(account_signals.password_changed, dispatch_uid="crm.login_history.password_changed")
@receiver(account_signals.password_reset, dispatch_uid="crm.login_history.password_reset")
def own_password_changed(sender: type, request: HttpRequest, user: User, signal: Any, **kwargs: Any) -> None:
    """A person changing their own password (or resetting it by email); an admin setting one is user.password_set."""
    how = "reset by email" if signal is account_signals.password_reset else "changed"
    record("user.password_changed", request=request, actor=user, target=user, details={"how": how})
