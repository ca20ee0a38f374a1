"""Planning a batch while the one before it is still being written (PostgreSQL's import pipeline): the plan must
decide as if that batch had committed."""

import csv
from pathlib import Path

import pytest
from django.db import connection

from crm.importing import jobs
from crm.importing.drafting import draft_batches
from crm.importing.jobs import import_job_create, import_job_run, import_job_start
from crm.importing.writer import BatchResult, BatchWriter
from crm.models import Company, ImportJob, Lead
from crm.services.pipelines import pipeline_default
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


@pytest.mark.django_db
def test_the_next_batch_is_planned_as_if_the_batch_in_flight_had_committed(tmp_path, manager_mia):
    grace = _existing_grace()
    job = _job(tmp_path, manager_mia)
    first, second = (
        batch
        for batch, _ in draft_batches(
            Path(job.file.path), jobs._info(job), after_line=0, mapping=job.mapping, region="GB", size=3
        )
    )
    writer = BatchWriter(job, pipeline_default().stages.first())
    in_flight = writer.plan(first)
    # Planned before the first batch is written: the database knows nothing of it yet.
    plan = writer.plan(second, in_flight)

    assert plan.result == BatchResult(imported=1, updated=2)
    ada = next(lead for lead in in_flight.created if lead.first_name == "Ada")
    assert plan.companies == []  # Analytical Engines is the first batch's
    assert [lead.company_id for lead in plan.created] == [in_flight.companies[0]["pk"]]
    updated = {known.lead.pk: known.lead for known in plan.changed}
    assert set(updated) == {ada.pk, grace.pk}
    assert (updated[ada.pk].title, updated[ada.pk].email) == ("Countess", "ada@engines.example")
    assert (updated[grace.pk].title, updated[grace.pk].email) == ("Rear Admiral", "grace@navy.example")
    # The batch in flight is not changed under the connection writing it.
    assert not hasattr(ada, "title") and in_flight.changed[0].lead.title == ""


@pytest.mark.django_db(transaction=True)
def test_an_import_planned_ahead_writes_what_one_planned_batch_by_batch_writes(tmp_path, manager_mia, monkeypatch):
    # On PostgreSQL outside a transaction, each batch is planned on a second connection while the one before
    # is written; elsewhere one after another. The leads are the same.
    assert jobs._plans_ahead() == (connection.vendor == "postgresql")
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
    assert [line.summary for line in ada.activities.all()] == ["Updated from people.csv: job title: — → Countess"]
    assert grace.activities.filter(summary__startswith="Updated from").count() == 2
