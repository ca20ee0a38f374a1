"""Settings for money and time: the site's currency and default zone (admins), and each person's own zone."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from crm.forms import MySettingsForm, SiteSettingsForm
from crm.locale import money_format, site_settings
from crm.services.site import site_settings_update
from crm.services.users import user_set_notify_by_email, user_set_time_zone
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
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "record": record, "money_example": money_format(MONEY_EXAMPLE)}
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
    context = {"form": form, **api_tokens_context(request)}
    return render(request, "crm/my_settings.html", context, status=status)
