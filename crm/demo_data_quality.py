"""The demo's data-quality work: a trade-fair file in Apollo's shape run through the real import pipeline (a
finished job with filled duplicates, a skipped row, rejected rows to download, second emails and phones kept,
phone numbers read in each visitor's own country, and a shared address kept as two people), and a few duplicates
typed in by hand for the Duplicates page to find."""

from __future__ import annotations

import csv
import random
import tempfile
from pathlib import Path

from crm import demo_data as demo
from crm.dedup import duplicates_scan
from crm.importing.jobs import import_job_create, import_job_run, import_job_start
from crm.models import DuplicateCandidate, ImportJob, Lead, User
from crm.services.leads import lead_create

FILE_NAME = "trade-fair-cologne-apollo.csv"
# Apollo's column names, and the short names this module fills them by.
COLUMNS = {
    "first": "First Name",
    "last": "Last Name",
    "title": "Title",
    "company": "Company",
    "email": "Email",
    "email2": "Secondary Email",
    "phone": "Mobile Phone",
    "phone2": "Corporate Phone",
    "website": "Website",
    "City": "City",
    "Country": "Country",
    "Lists": "Lists",
    "notes": "Booth notes",
}
NEW_PEOPLE = 24
# The source of the people typed in a second time from business cards.
TYPED_AGAIN = "business_card"
KNOWN_PEOPLE = 6
# Visitors from abroad, their numbers written as people there write them: read in the country the row names.
ABROAD = [
    ("Sanne", "de Vries", "Nederland", "020 794 6095", "Havenmeester BV", "havenmeester.example"),
    ("Erik", "Lindqvist", "Sverige", "08-123 456 78", "Norrsken AB", "norrsken.example"),
    ("Irina", "Volkova", "Россия", "8 (495) 123-45-67", "Volga Trans", "volga-trans.example"),
]


def _row(**cells: str) -> list[str]:
    return [cells.get(column, "") for column in COLUMNS]


def _rows(rng: random.Random) -> list[list[str]]:
    fair = {"City": "Cologne", "Country": "Germany", "Lists": "cologne-2024"}
    rows = []
    # People the CRM already has, as the fair's scanner saw them: matched by email and filled in, not doubled.
    for lead in Lead.objects.select_related("company").order_by("pk")[:KNOWN_PEOPLE]:
        rows.append(
            _row(
                **fair,
                first=lead.first_name.upper(),
                last=lead.last_name,
                title=lead.title or "Visitor",
                company=lead.company.name if lead.company else "",
                email=lead.email.upper(),
                notes="Came back for a second demo",
            )
        )
    for number in range(NEW_PEOPLE):
        pool = rng.choice(list(demo.FIRST_NAMES))
        first, last = rng.choice(demo.FIRST_NAMES[pool]), rng.choice(demo.LAST_NAMES[pool])
        name = f"{rng.choice(['Rhein', 'Nord', 'Alpen', 'Kessel', 'Hafen'])} {rng.choice(['Logistik', 'Energie'])}"
        domain = f"{demo.ascii_slug(name, '-').lower()}.example"
        rows.append(
            _row(
                **fair,
                first=first,
                last=last,
                title=rng.choice(["Head of Operations", "CTO", "Einkauf", "Managing Director"]),
                company=f"{name} GmbH",
                email=f"{demo.ascii_slug(first)}.{demo.ascii_slug(last)}@{domain}".lower(),
                phone=f"+49 1511 {rng.randint(1000000, 9999999)}" if number % 3 else "",
                phone2=f"+49 221 {rng.randint(100000, 999999)}" if number % 4 == 0 else "",
                website=f"www.{domain}",
            )
        )
    for first, last, country, phone, company, domain in ABROAD:
        email = f"{demo.ascii_slug(first)}@{domain}".lower()
        abroad = {**fair, "City": "", "Country": country}
        private = f"{demo.ascii_slug(first)}.private@mail.example".lower()
        rows.append(
            _row(**abroad, first=first, last=last, title="N/A", company=company, email=email, email2=private,
                 phone=phone, website=domain)
        )  # fmt: skip
    known = Lead.objects.select_related("company").order_by("pk")[KNOWN_PEOPLE]
    # The same person again with nothing new: skipped, and listed with the lead it matched.
    rows.append(_row(first=known.first_name, last=known.last_name, email=known.email))
    # A colleague who reads the same inbox: the same address, another first name, so another person.
    rows.append(_row(**fair, first="Vera", last=known.last_name, title="Assistant", email=known.email))
    # What a badge scanner also produces: a card with no usable identity, and an address with a typo.
    rows.append(_row(**fair, notes="Scanned a blank badge"))
    rows.append(_row(**fair, first="Lena", last="Vogt", title="CFO", email="lena.vogt@@mail"))
    return rows


def demo_import_run(actor: User, rng: random.Random) -> ImportJob:
    """Write the demo file and import it as `actor`, filling the leads it already has."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / FILE_NAME
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS.values())
            writer.writerows(_rows(rng))
        job = import_job_create(actor=actor, path=path, original_name=FILE_NAME)
    import_job_start(job=job, actor=actor, mapping=job.mapping, on_duplicate="fill", queue=False)
    import_job_run(job.pk)
    job.refresh_from_db()
    return job


def demo_duplicates_plant(actor: User) -> int:
    """Enter three people again the way a hurried rep would, then scan: returns the open pairs (the import's too)."""
    originals = list(
        Lead.objects.filter(import_job__isnull=True, company__isnull=False).select_related("company", "stage")
        .order_by("pk")[10:13]
    )  # fmt: skip
    same_email, same_profile, similar_name = originals
    new = same_email.stage.pipeline.stages.order_by("position").first()
    typed = {"actor": actor, "stage": new, "source": TYPED_AGAIN}
    lead_create(
        **typed, first_name=same_email.first_name, last_name=same_email.last_name, email=same_email.email.upper()
    )
    profile = same_profile.linkedin_url.replace("https://www.", "")
    lead_create(**typed, first_name=same_profile.first_name, last_name=same_profile.last_name, linkedin_url=profile)
    # A shortened first name at the same company: no shared key, only the name and company say it is one person.
    lead_create(
        **typed,
        first_name=similar_name.first_name[:-1] or similar_name.first_name,
        last_name=similar_name.last_name,
        company=similar_name.company,
        title=similar_name.title,
    )
    duplicates_scan()
    return DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN).count()
