"""The site's own settings (currency, default time zone, sign-in security), changed by admins."""

from __future__ import annotations

from babel.numbers import list_currencies
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from crm.locale import site_settings
from crm.models import SiteSettings, User
from crm.normalize import time_zone_names
from leadflow.audit import record
from leadflow.roles import require_admin

# A week: past that an idle limit protects nothing a browser's own session cookie does not.
MAX_IDLE_MINUTES = 7 * 24 * 60


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
    record = site_settings()
    record.currency, record.time_zone, record.updated_by = currency, time_zone, actor
    # The record read in this request is the one saved, so the rest of the request sees the new values.
    record.save()
    return record


@transaction.atomic
def site_security_update(
    *, actor: User, require_admin_two_factor: bool, session_idle_minutes: int, request: HttpRequest | None = None
) -> SiteSettings:
    """Save the sign-in security settings and log the change."""
    require_admin(actor)
    if not 0 <= session_idle_minutes <= MAX_IDLE_MINUTES:
        raise ValidationError({"session_idle_minutes": f"Choose 0 (never) to {MAX_IDLE_MINUTES} minutes."})
    stored = site_settings()
    changes = {
        field: [getattr(stored, field), value]
        for field, value in (
            ("require_admin_two_factor", require_admin_two_factor),
            ("session_idle_minutes", session_idle_minutes),
        )
        if getattr(stored, field) != value
    }
    stored.require_admin_two_factor = require_admin_two_factor
    stored.session_idle_minutes = session_idle_minutes
    stored.updated_by = actor
    stored.save()
    if changes:
        record("site.security_changed", request=request, actor=actor, target=stored, changes=changes)
    return stored
