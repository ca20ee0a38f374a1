"""Capture's part of the demo: the sources a team connects, campaigns on schedules (loaded from the same YAML a team
would write), two weeks of run history (one campaign failing, so the sources page shows how that looks), and ad-form
deliveries behind a few leads, so their pages say where they came from. Nothing here reaches the network: runs are
history, and new runs need a real key or a reachable directory."""

from __future__ import annotations

import random
from datetime import timedelta

from django.dispatch import receiver
from django.utils import timezone

from crm.models import Lead, User
from crm.signals import demo_seeding
from scraping.campaign_files import campaigns_load
from scraping.models import AdDelivery, Campaign, ScrapeRun, Source

DEMO_CAMPAIGNS = """
- name: SaaS founders Berlin
  source: PhantomBuster
  agent: "4512378"
  enter_as: contact
  schedule: daily 07:00
- name: Plumbers in Leeds
  source: Trade directories
  start_urls: ["https://directory.example/plumbers/leeds"]
  item: "div.listing"
  fields: {company: "h2", phone: ".tel", website: "a.site@href", location: ".addr"}
  next_page: "a.next@href"
  max_pages: 20
  region: GB
  schedule: weekly mon 06:30
- name: Cafés in Lisbon (Google Maps)
  source: Apify
  actor: compass/crawler-google-places
  input: {searchStringsArray: ["café"], locationQuery: "Lisbon, Portugal", maxCrawledPlacesPerSearch: 200}
  tag: google_maps
  schedule: weekly thu 05:00
- name: IndiaMART buyer enquiries
  source: IndiaMART
  enter_as: lead
  schedule: hourly
"""
SOURCES = [
    ("PhantomBuster", Source.Kind.PHANTOMBUSTER),
    ("Apify", Source.Kind.APIFY),
    ("IndiaMART", Source.Kind.INDIAMART),
    ("Trade directories", Source.Kind.WEBSITE),
    ("Meta lead ads", Source.Kind.META),
    ("Google Ads lead forms", Source.Kind.GOOGLE_ADS),
]
HISTORY_DAYS = 14


def _history(campaign: Campaign, rng: random.Random, *, failing: bool) -> int:
    """A run a day (or so) over two weeks; the failing campaign's last runs failed."""
    now = timezone.now()
    runs = []
    for day in range(HISTORY_DAYS, 0, -1):
        if rng.random() < 0.3:
            continue
        when = now - timedelta(days=day, hours=rng.randint(0, 6))
        fetched = rng.randint(20, 120)
        skipped = rng.randint(0, fetched // 4)
        rejected = rng.randint(0, 3)
        broken = failing and day <= 3
        runs.append(
            ScrapeRun(
                campaign=campaign,
                status=ScrapeRun.Status.FAILED if broken else ScrapeRun.Status.DONE,
                trigger="schedule",
                attempts=3 if broken else 1,
                created_at=when,
                started_at=when,
                finished_at=when + timedelta(seconds=rng.randint(20, 240)),
                rows_fetched=0 if broken else fetched,
                leads_created=0 if broken else fetched - skipped - rejected,
                leads_skipped=0 if broken else skipped,
                leads_rejected=0 if broken else rejected,
                error="PhantomBuster rejected the API key" if broken else "",
                notes=["demo history: no fetch was made"],
            )
        )
    ScrapeRun.objects.bulk_create(runs)
    return len(runs)


@receiver(demo_seeding, dispatch_uid="scraping.demo")
def capture_demo(sender, *, manager: User, rng: random.Random, **kwargs) -> list[str]:
    for name, kind in SOURCES:
        Source.objects.get_or_create(name=name, defaults={"kind": kind, "owner": manager})
    campaigns_load(DEMO_CAMPAIGNS, actor=manager)
    runs = sum(
        _history(campaign, rng, failing=campaign.source.kind == Source.Kind.PHANTOMBUSTER)
        for campaign in Campaign.objects.select_related("source")
    )
    meta = Source.objects.get(name="Meta lead ads")
    ad_leads = list(Lead.objects.filter(lifecycle=Lead.Lifecycle.LEAD).exclude(email="").order_by("pk")[:6])
    AdDelivery.objects.bulk_create(
        AdDelivery(
            source=meta,
            platform_lead_id=f"demo-{lead.pk}",
            status=AdDelivery.Status.SAVED,
            received_at=lead.created_at,
            saved_at=lead.created_at + timedelta(seconds=2),
            fields={"full_name": lead.full_name, "email": lead.email},
            origin={"form_id": "5550001", "ad_id": f"2384{lead.pk:05d}", "campaign_id": "23840001"},
            lead=lead,
        )
        for lead in ad_leads
    )
    return [
        f"capture: {len(SOURCES)} sources, {Campaign.objects.count()} campaigns on schedules with {runs} past runs "
        f"(one failing), {len(ad_leads)} leads from a Meta lead form (see Sources)"
    ]
