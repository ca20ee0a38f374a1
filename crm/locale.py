"""Money and time as this site shows them: the site settings (read once per request), deal values in the site
currency and locale, and every time in the signed-in user's zone."""

from __future__ import annotations

import copy
import functools
import zoneinfo
from collections.abc import Callable
from contextvars import ContextVar
from decimal import Decimal

from babel import Locale
from babel.numbers import NumberPattern, format_currency, parse_pattern
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import to_locale

from crm.models import SiteSettings

# The site settings read during the current request; None outside a request (commands and jobs read afresh).
_request_cache: ContextVar[dict[str, SiteSettings] | None] = ContextVar("site_settings", default=None)


def site_settings() -> SiteSettings:
    """The site settings record (its defaults until an admin saves it), read at most once per request."""
    cache = _request_cache.get()
    if cache is not None and "record" in cache:
        return cache["record"]
    record = SiteSettings.objects.filter(pk=SiteSettings.SINGLETON_PK).first() or SiteSettings.defaults()
    if cache is not None:
        cache["record"] = record
    return record


@functools.cache
def site_locale() -> Locale:
    """The site's locale (LANGUAGE_CODE) as Babel knows it: how numbers and currency names are written."""
    return Locale.parse(to_locale(settings.LANGUAGE_CODE))


@functools.cache
def _whole_amount_pattern(locale: Locale) -> NumberPattern:
    """The locale's currency pattern without decimals: a whole deal value reads "$12,500", not "$12,500.00"."""
    pattern = copy.copy(parse_pattern(locale.currency_formats["standard"]))
    pattern.frac_prec = (0, 0)
    return pattern


def money_format(value: Decimal | int | float | str | None) -> str:
    """A deal value in the site currency and locale ("$12,500", "€1,250.50"); empty for no value.

    The one formatter of money: the `money` template filter and JSON answers both use it.
    """
    if value is None or value == "":
        return ""
    amount = Decimal(str(value))
    locale = site_locale()
    currency = site_settings().currency
    if amount == amount.to_integral_value():
        return _whole_amount_pattern(locale).apply(amount, locale, currency=currency, currency_digits=False)
    return format_currency(amount, currency, locale=locale)


def zone_or_none(name: str) -> zoneinfo.ZoneInfo | None:
    """The named zone, or None for an empty name or one this machine does not know."""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class SiteLocaleMiddleware:
    """Give each request its own site-settings cache, and show times in the user's zone (else the site's)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request_cache.set({})
        try:
            # Signed-out pages show no times, so they skip the settings query.
            if request.user.is_authenticated:
                zone = zone_or_none(request.user.time_zone) or zone_or_none(site_settings().time_zone)
                timezone.activate(zone or settings.TIME_ZONE)
            return self.get_response(request)
        finally:
            timezone.deactivate()
            _request_cache.reset(token)
