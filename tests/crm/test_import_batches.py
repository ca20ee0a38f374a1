"""Batches of one import, each planned and written in its own transaction: each decides knowing what the batches
before it wrote."""

import csv
from pathlib import Path

import pytest

from crm.importing import jobs
from crm.importing.jobs import import_job_create, import_job_run, import_job_start
from crm.models import Company, ImportJob, Lead
from tests.factories import LeadFactory

HEADER = ["First Name", "Last Name", "Email", "Company", "Website", "Job Title", "LinkedIn"]
ROWS = [
    # The first batch: a new lead at a new company, an existing lead given an email, another new lead.
    ["Ada", "Lovelace", "ada@engines.example", "Analytical Engines", "engines.example", "", ""],
    ["Grace", "Hopper", "grace@navy.example", "", "", "", "linkedin.com/in/grace-hopper"],
    ["Alan", "Turing", "alan@bletchley.example", "", "", "", ""],
    # The second: the lead the first creates, the existing lead by the email the first gives her, and a
    # colleague of Ada's at the company the first creates.
    ["Ada", "Lovelace", "ada@engines.example", "", "", "Countess", ""],
    ["Grace", "Hopper", "grace@navy.example", "", "", "Rear Admiral", ""],
    ["Charles", "Babbage", "charles@engines.example", "Analytical Engines", "engines.example", "", ""],
]


def _job(tmp_path: Path, actor) -> ImportJob:
    path = tmp_path / "people.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *ROWS])
    job = import_job_create(actor=actor, path=path, original_name=path.name)
    return import_job_start(job=job, actor=actor, mapping=job.mapping, on_duplicate="fill", queue=False)


def _existing_grace() -> Lead:
    return LeadFactory(
        first_name="Grace", last_name="Hopper", email="", title="", phone="", company=None,
        linkedin_url="https://www.linkedin.com/in/grace-hopper",
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_each_batch_finds_what_the_batches_before_it_committed(tmp_path, manager_mia, monkeypatch):
    # With real transactions, each batch committed on its own: a later batch matches the leads and the company an
    # earlier one created, and the lead an earlier one gave an email.
    monkeypatch.setattr(jobs, "BATCH_SIZE", 3)
    grace = _existing_grace()
    job = _job(tmp_path, manager_mia)
    assert import_job_run(job.pk) == "done"
    job.refresh_from_db()
    assert (job.rows_imported, job.rows_updated, job.rows_skipped) == (3, 3, 0)
    assert Lead.objects.count() == 4 and Company.objects.count() == 1
    ada, charles = Lead.objects.get(first_name="Ada"), Lead.objects.get(first_name="Charles")
    assert ada.title == "Countess" and ada.company == charles.company
    grace.refresh_from_db()
    assert (grace.email, grace.title) == ("grace@navy.example", "Rear Admiral")
    assert [line.summary for line in ada.activities.all()] == ["Updated from people.csv: title"]
    assert grace.activities.filter(summary__startswith="Updated from").count() == 2
