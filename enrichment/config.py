"""The site's waterfall settings, with the defaults a fresh site starts from."""

from __future__ import annotations

from django.db import transaction

from enrichment.models import EnrichmentSettings, ProviderAccount
from enrichment.providers.base import COMPANY, EMAIL, LINKEDIN, PHONE
from leadflow.audit import audit_changes, audit_snapshot, audit_stored, record
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
    before = audit_snapshot(row)
    row.source_order = order
    row.sources_enabled = [name for name in order if name in enabled]
    row.thresholds = thresholds
    row.monthly_credit_cap = monthly_credit_cap
    row.cache_days = cache_days
    row.save()
    record("settings.enrichment_changed", actor=actor, target=row, changes=audit_changes(before, row))
    return row


@transaction.atomic
def provider_account_save(*, account: ProviderAccount, actor) -> ProviderAccount:
    """Save a provider's account (admins only); the log says the key changed, never what it is."""
    require_admin(actor)
    before = audit_stored(account)
    account.save()
    record("provider_account.saved", actor=actor, target=account, changes=audit_changes(before, account))
    return account


@transaction.atomic
def provider_accounts_delete(*, accounts: list[ProviderAccount], actor) -> None:
    require_admin(actor)
    for account in accounts:
        record("provider_account.deleted", actor=actor, target=account)
    ProviderAccount.objects.filter(pk__in=[account.pk for account in accounts]).delete()
