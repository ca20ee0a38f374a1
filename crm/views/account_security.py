"""My settings' sign-in part: two-factor (allauth's pages), the person's sign-ins, and signing out everywhere."""

from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crm.login_history import login_history
from crm.services.sessions import sessions_sign_out_everywhere

SIGN_INS_PER_PAGE = 20


def account_security_context(request: HttpRequest) -> dict:
    """What My settings shows: whether two-factor is on, and the latest sign-ins."""
    latest = list(login_history(request.user)[: SIGN_INS_PER_PAGE + 1])
    return {
        "two_factor_on": is_mfa_enabled(request.user),
        "sign_ins": latest[:SIGN_INS_PER_PAGE],
        "older_sign_ins": len(latest) > SIGN_INS_PER_PAGE,
    }


def my_sign_ins(request: HttpRequest) -> HttpResponse:
    """Every sign-in and failed attempt on the user's own account, a page at a time."""
    page = Paginator(login_history(request.user), SIGN_INS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "crm/my_sign_ins.html", {"page": page})


@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    sessions_sign_out_everywhere(request=request)
    messages.success(request, "You are signed out on every device and browser, this one too.")
    return redirect("account_login")
