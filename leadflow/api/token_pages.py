"""The API tokens section of My settings: make a token (its secret shown on the next page, once), list and revoke
them. Every signed-in team member manages their own."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from leadflow.api.tokens import api_token_create, api_token_revoke, api_tokens_of

EXPIRY_CHOICES = [("30", "30 days"), ("90", "90 days"), ("365", "a year"), ("", "never")]


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it: “Zapier”, “nightly export”.")
    read_only = forms.BooleanField(required=False, label="Read-only (it can read but not change anything)")
    expires_in = forms.ChoiceField(choices=EXPIRY_CHOICES, initial="90", required=False, label="Expires after")


def api_tokens_context(request: HttpRequest) -> dict:
    """What My settings shows of the user's tokens, and the form to make one."""
    return {"api_tokens": api_tokens_of(request.user), "api_token_form": ApiTokenForm()}


@require_POST
def api_token_new(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        days = form.cleaned_data["expires_in"]
        try:
            issued = api_token_create(
                user=request.user, name=form.cleaned_data["name"], read_only=form.cleaned_data["read_only"],
                expires_at=timezone.now() + timedelta(days=int(days)) if days else None,
            )  # fmt: skip
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            # Shown in this answer and nowhere else: only its hash is kept.
            response = render(request, "leadflow/api_token_new.html", {"issued": issued})
            response["Cache-Control"] = "no-store"
            return response
    else:
        messages.error(request, "Name the token after what will use it.")
    return redirect("crm:my_settings")


@require_POST
def api_token_revoke_page(request: HttpRequest, pk: int) -> HttpResponse:
    token = api_tokens_of(request.user).filter(pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    if api_token_revoke(token=token, actor=request.user):
        messages.success(request, f"Revoked {token.name}: programs using it are refused from now on.")
    return redirect("crm:my_settings")
