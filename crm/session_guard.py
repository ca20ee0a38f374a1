"""Middleware guarding signed-in sessions: the site's idle limit, and two-factor for Admins when the site asks it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from crm.locale import site_settings
from crm.services.sessions import session_idle_expired
from leadflow.roles import is_admin

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from crm.models import User

# Pages an Admin who must set up two-factor may still open: signing out, confirming who they are, and allauth's
# two-factor pages (an authenticator app, a passkey, recovery codes), whose names all begin with "mfa_".
OPEN_BEFORE_TWO_FACTOR = {"account_logout", "account_login", "account_reauthenticate"}


class IdleTimeoutMiddleware:
    """Sign out a session idle longer than the site allows (Settings, General); the login check, which runs on the
    view after every middleware's first half, then sends the visitor to sign in again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and session_idle_expired(request):
            logout(request)
            minutes = site_settings().session_idle_minutes
            messages.info(request, f"You were signed out after {minutes} minutes without activity.")
        return self.get_response(request)


def must_set_up_two_factor(user: User | AnonymousUser) -> bool:
    """An Admin without any two-factor method, on a site that requires one of Admins."""
    return (
        user.is_authenticated
        and site_settings().require_admin_two_factor
        and is_admin(user)
        and not is_mfa_enabled(user)
    )


class AdminTwoFactorMiddleware:
    """While the site requires two-factor of Admins, an Admin without it is sent to set up an authenticator app from
    every page but the ones needed to do so or to sign out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        name = request.resolver_match.view_name  # with its namespace, so only allauth's own "mfa_" pages match
        if name.startswith("mfa_") or name in OPEN_BEFORE_TWO_FACTOR or not must_set_up_two_factor(request.user):
            return None
        url = reverse("mfa_activate_totp")
        if request.htmx:
            return HttpResponseClientRedirect(url)
        messages.warning(request, "This site requires two-factor sign-in for Admins: set up an authenticator app.")
        return HttpResponseRedirect(url)
