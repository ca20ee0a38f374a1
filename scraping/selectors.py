"""What the sources page shows of each campaign: its last and next run, leads this week, duplicate and error rates,
and leads per day for a sparkline; read in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from scraping.models import AdDelivery, Campaign, ScrapeRun, Source

SPARK_DAYS = 14
SPARK_WIDTH, SPARK_HEIGHT = 112, 24


@dataclass
class Health:
    last_run: ScrapeRun | None = None
    leads_week: int = 0
    duplicate_rate: int = 0  # percent of fetched rows that were duplicates, this week
    error_rate: int = 0  # percent of runs that failed, this week
    per_day: list[int] = field(default_factory=list)

    @property
    def failing(self) -> bool:
        return self.last_run is not None and self.last_run.status in (ScrapeRun.Status.FAILED, ScrapeRun.Status.FLAGGED)

    @property
    def spark_points(self) -> str:
        """The per-day counts as SVG polyline points (scaled to the box), for an inline sparkline without script."""
        top = max(self.per_day or [0]) or 1
        step = SPARK_WIDTH / max(len(self.per_day) - 1, 1)
        return " ".join(
            f"{index * step:.1f},{SPARK_HEIGHT - 2 - (count / top) * (SPARK_HEIGHT - 4):.1f}"
            for index, count in enumerate(self.per_day)
        )


def campaigns_health(campaigns: QuerySet[Campaign]) -> dict[int, Health]:
    today = timezone.localdate()
    days = [today - timedelta(days=offset) for offset in range(SPARK_DAYS - 1, -1, -1)]
    week_ago = timezone.now() - timedelta(days=7)
    ids = list(campaigns.values_list("pk", flat=True))
    health = {pk: Health(per_day=[0] * SPARK_DAYS) for pk in ids}
    week = (
        ScrapeRun.objects.filter(campaign_id__in=ids, created_at__gte=week_ago)
        .values("campaign_id")
        .annotate(
            created=Sum("leads_created"),
            fetched=Sum("rows_fetched"),
            skipped=Sum("leads_skipped"),
            runs=Count("pk"),
            failed=Count("pk", filter=Q(status=ScrapeRun.Status.FAILED)),
        )
    )
    for row in week:
        entry = health[row["campaign_id"]]
        entry.leads_week = row["created"] or 0
        entry.duplicate_rate = round(100 * (row["skipped"] or 0) / row["fetched"]) if row["fetched"] else 0
        entry.error_rate = round(100 * row["failed"] / row["runs"]) if row["runs"] else 0
    daily = (
        ScrapeRun.objects.filter(campaign_id__in=ids, created_at__date__gte=days[0])
        .annotate(day=TruncDate("created_at"))
        .values("campaign_id", "day")
        .annotate(created=Sum("leads_created"))
    )
    index = {day: position for position, day in enumerate(days)}
    for row in daily:
        position = index.get(row["day"])
        if position is not None:
            health[row["campaign_id"]].per_day[position] = row["created"] or 0
    # Each campaign's newest run only (an hourly campaign has thousands), without its raw answer.
    newest = ScrapeRun.objects.filter(campaign=OuterRef("pk")).order_by("-created_at", "-pk").values("pk")[:1]
    last_ids = Campaign.objects.filter(pk__in=ids).annotate(last=Subquery(newest)).values_list("last", flat=True)
    for run in ScrapeRun.objects.filter(pk__in=[pk for pk in last_ids if pk]).defer("raw", "notes"):
        health[run.campaign_id].last_run = run
    return health


def deliveries_health(sources: list[Source]) -> dict[int, dict]:
    """Per webhook source: deliveries this week, saved, failed, and the last one received."""
    week_ago = timezone.now() - timedelta(days=7)
    counts: dict[int, dict] = defaultdict(lambda: {"week": 0, "saved": 0, "failed": 0, "last": None})
    rows = (
        AdDelivery.objects.filter(source__in=sources, received_at__gte=week_ago)
        .values("source_id")
        .annotate(
            week=Count("pk"),
            saved=Count("pk", filter=Q(status=AdDelivery.Status.SAVED)),
            failed=Count("pk", filter=Q(status=AdDelivery.Status.FAILED)),
        )
    )
    for row in rows:
        counts[row["source_id"]].update(week=row["week"], saved=row["saved"], failed=row["failed"])
    for source in sources:
        counts[source.pk]["last"] = source.deliveries.order_by("-received_at").first()
    return dict(counts)
