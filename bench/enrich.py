"""Enrichment throughput: 1,000 leads through the offline waterfall (phone facts, company websites, the email finder
with DNS and SMTP) against local stand-ins, in one job; then single leads one at a time.

    .venv/bin/python bench/enrich.py [--leads 1000] [--pg-url postgres://postgres@127.0.0.1:5432/leadflow_bench_enrich]

Prints leads per minute for the job and the median time of one lead (a fresh company each: nothing cached). The
stand-ins are the tests' own (tests/fakes): a DNS server for MX and A records, an SMTP server that knows each
company's mailboxes, and a web server with each company's site. Targets on a 2-core machine: at least 1,000 leads a
minute, one lead under 2 s.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch_databases import postgres_drop, postgres_recreate, worker_environment  # noqa: E402 (a sibling of this script)

from tests.fakes.company_sites import CompanySites  # noqa: E402
from tests.fakes.dns_server import FakeDnsServer  # noqa: E402
from tests.fakes.smtp_server import CATCH_ALL, FakeSmtpServer  # noqa: E402

FIRST = ["Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Karin", "Lukas"]
LAST = ["Schmidt", "Meyer", "Novak", "Garcia", "Rossi", "Dubois", "Jensen", "Kowalski", "Silva", "Moreau", "Berg"]
PEOPLE_PER_COMPANY = 10
# Mail patterns of the companies in turn; every seventh company accepts every address (catch-all).
PATTERNS = ["{first}.{last}", "{f}{last}", "{first}"]


def _local(pattern: str, first: str, last: str) -> str:
    return pattern.format(first=first.lower(), last=last.lower(), f=first[0].lower())


def site_write(root: Path, slug: str, name: str, team: list[tuple[str, str]]) -> None:
    """A small company site: a home page with schema.org data and links, and a team page."""
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    organization = (
        f'{{"@context": "https://schema.org", "@type": "Organization", "name": "{name}", '
        f'"description": "{name} makes industrial widgets.", "telephone": "+44 20 7946 0000"}}'
    )
    (folder / "index.html").write_text(
        f'<!DOCTYPE html><html><head><title>{name}</title><meta name="description" content="{name} makes widgets.">'
        f'<meta name="generator" content="WordPress 6.5"><script type="application/ld+json">{organization}</script>'
        f'</head><body><nav><a href="team">Our team</a> <a href="contact">Contact</a></nav>'
        f'<a href="https://www.linkedin.com/company/{slug}/">LinkedIn</a><p>Call +44 20 7946 0000.</p></body></html>'
    )
    members = "".join(
        f'<div class="member"><h3>{first} {last}</h3><p class="role">Director</p>'
        f'<a href="https://www.linkedin.com/in/{first.lower()}-{last.lower()}-{slug}/">LinkedIn</a></div>'
        for first, last in team
    )
    (folder / "team.html").write_text(f"<html><body><h1>Our team</h1><div class='team'>{members}</div></body></html>")


def world_build(companies: int, offset: int, dns: FakeDnsServer, smtp: FakeSmtpServer, root: Path):
    """Companies with a mail server and a website each, and their people: [(first, last, company, domain, phone)]."""
    people = []
    for number in range(offset, offset + companies):
        domain = f"company{number}.test"
        dns.zone[domain] = {"MX": [(10, f"mx.{domain}")], "A": ["127.0.0.1"]}
        dns.zone[f"mx.{domain}"] = {"A": ["127.0.0.1"]}
        pattern = PATTERNS[number % len(PATTERNS)]
        staff = [
            (FIRST[(number + i) % len(FIRST)], LAST[(number * 3 + i) % len(LAST)]) for i in range(PEOPLE_PER_COMPANY)
        ]
        smtp.domains[domain] = CATCH_ALL if number % 7 == 0 else {_local(pattern, f, last) for f, last in staff}
        site_write(root, f"company{number}", f"Company {number}", staff[:3])
        for index, (first, last) in enumerate(staff):
            phone = f"+44 20 7946 {number % 10}{index:03d}" if index % 2 == 0 else ""
            people.append((first, last, f"Company {number}", domain, phone))
    return people


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--singles", type=int, default=30, help="single-lead jobs timed one at a time")
    parser.add_argument("--pg-url", help="run on this PostgreSQL database (dropped and made again) instead of SQLite")
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request of the stand-in web server
    scratch = Path(tempfile.mkdtemp(prefix="leadflow-bench-enrich-"))
    (scratch / "sites").mkdir()
    (scratch / "sites" / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    dns, smtp = FakeDnsServer().start(), FakeSmtpServer().start()
    sites = CompanySites(root=scratch / "sites").start()
    database = args.pg_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    if args.pg_url:
        postgres_recreate(args.pg_url)
    os.environ.update(
        worker_environment(
            database,
            ENRICHMENT_NAMESERVERS=f"127.0.0.1:{dns.port}",
            ENRICHMENT_SMTP_PORT=str(smtp.port),
            ENRICHMENT_ALLOW_PRIVATE_MX="true",
            HTTP_ALLOW_PRIVATE_HOSTS="localhost",
            HTTP_RATE_PER_HOST="0",
        )
    )
    try:
        return run(args, dns, smtp, sites, scratch / "sites")
    finally:
        dns.stop()
        smtp.stop()
        sites.stop()
        if args.pg_url:
            postgres_drop(args.pg_url)


def run(args, dns, smtp, sites, root: Path) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    from crm.models import Lead, User
    from crm.services.pipelines import pipeline_default
    from enrichment.jobs import enrichment_job_create, enrichment_job_run

    call_command("migrate", verbosity=0)
    admin = User.objects.create_superuser(email="bench@leadflow.test", password="bench-only")
    stage = pipeline_default().stages.first()

    def leads_create(people) -> list[int]:
        from crm.companies import company_find_or_create

        created = []
        for first, last, company_name, domain, phone in people:
            company = company_find_or_create(name=company_name, domain=domain)
            company.website = sites.url(domain.removesuffix(".test") + "/")
            company.save(update_fields=["website"])
            lead = Lead.objects.create(
                first_name=first, last_name=last, company=company, phone=phone.replace(" ", ""), stage=stage,
            )  # fmt: skip
            created.append(lead.pk)
        return created

    companies = max(1, args.leads // PEOPLE_PER_COMPANY)
    ids = leads_create(world_build(companies, 0, dns, smtp, root))
    fields, sources = ["email", "phone", "linkedin", "company"], ["phone", "website", "finder"]
    started = time.perf_counter()
    job = enrichment_job_create(actor=admin, leads=Lead.objects.filter(pk__in=ids), fields=fields, sources=sources)
    while enrichment_job_run(job.pk, seconds=3600) not in ("done", "nothing to do"):
        pass
    elapsed = time.perf_counter() - started
    job.refresh_from_db()

    singles = []
    for offset in range(args.singles):
        (lead_id,) = leads_create(world_build(1, 10_000 + offset, dns, smtp, root)[:1])
        began = time.perf_counter()
        single = enrichment_job_create(
            actor=admin, leads=Lead.objects.filter(pk=lead_id), fields=fields, sources=sources
        )
        enrichment_job_run(single.pk, seconds=3600)
        singles.append(time.perf_counter() - began)

    print(f"database: {'PostgreSQL' if args.pg_url else 'SQLite'}; {len(ids)} leads at {companies} companies")
    rate = job.progress_done / elapsed * 60
    print(f"job: {job.status}, {job.progress_done} leads in {elapsed:.1f} s = {rate:,.0f} leads/min")
    print(f"breakdown: {dict(sorted(job.breakdown.items()))}")
    print(
        f"SMTP sessions {smtp.sessions}, RCPT TO {len(smtp.recipients)}, DNS queries {len(dns.queries)}, "
        f"web requests {len(sites.requested_paths())}"
    )
    print(f"one lead, fresh company (median of {len(singles)}): {statistics.median(singles) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
