"""The demo's scoring: an ideal-customer profile for the demo companies, email engagement on some open leads, and
three rescores spread over the last weeks, so lead pages show an explained score with a history."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from crm.models import Activity, Lead, ScoringSettings, Stage, User
from crm.rescoring import leads_rescore
from crm.selectors import profile_default
from crm.services.scores import profile_save

ENGAGED_LEADS = 60
# (kind, machine open?) drawn for each engaged lead, in waves between the rescores.
EVENTS = [
    (Activity.Kind.EMAIL_OPENED, False),
    (Activity.Kind.EMAIL_OPENED, True),
    (Activity.Kind.EMAIL_CLICKED, False),
    (Activity.Kind.REPLIED, False),
    (Activity.Kind.MEETING_BOOKED, False),
]
WAVES_DAYS_AGO = (21, 10, 0)


def demo_scoring_seed(*, manager: User, rng: random.Random, now: datetime) -> list[str]:
    """`now` is the demo's own moment, which its dates were drawn from: scored against the clock instead, a
    lead near a day's boundary would age a day on a slow seeding, and the demo would differ from run to run."""
    profile_save(
        actor=manager,
        profile=profile_default(),
        name="Mid-market software and fintech",
        industries="Software\nFintech",
        title_keywords="sales, revenue, marketing, growth, operations",
        seniority_keywords="head, vp, director, chief, ceo, founder, leiter",
        company_size_min=50,
        company_size_max=1000,
        exclusion_keywords="intern, student",
        value_proposition="Leadflow finds, enriches and scores leads so sales teams call the right people first.",
        offer="A 30-day pilot on one team's territory.",
        proof_points="Brightline cut research time per lead by two thirds.",
    )
    ScoringSettings.objects.update_or_create(
        pk=ScoringSettings.SINGLETON_PK,
        defaults={"mql_threshold": 45, "sql_threshold": 70, "promote_at_mql": False, "updated_by": manager},
    )
    engaged = list(
        Lead.objects.filter(stage__kind=Stage.Kind.OPEN).exclude(email="").order_by("pk")[: ENGAGED_LEADS * 3]
    )
    engaged = rng.sample(engaged, min(ENGAGED_LEADS, len(engaged)))
    events = 0
    for days_ago in WAVES_DAYS_AGO:
        moment = now - timedelta(days=days_ago)
        lines = [
            Activity(lead=lead, kind=kind, summary=f"{kind.label} (demo)", data={"machine": True} if machine else {},
                     created_at=moment - timedelta(hours=rng.randint(1, 48)))
            for lead in engaged
            for kind, machine in rng.sample(EVENTS, rng.randint(0, 2))
        ]  # fmt: skip
        Activity.objects.bulk_create(lines)
        events += len(lines)
        result = leads_rescore(now=moment)
    hot = Lead.objects.filter(grade=Lead.Grade.HOT).count()
    summary = f"scores for {result.scored} leads ({hot} hot), {events} email events on {len(engaged)} leads"
    return [f"{summary} (see a lead's Score panel)"]
