"""The demo's import: a trade-fair file in Apollo's shape, run through the real import pipeline, so the
import history shows a finished job with filled duplicates and rejected rows to download."""

from __future__ import annotations

import csv
import random
import tempfile
from pathlib import Path

from crm import demo_data as demo
from crm.importing.jobs import import_job_create, import_job_run, import_job_start
from crm.models import ImportJob, Lead, User

FILE_NAME = "trade-fair-cologne-apollo.csv"
# Apollo's column names, and the short names this module fills them by.
COLUMNS = {
    "first": "First Name",
    "last": "Last Name",
    "title": "Title",
    "company": "Company",
    "email": "Email",
    "phone": "Mobile Phone",
    "website": "Website",
    "City": "City",
    "Country": "Country",
    "Lists": "Lists",
    "notes": "Booth notes",
}
NEW_PEOPLE = 24
KNOWN_PEOPLE = 6


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
                website=f"www.{domain}",
            )
        )
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
