"""The site's own settings (currency, default time zone), changed by admins."""

from __future__ import annotations

from babel.numbers import list_currencies
from django.core.exceptions import ValidationError
from django.db import transaction

from crm.locale import site_settings
from crm.models import SiteSettings, User
from crm.normalize import time_zone_names
from leadflow.audit import audit_changes, audit_snapshot, record
from leadflow.roles import require_admin


def currency_codes() -> list[str]:
    """Every ISO 4217 code Babel knows, sorted."""
    return sorted(list_currencies())


@transaction.atomic
def site_settings_update(*, actor: User, currency: str, time_zone: str) -> SiteSettings:
    require_admin(actor)
    return site_settings_apply(currency=currency, time_zone=time_zone, actor=actor)


def site_settings_apply(*, currency: str, time_zone: str, actor: User | None = None) -> SiteSettings:
    """Save the site settings (no permission check: callers are the admins' service and setup commands)."""
    currency = currency.strip().upper()
    errors = {}
    if currency not in list_currencies():
        errors["currency"] = f"{currency or 'An empty code'} is no ISO 4217 currency code such as USD or EUR."
    if time_zone not in time_zone_names():
        errors["time_zone"] = f"{time_zone or 'An empty name'} is no time zone name such as Europe/Paris."
    if errors:
        raise ValidationError(errors)
    stored = site_settings()
    before = audit_snapshot(stored)  # its defaults, as the site used them, until first saved
    stored.currency, stored.time_zone, stored.updated_by = currency, time_zone, actor
    # The record read in this request is the one saved, so the rest of the request sees the new values.
    stored.save()
    record("settings.site_changed", actor=actor, target=stored, changes=audit_changes(before, stored))
    return stored
