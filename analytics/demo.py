"""The demo's analytics: a few months of spend on two sources and a capture campaign, so the Sources report shows
cost per lead and ROI (the CRM's demo already backdates leads and stage changes over past weeks)."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.dispatch import receiver

from analytics.costs import spend_save
from analytics.reports import site_today
from crm.models import User
from crm.signals import demo_seeding
from scraping.models import Campaign

# Monthly spend per lead source of the demo (crm.demo_data.SOURCES), around these amounts.
DEMO_SPEND = {"linkedin": Decimal("1800"), "meta_ads": Decimal("950")}
DEMO_MONTHS = 3


@receiver(demo_seeding, dispatch_uid="analytics.demo")
def analytics_demo(sender, *, manager: User, rng: random.Random, **kwargs) -> list[str]:
    month = site_today().replace(day=1)
    saved = 0
    for _ in range(DEMO_MONTHS):
        for source, amount in DEMO_SPEND.items():
            varied = (amount * Decimal(rng.uniform(0.8, 1.2))).quantize(Decimal("1"))
            spend_save(actor=manager, month=month, amount=varied, source=source, note="Demo spend")
            saved += 1
        campaign = Campaign.objects.order_by("pk").first()
        if campaign is not None:
            spend_save(actor=manager, month=month, amount=Decimal("300"), campaign=campaign, note="Demo data plan")
            saved += 1
        month = (month - timedelta(days=1)).replace(day=1)
    return [f"  {saved} months of spend on {', '.join(DEMO_SPEND)} and a capture campaign (see Analytics, Costs)"]
