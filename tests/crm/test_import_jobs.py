"""The import pipeline end to end: rows to leads, problems, duplicates, resume after a crash, undo."""

import csv
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crm.importing import jobs
from crm.importing.jobs import import_job_create, import_job_run, import_job_start
from crm.importing.reading import FileRefused, csv_rows
from crm.importing.undo import import_job_undo
from crm.models import Company, ImportChange, ImportJob, Lead, LeadList
from crm.rescoring import leads_rescore
from crm.services.work import note_create
from tests.factories import CompanyFactory, LeadFactory

pytestmark = pytest.mark.django_db

HEADER = ["First Name", "Last Name", "Email", "Company", "Website", "Job Title", "Mobile Phone", "Favourite colour"]


def _csv(tmp_path: Path, rows: list[list[str]], header: list[str] = HEADER, name: str = "people.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _started(actor, path: Path, **options) -> ImportJob:
    """An import created and started, not yet run (nothing is queued: the tests run it as the cluster would)."""
    job = import_job_create(actor=actor, path=path, original_name=path.name)
    return import_job_start(
        job=job,
        actor=actor,
        mapping=options.pop("mapping", job.mapping),
        on_duplicate=options.pop("on_duplicate", "skip"),
        queue=False,
        **options,
    )


def _import(actor, path: Path, **options) -> ImportJob:
    """Create, start and run an import the way the cluster would (the queue itself is tested once below)."""
    job = _started(actor, path, **options)
    import_job_run(job.pk)
    job.refresh_from_db()
    return job


def test_starting_an_import_queues_it_on_the_cluster(tmp_path, manager_mia, django_capture_on_commit_callbacks):
    path = _csv(tmp_path, [ADA])
    job = import_job_create(actor=manager_mia, path=path, original_name=path.name)
    assert job.status == ImportJob.Status.MAPPING and job.mapping[2] == "email"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_job_start(job=job, actor=manager_mia, mapping=job.mapping, on_duplicate="skip")
    # The import's task, then the rescore of the leads it wrote (queued as the import, run at once, finished).
    assert [callback.__name__ for callback in callbacks] == ["<lambda>", "stale_task_queue"]
    assert Lead.objects.get().score is not None
    job.refresh_from_db()
    # The test cluster runs tasks synchronously, so the job has run by now.
    assert job.status == ImportJob.Status.DONE and job.rows_imported == 1


ADA = [
    "ada", "LOVELACE", "Ada.Lovelace@Engines.example", "Analytical Engines Ltd", "engines.example", "CTO",
    "+44 20 7946 0958", "green",
]  # fmt: skip
GRACE = ["Grace", "Hopper", "grace@cobol.example", "Cobol Works", "", "Rear Admiral", "", "blue"]


def test_it_imports_normalised_leads_with_companies_and_custom_fields(tmp_path, manager_mia, client):
    job = _import(manager_mia, _csv(tmp_path, [ADA, GRACE]))
    assert job.status == ImportJob.Status.DONE
    assert (job.rows_read, job.rows_imported, job.rows_rejected) == (2, 2, 0)
    ada = Lead.objects.get(last_name="Lovelace")
    assert (ada.first_name, ada.email, ada.phone) == ("Ada", "ada.lovelace@engines.example", "+442079460958")
    assert ada.company.name == "Analytical Engines Ltd" and ada.company.domain == "engines.example"
    assert ada.custom_fields == {"Favourite colour": "green"}
    assert ada.email_key == "ada.lovelace@engines.example" and ada.import_job == job
    # Its timeline begins with the import, read from the lead's import job: no row is written for it.
    assert not ada.activities.exists()
    client.force_login(manager_mia)
    timeline = client.get(reverse("crm:lead", args=[ada.pk])).context["page"].activities
    assert [(line.kind, line.summary, line.actor) for line in timeline] == [
        ("created", "Imported from people.csv", manager_mia)
    ]


def test_bad_rows_are_reported_with_line_and_reason_and_the_rest_imports(tmp_path, manager_mia):
    rows = [
        GRACE,
        ["", "", "", "", "", "Nobody", "", "red"],  # no identity at all
        ["Bad", "Email", "bad@@example", "", "", "", "", ""],  # its only identity is broken
        ["Alan", "Turing", "not-an-email", "Bletchley Park", "", "", "", ""],  # name + company carry it
    ]
    job = _import(manager_mia, _csv(tmp_path, rows))
    assert (job.rows_imported, job.rows_rejected) == (2, 2)
    rejected = {r.line: r for r in job.rejections.filter(kind="rejected")}
    assert set(rejected) == {3, 4}
    assert rejected[3].reason.startswith("No email, phone, LinkedIn URL, or name with company")
    assert "Email" in rejected[4].reason
    warning = job.rejections.get(kind="warning")
    assert (warning.line, warning.column) == (5, "Email")
    alan = Lead.objects.get(last_name="Turing")
    assert alan.email == "" and alan.custom_fields["Email (invalid)"] == "not-an-email"


def test_duplicates_in_the_file_become_one_lead_even_across_batches(tmp_path, manager_mia, monkeypatch):
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    again = ["Ada", "Lovelace", "ada.lovelace+crm@engines.example", "", "", "", "", ""]
    job = _import(manager_mia, _csv(tmp_path, [ADA, GRACE, again, [*GRACE[:7], "teal"]]))
    assert Lead.objects.count() == 2
    assert (job.rows_imported, job.rows_skipped) == (2, 2)


@pytest.mark.parametrize(
    ("choice", "title", "colour", "updated", "skipped"),
    [("skip", "", "orange", 0, 1), ("fill", "CTO", "orange", 1, 0), ("overwrite", "CTO", "green", 1, 0)],
)
def test_a_row_matching_an_existing_lead_is_skipped_filled_or_overwritten(
    tmp_path, manager_mia, choice, title, colour, updated, skipped
):
    existing = LeadFactory(
        first_name="Ada", last_name="Lovelace", email="ada.lovelace@engines.example", title="",
        phone="", custom_fields={"Favourite colour": "orange"}, company=None,
    )  # fmt: skip
    job = _import(manager_mia, _csv(tmp_path, [ADA]), on_duplicate=choice)
    existing.refresh_from_db()
    assert (job.rows_imported, job.rows_updated, job.rows_skipped) == (0, updated, skipped)
    assert existing.title == title
    assert existing.custom_fields["Favourite colour"] == colour
    assert Lead.objects.count() == 1
    if updated:
        change = ImportChange.objects.get(job=job, lead=existing)
        assert change.before["title"] == "" and change.after["title"] == "CTO"


def test_a_company_without_a_domain_is_found_by_its_name_only(tmp_path, manager_mia):
    # Found in the same batch's lookup, Acme (no domain) once became the company of every row without one.
    CompanyFactory(name="Acme", domain="")
    rows = [
        ["Zed", "Zimmer", "", "ACME", "", "", "+44 20 7946 0958", ""],
        ["Bob", "Brown", "", "Other Co", "", "", "+44 20 7946 0959", ""],
    ]
    _import(manager_mia, _csv(tmp_path, rows))
    assert Lead.objects.get(first_name="Zed").company.name == "Acme"
    assert Lead.objects.get(first_name="Bob").company.name == "Other Co"
    assert Company.objects.count() == 2


def test_matching_uses_linkedin_phone_and_similar_names_at_the_same_company(tmp_path, manager_mia):
    acme = CompanyFactory(name="Acme Inc", domain="acme.example")
    by_linkedin = LeadFactory(
        first_name="Jane", last_name="Roe", email="", linkedin_url="https://www.linkedin.com/in/jane-roe", company=None
    )
    by_name = LeadFactory(first_name="John", last_name="Smith", email="", company=acme)
    header = ["Name", "Email", "Company", "Website", "LinkedIn", "Phone"]
    rows = [
        ["Jane Roe", "", "", "", "linkedin.com/in/Jane-Roe/?trk=x", ""],
        ["Jon Smith", "", "Acme", "https://acme.example", "", ""],
        ["Jane Smith", "", "Acme", "https://acme.example", "", ""],  # a colleague, not John
        ["Someone Else", "info@acme.example", "Acme", "", "", ""],
        ["Another Person", "info@acme.example", "Acme", "", "", ""],  # a shared mailbox is not an identity
    ]
    job = _import(manager_mia, _csv(tmp_path, rows, header=header), on_duplicate="fill")
    assert job.rows_imported == 3
    assert Lead.objects.filter(pk__in=[by_linkedin.pk, by_name.pk]).count() == 2
    assert Lead.objects.filter(last_name="Smith").count() == 2
    assert Lead.objects.filter(email="info@acme.example").count() == 2


def test_an_overwritten_email_or_phone_is_no_longer_verified_and_undo_gives_it_back(tmp_path, manager_mia):
    lead = LeadFactory(
        first_name="Jane", last_name="Roe", email="jane@old.example", phone="+442079460958", company=None,
        linkedin_url="https://www.linkedin.com/in/jane-roe", email_verified=True, phone_verified=True,
    )  # fmt: skip
    header = ["Name", "Email", "LinkedIn", "Phone"]
    rows = [["Jane Roe", "jane@new.example", "linkedin.com/in/jane-roe", "+44 20 7946 0959"]]
    job = _import(manager_mia, _csv(tmp_path, rows, header=header), on_duplicate="overwrite")
    lead.refresh_from_db()
    assert (lead.email, lead.email_verified) == ("jane@new.example", False)
    assert (lead.phone, lead.phone_verified) == ("+442079460959", False)
    leads_rescore([lead.pk])
    import_job_undo(job=job, actor=manager_mia)
    lead.refresh_from_db()
    assert (lead.email, lead.email_verified, lead.phone_verified) == ("jane@old.example", True, True)
    assert lead.score_stale  # what the score read changed back: rescored by the queued task


def _worker_dies(monkeypatch, *, saving_batch: int, after_writing: bool) -> None:
    """The worker dies once, while saving the nth batch of the run, before or after writing it (never after its
    commit); later batches save as usual."""
    real_save = jobs.BatchWriter.save
    calls = {"n": 0}

    def save(self, plan):
        calls["n"] += 1
        if calls["n"] != saving_batch:
            return real_save(self, plan)
        if after_writing:
            real_save(self, plan)
        raise SystemExit("worker killed")

    monkeypatch.setattr(jobs.BatchWriter, "save", save)


def test_a_crash_mid_job_resumes_without_duplicating_rows(tmp_path, manager_mia, monkeypatch):
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    rows = [[f"Person{n}", "Test", f"p{n}@crash.example", "", "", "", "", ""] for n in range(7)]
    path = _csv(tmp_path, rows)
    job = _started(manager_mia, path)
    _worker_dies(monkeypatch, saving_batch=3, after_writing=True)  # written, then dead before it commits
    with pytest.raises(SystemExit):
        import_job_run(job.pk)
    job.refresh_from_db()
    assert job.last_line == 5 and Lead.objects.count() == 4  # the third batch rolled back
    # The broker redelivers the task to another worker: while the dead worker's lease holds, it is left alone.
    assert import_job_run(job.pk) == "nothing to do"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and Lead.objects.count() == 4
    # Once the lease has run out with no sign of life, the next task resumes after the bookmark.
    ImportJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert import_job_run(job.pk) == "done"
    job.refresh_from_db()
    assert Lead.objects.count() == 7 and job.rows_imported == 7 and job.rows_read == 7


def test_an_import_whose_task_was_lost_is_queued_again_and_finishes(tmp_path, manager_mia, monkeypatch, settings):
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    rows = [[f"Person{n}", "Test", f"p{n}@lost.example", "", "", "", "", ""] for n in range(5)]
    path = _csv(tmp_path, rows)
    job = _started(manager_mia, path)
    _worker_dies(monkeypatch, saving_batch=2, after_writing=False)
    with pytest.raises(SystemExit):
        import_job_run(job.pk)
    # A Redis broker forgets the dead worker's task: nothing runs the job, which stays "running".
    settings.IMPORT_STALL_SECONDS = 600
    assert jobs.imports_requeue_stalled() == 0  # it showed a sign of life moments ago
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and Lead.objects.count() == 2
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=job.heartbeat_at - timedelta(seconds=601))
    assert jobs.imports_requeue_stalled() == 1  # queued again (run at once by the synchronous test cluster)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.rows_imported == 5 and Lead.objects.count() == 5
    assert jobs.imports_requeue_stalled() == 0


def test_damage_found_part_way_fails_the_import_with_its_message_and_keeps_the_batches_before(
    tmp_path, manager_mia, monkeypatch
):
    # Found by the process that reads and normalises rows, and reported by the one that writes them.
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    rows = [[f"Person{n}", "Test", f"p{n}@damaged.example", "", "", "", "", ""] for n in range(4)]
    path = _csv(tmp_path, [*rows, ["x" * 2_000, "", "", "", "", "", "", ""]])
    job = _started(manager_mia, path)
    # Past what the first look at the file read (its first 256 KB in life; here, its first rows).
    monkeypatch.setattr(csv_rows, "MAX_LINE_CHARS", 1_000)
    with pytest.raises(FileRefused):
        import_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error == "FileRefused: Line 6 is over 1,000 characters long; this is not a table."
    assert job.rows_imported == 4 and Lead.objects.count() == 4 and job.last_line == 5


def test_a_long_import_hands_over_to_a_new_task(tmp_path, manager_mia, monkeypatch):
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    rows = [[f"Person{n}", "Test", f"p{n}@slices.example", "", "", "", "", ""] for n in range(5)]
    path = _csv(tmp_path, rows)
    job = _started(manager_mia, path)
    # With no time left after each batch, every batch runs in its own task (synchronous in tests).
    assert import_job_run(job.pk, seconds=0) == "continues in a new task"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and Lead.objects.count() == 5


def test_a_second_worker_on_the_same_job_writes_nothing(tmp_path, manager_mia):
    path = _csv(tmp_path, [ADA])
    job = _started(manager_mia, path)
    import_job_run(job.pk)
    assert import_job_run(job.pk) == "nothing to do"
    assert Lead.objects.count() == 1


def test_undo_removes_a_lead_a_later_row_of_the_same_file_updated(tmp_path, manager_mia, monkeypatch):
    # The second batch fills the title of the lead the first created: the import's own work, not someone's.
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    ada_untitled, ada_again = [*ADA[:5], "", *ADA[6:]], [*ADA[:5], "Countess", "", ""]
    job = _import(manager_mia, _csv(tmp_path, [ada_untitled, GRACE, ada_again]), on_duplicate="fill")
    assert job.rows_updated == 1 and Lead.objects.get(last_name="Lovelace").title == "Countess"
    report = import_job_undo(job=job, actor=manager_mia)
    assert (report["removed"], report["kept"]) == (2, 0) and not Lead.objects.exists()


def test_undo_removes_created_leads_keeps_worked_ones_and_restores_fields(tmp_path, manager_mia):
    existing = LeadFactory(first_name="Grace", email="grace@cobol.example", title="Commodore", company=None)
    alan_row = ["Alan", "Turing", "alan@bletchley.example", "", "", "", "", ""]
    job = _import(manager_mia, _csv(tmp_path, [ADA, GRACE, alan_row]), on_duplicate="overwrite")
    existing.refresh_from_db()
    assert existing.title == "Rear Admiral"
    alan = Lead.objects.get(last_name="Turing")
    note_create(lead=alan, actor=manager_mia, body="Called him")
    report = import_job_undo(job=job, actor=manager_mia)
    assert report["removed"] == 1 and report["kept"] == 1 and report["restored"] == 1
    assert report["kept_leads"][0]["pk"] == alan.pk
    assert not Lead.objects.filter(last_name="Lovelace").exists()
    assert Lead.objects.filter(pk=alan.pk).exists()
    existing.refresh_from_db()
    assert existing.title == "Commodore"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UNDONE
    with pytest.raises(ValidationError, match="Only a finished import can be undone"):
        import_job_undo(job=job, actor=manager_mia)


def test_undo_leaves_fields_edited_since(tmp_path, manager_mia):
    existing = LeadFactory(first_name="Grace", email="grace@cobol.example", title="Commodore", company=None)
    job = _import(manager_mia, _csv(tmp_path, [GRACE]), on_duplicate="overwrite")
    Lead.objects.filter(pk=existing.pk).update(title="Admiral")
    report = import_job_undo(job=job, actor=manager_mia)
    existing.refresh_from_db()
    assert existing.title == "Admiral" and report["changed_since"] >= 1


def test_leads_go_into_the_chosen_list_with_the_chosen_owner(tmp_path, manager_mia, rep_bob):
    lead_list = LeadList.objects.create(name="Trade fair")
    _import(manager_mia, _csv(tmp_path, [ADA, GRACE]), lead_list=lead_list, owner=rep_bob)
    assert set(lead_list.members.values_list("owner", flat=True)) == {rep_bob.pk}
    assert lead_list.members.count() == 2


def test_a_rep_imports_leads_as_their_own(tmp_path, rep_alice):
    job = _import(rep_alice, _csv(tmp_path, [ADA]))
    assert job.owner == rep_alice and Lead.objects.get().owner == rep_alice


def test_deal_values_and_companies_are_reused(tmp_path, manager_mia):
    Company.objects.create(name="Analytical Engines", domain="engines.example")
    header = ["Name", "Email", "Company", "Amount"]
    rows = [["Ada Lovelace", "ada@engines.example", "Analytical Engines Limited", "$12,500.50"]]
    _import(manager_mia, _csv(tmp_path, rows, header=header))
    lead = Lead.objects.get()
    assert lead.deal_value == Decimal("12500.50")
    assert Company.objects.count() == 1 and lead.company.domain == "engines.example"


def test_a_saved_mapping_wins_over_the_suggestion_by_header_name():
    headers = ["Email", "Work Email", "Company"]
    suggestion = ["email", "", "company"]
    saved = {"Work Email": "email", "Unknown column": "title"}
    assert jobs.mapping_from_saved(headers, saved, suggestion) == ["", "email", "company"]


def test_a_mapping_must_use_each_field_once():
    with pytest.raises(ValidationError, match="both map to"):
        jobs.mapping_clean(["A", "B"], ["email", "email"])
    with pytest.raises(ValidationError, match="Unknown field"):
        jobs.mapping_clean(["A"], ["shoe_size"])


def test_a_line_in_another_encoding_imports_with_its_accents_and_a_warning(tmp_path, manager_mia):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "Name,Email,Company\nZoë Faure,zoe@acme.example,Acme\n".encode() + b"Ren\xe9 Roux,rene@acme.example,Acme\n"
    )
    job = _import(manager_mia, path)
    assert Lead.objects.get(email="rene@acme.example").first_name == "René"
    warning = job.rejections.get()
    assert (warning.line, warning.kind) == (3, "warning")
    assert "read as Windows-1252" in warning.reason
