"""Settings for money and time, and the site's sign-in security (admins); each person's own zone (My settings)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crm.forms import MySettingsForm, SecuritySettingsForm, SiteSettingsForm
from crm.locale import money_format, site_settings
from crm.services.site import site_security_update, site_settings_update
from crm.services.users import user_set_notify_by_email, user_set_time_zone
from crm.views.account_security import account_security_context
from leadflow.api.token_pages import api_tokens_context
from leadflow.roles import require_admin

# Shown beside the currency choice, so an admin sees what deal values will look like.
MONEY_EXAMPLE = 12500


def general_settings(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    record = site_settings()
    form = SiteSettingsForm(request.POST or None, initial={"currency": record.currency, "time_zone": record.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            site_settings_update(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved. Deal values now read like {money_format(MONEY_EXAMPLE)}.")
            return redirect("crm:settings_general")
    return _general_page(request, form=form, security_form=_security_form(None))


@require_POST
def security_settings(request: HttpRequest) -> HttpResponse:
    """The General page's sign-in security panel: two-factor for Admins and the idle limit."""
    require_admin(request.user)
    record = site_settings()
    security_form = _security_form(request.POST)
    if security_form.is_valid():
        try:
            site_security_update(actor=request.user, request=request, **security_form.cleaned_data)
        except ValidationError as exc:
            security_form.add_error(None, exc)
        else:
            messages.success(request, "Saved the sign-in security settings.")
            return redirect("crm:settings_general")
    form = SiteSettingsForm(initial={"currency": record.currency, "time_zone": record.time_zone})
    return _general_page(request, form=form, security_form=security_form)


def _security_form(data) -> SecuritySettingsForm:
    record = site_settings()
    initial = {
        "require_admin_two_factor": record.require_admin_two_factor,
        "session_idle_minutes": record.session_idle_minutes,
    }
    return SecuritySettingsForm(data, initial=initial)


def _general_page(request: HttpRequest, *, form: SiteSettingsForm, security_form: SecuritySettingsForm) -> HttpResponse:
    status = 422 if request.method == "POST" else 200
    context = {
        "form": form,
        "security_form": security_form,
        "record": site_settings(),
        "money_example": money_format(MONEY_EXAMPLE),
    }
    return render(request, "crm/settings_general.html", context, status=status)


def my_settings(request: HttpRequest) -> HttpResponse:
    form = MySettingsForm(
        request.POST or None,
        initial={"time_zone": request.user.time_zone, "notify_by_email": request.user.notify_by_email},
        site_time_zone=site_settings().time_zone,
    )
    if request.method == "POST" and form.is_valid():
        try:
            user_set_time_zone(user=request.user, time_zone=form.cleaned_data["time_zone"], actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            notify = form.cleaned_data["notify_by_email"]
            user_set_notify_by_email(user=request.user, notify=notify, actor=request.user)
            emailed = "You are emailed when a lead replies." if notify else "Replies are told in the header only."
            messages.success(request, f"Saved. Times are shown in your time zone from now on. {emailed}")
            return redirect("crm:my_settings")
    status = 422 if request.method == "POST" else 200
    context = {
        "form": form,
        **account_security_context(request),
        **api_tokens_context(request),
    }
    return render(request, "crm/my_settings.html", context, status=status)
