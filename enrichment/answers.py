"""The raw answers of sources, kept as they came: the cache every source reads first, and the history values
point at."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from enrichment.models import ProviderAnswer


def answer_cached(source: str, kind: str, key: str) -> ProviderAnswer | None:
    """The newest answer for this question that has not expired, or None."""
    now = timezone.now()
    return (
        ProviderAnswer.objects.filter(source=source, kind=kind, key=key[:300], expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )


def answer_record(
    source: str,
    kind: str,
    key: str,
    body: dict | list,
    *,
    cached: bool = True,
    credits: Decimal | int = 0,
    ttl: timedelta | None = None,
) -> ProviderAnswer:
    """Keep one answer; a cached one is what answer_cached gives for the site's cache days (Enrichment settings), or
    for `ttl` when given (a short pause after a server asked us to wait). Answers that must be asked again next time
    (an error) are kept with cached=False."""
    from enrichment.config import waterfall_settings

    now = timezone.now()
    if cached and ttl is None:
        ttl = timedelta(days=waterfall_settings().cache_days)
    ttl = ttl if cached else None
    return ProviderAnswer.objects.create(
        source=source,
        kind=kind,
        key=key[:300],
        body=body,
        credits=credits,
        created_at=now,
        expires_at=now + ttl if ttl is not None else None,
    )


def answers_prune() -> int:
    """Forget answers nobody needs any more: expired (or never cached), older than the cache days, cost nothing (paid
    ones are the credits history), and behind no value a lead keeps. Run daily by the cluster."""
    from enrichment.config import waterfall_settings
    from enrichment.models import FieldSource

    before = timezone.now() - timedelta(days=max(waterfall_settings().cache_days, 1))
    kept = FieldSource.objects.filter(answer__isnull=False).values("answer_id")
    stale = ProviderAnswer.objects.filter(created_at__lt=before, credits=0).exclude(expires_at__gt=timezone.now())
    deleted, _ = stale.exclude(pk__in=kept).delete()
    return deleted
