"""Scoring throughput: a full rescore of 100,000 leads (every score new), then a second one that changes nothing.

    .venv/bin/python bench/score.py [--leads 100000] [--pg-url postgres://postgres@127.0.0.1:5432/leadflow_bench_score]

The leads are built in bulk: 2,000 companies of varied industries, sizes, places and technologies, people with
varied titles and contact details, a profile that matches some of them, and engagement on one lead in five (opens,
some of them machine opens, clicks, replies, meetings). Prints leads per second of each rescore, what it changed,
promoted and moved. Target on a 2-core machine: all 100,000 in under 20 s, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch_databases import postgres_drop, postgres_recreate, worker_environment  # noqa: E402 (a sibling of this script)

INDUSTRIES = ["Software", "Retail", "Manufacturing", "Fintech", "Logistics", "Healthcare", "Education", "Media"]
SIZES = ["1-10", "11-50", "51-200", "201-500", "501-1,000", "1,001-5,000", "10k+", ""]
PLACES = ["Berlin, Germany", "Paris, France", "London, United Kingdom", "Austin, USA", "Madrid, Spain", ""]
TECHNOLOGIES = [["Stripe", "React"], ["WordPress"], ["Shopify", "Klaviyo"], ["HubSpot", "Salesforce"], []]
TITLES = [
    "Head of Sales",
    "VP Marketing",
    "Software Engineer",
    "CEO",
    "Student",
    "Sales Director",
    "Office Manager",
    "",
]
KINDS = ["email_opened", "email_opened", "email_clicked", "replied", "meeting_booked"]
COMPANIES = 2000


def build(count: int) -> None:
    """Companies, leads and engagement, in bulk; the profile and settings the rescore reads."""
    from django.db import transaction

    from crm.models import Activity, Company, Lead, ScoringSettings
    from crm.selectors import profile_default
    from crm.services.pipelines import pipeline_default

    rng = random.Random(12)
    stages = list(pipeline_default().stages.all())
    with transaction.atomic():
        Company.objects.bulk_create(
            Company(
                name=f"Company {n}",
                domain=f"company{n}.test",
                industry=INDUSTRIES[n % len(INDUSTRIES)],
                size=SIZES[n % len(SIZES)],
                location=PLACES[n % len(PLACES)],
                technologies=TECHNOLOGIES[n % len(TECHNOLOGIES)],
            )
            for n in range(COMPANIES)
        )
        company_ids = list(Company.objects.values_list("pk", flat=True))
        Lead.objects.bulk_create(
            (
                Lead(
                    first_name=f"First{n}",
                    last_name=f"Last{n}",
                    title=rng.choice(TITLES),
                    email=f"person{n}@company{n % COMPANIES}.test" if rng.random() < 0.8 else "",
                    email_verified=rng.random() < 0.4,
                    phone=f"+4420794{n:06d}" if rng.random() < 0.5 else "",
                    linkedin_url=f"https://www.linkedin.com/in/person{n}/" if rng.random() < 0.6 else "",
                    location=rng.choice(PLACES),
                    company_id=company_ids[n % len(company_ids)],
                    stage=stages[n % 3],
                )
                for n in range(count)
            ),
            batch_size=5000,
        )
        lead_ids = list(Lead.objects.values_list("pk", flat=True))
        Activity.objects.bulk_create(
            (
                Activity(lead_id=pk, kind=kind, summary=kind, data={"machine": True} if rng.random() < 0.3 else {})
                for pk in rng.sample(lead_ids, len(lead_ids) // 5)
                for kind in rng.sample(KINDS, rng.randint(1, 3))
            ),
            batch_size=5000,
        )
        profile = profile_default()
        profile.industries, profile.title_keywords = ["Software", "Fintech"], ["sales", "marketing"]
        profile.seniority_keywords, profile.locations = ["head", "vp", "director", "ceo"], ["Germany", "United Kingdom"]
        profile.technologies, profile.exclusion_keywords = ["Stripe", "HubSpot"], ["student"]
        profile.company_size_min, profile.company_size_max = 50, 1000
        profile.save()
        ScoringSettings.objects.create(pk=ScoringSettings.SINGLETON_PK, sql_stage=stages[3])


def timed(label: str, count: int) -> None:
    from crm.rescoring import leads_rescore

    started = time.perf_counter()
    result = leads_rescore()
    seconds = time.perf_counter() - started
    print(f"{label}: {count:,} leads in {seconds:.1f} s, {count / seconds:,.0f} leads/s ({result})")


def run(count: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from leadflow.maintenance import database_optimize

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    build(count)
    # Statistics as autovacuum (PostgreSQL) or the nightly schedule (SQLite) keep them on a live database.
    database_optimize()
    print(f"{connection.vendor}: built {count:,} leads in {time.perf_counter() - started:.1f} s")
    timed("first rescore (every score new)", count)
    timed("second rescore (nothing changed)", count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--pg-url", help="run on this PostgreSQL database (dropped and made again) instead of SQLite")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="leadflow-bench-score-"))
    database = args.pg_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    if args.pg_url:
        postgres_recreate(args.pg_url)
    os.environ.update(worker_environment(database))
    try:
        run(args.leads)
    finally:
        if args.pg_url:
            postgres_drop(args.pg_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
