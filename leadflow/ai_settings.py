"""The AI settings page (admins): where the model is, its key (stored encrypted, shown masked), the monthly budget,
the price table, this month's spend, and a button that tries the connection."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from leadflow.ai import ai_config, ai_month_spent, ai_test_connection
from leadflow.audit import audit_changes, audit_snapshot, record
from leadflow.models import AiSettings
from leadflow.roles import require_admin
from leadflow.secrets import secret_masked


def prices_text(prices: dict[str, list[float]]) -> str:
    return "\n".join(f"{model} {price[0]:g} {price[1]:g}" for model, price in sorted(prices.items()))


def prices_parse(text: str) -> dict[str, list[float]]:
    """Lines of "model input-price output-price" (USD per 1M tokens)."""
    prices = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            model, price_in, price_out = parts[0], float(parts[1]), float(parts[2])
        except (IndexError, ValueError) as exc:
            message = f'Line {number}: write "model input-price output-price", e.g. "gpt-4o 2.5 10".'
            raise ValidationError(message) from exc
        if len(parts) != 3 or price_in < 0 or price_out < 0:
            raise ValidationError(f"Line {number}: a model name and two prices, not negative.")
        prices[model] = [price_in, price_out]
    return prices


class AiSettingsForm(forms.Form):
    base_url = forms.URLField(
        required=False, label="Base URL", help_text=AiSettings._meta.get_field("base_url").help_text
    )
    model = forms.CharField(required=False, max_length=100, help_text=AiSettings._meta.get_field("model").help_text)
    api_key = forms.CharField(
        required=False,
        label="API key",
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the stored key.",
    )
    clear_key = forms.BooleanField(required=False, label="Remove the stored key")
    monthly_budget_usd = forms.DecimalField(
        required=False,
        min_value=Decimal(0),
        decimal_places=2,
        label="Monthly budget (USD)",
        help_text="Empty: no limit.",
    )
    prices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        label="Prices",
        help_text="One model a line: name, USD per 1M input tokens, USD per 1M output tokens. Unlisted models cost 0.",
    )

    def clean_prices(self) -> dict[str, list[float]]:
        return prices_parse(self.cleaned_data["prices"])


@transaction.atomic
def ai_settings_update(
    *,
    actor,
    base_url: str,
    model: str,
    api_key: str,
    clear_key: bool,
    monthly_budget_usd: Decimal | None,
    prices: dict[str, list[float]],
) -> AiSettings:
    """Save the AI settings; an empty key keeps the stored one unless clearing it is asked for."""
    require_admin(actor)
    settings_row = AiSettings.objects.select_for_update().get(pk=AiSettings.load().pk)
    before = audit_snapshot(settings_row)
    settings_row.base_url, settings_row.model, settings_row.monthly_budget_usd, settings_row.prices = (
        base_url,
        model,
        monthly_budget_usd,
        prices,
    )
    if api_key or clear_key:
        settings_row.api_key = "" if clear_key else api_key.strip()
    settings_row.save()
    record("settings.ai_changed", actor=actor, target=settings_row, changes=audit_changes(before, settings_row))
    return settings_row


def ai_settings(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    record = AiSettings.load()
    initial = {
        "base_url": record.base_url,
        "model": record.model,
        "monthly_budget_usd": record.monthly_budget_usd,
        "prices": prices_text(record.prices or {}),
    }
    form = AiSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        ai_settings_update(actor=request.user, **form.cleaned_data)
        messages.success(request, "AI settings saved.")
        return redirect("ai_settings")
    spent, calls = ai_month_spent()
    context = {
        "form": form,
        "config": ai_config(),
        "stored_key": secret_masked(record.api_key),
        "spent": spent,
        "calls": calls,
        "record": record,
    }
    return render(request, "leadflow/ai_settings.html", context, status=422 if request.method == "POST" else 200)


@require_POST
def ai_settings_test(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    outcome = ai_test_connection()
    (messages.success if outcome.startswith("Working") else messages.error)(request, outcome)
    return redirect("ai_settings")
