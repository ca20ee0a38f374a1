"""The site's waterfall settings, with the defaults a fresh site starts from."""

from __future__ import annotations

from enrichment.models import EnrichmentSettings
from enrichment.providers.base import COMPANY, EMAIL, LINKEDIN, PHONE
from leadflow.roles import require_admin

# Free built-in sources first, the paid one last: credits are spent only where the free ones fall short.
DEFAULT_ORDER = ["phone", "website", "finder", "hunter"]
DEFAULT_THRESHOLDS = {EMAIL: 80, PHONE: 80, LINKEDIN: 70, COMPANY: 60}


def waterfall_settings() -> EnrichmentSettings:
    """The one settings row, made with the defaults on first use."""
    row, _ = EnrichmentSettings.objects.get_or_create(
        pk=1,
        defaults={
            "source_order": DEFAULT_ORDER,
            "sources_enabled": DEFAULT_ORDER,
            "thresholds": DEFAULT_THRESHOLDS,
        },
    )
    return row


def waterfall_settings_update(
    *, actor, order: list[str], enabled: list[str], thresholds: dict[str, int], monthly_credit_cap: int, cache_days: int
) -> EnrichmentSettings:
    """Save the waterfall's settings (admins only)."""
    require_admin(actor)
    row = waterfall_settings()
    row.source_order = order
    row.sources_enabled = [name for name in order if name in enabled]
    row.thresholds = thresholds
    row.monthly_credit_cap = monthly_credit_cap
    row.cache_days = cache_days
    row.save()
    return row
