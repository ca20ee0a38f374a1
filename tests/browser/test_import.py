"""Importing a CSV: upload, adjust the mapping with a live preview, watch the progress, download rejects, undo."""

import csv
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from crm.importing.jobs import import_job_create
from crm.models import ImportJob, Lead, Note

pytestmark = pytest.mark.browser

HEADERS = ["First Name", "Last Name", "Email", "Company", "Job Title", "Notes about them"]
ROWS = [
    ["Odalys", "Ferreira", "odalys@ferreira.test", "Ferreira Texteis", "Buyer", "Met at the Lisbon trade fair"],
    ["Kwame", "Mensah", "kwame@mensah.test", "Mensah Logistics", "CTO", "Wants a demo in May"],
    ["Sunniva", "Berg", "sunniva@berg.test", "Berg Marine", "Head of Sales", ""],
    ["", "", "", "", "Intern", "Nobody knows who this is"],  # line 5: no identity at all
    ["Ines", "Albuquerque", "ines at albuquerque", "Albuquerque Vinhos", "Owner", ""],  # line 6: kept by name+company
    ["Lars", "Holm", "lars.holm.test", "", "Analyst", ""],  # line 7: bad email and no company
]


def _write_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADERS, *ROWS])
    return path


def test_it_imports_a_csv_and_undoes_it(page: Page, log_in, manager_mia, tmp_path):
    upload = _write_csv(tmp_path / "fair-contacts.csv")
    log_in(manager_mia)

    page.get_by_role("link", name="Imports", exact=True).click()
    expect(page.get_by_role("heading", name="Imports", level=1)).to_be_visible()
    page.get_by_label("CSV or Excel file").set_input_files(upload)
    page.get_by_role("button", name="Upload and map columns").click()

    # The mapping page, with the suggestion already chosen per column.
    expect(page.get_by_role("heading", name="Map the columns of fair-contacts.csv", level=1)).to_be_visible()
    job = ImportJob.objects.get()
    expect(page).to_have_url(re.compile(rf"/imports/{job.pk}/mapping/$"))
    suggested = {
        "First Name": "First name",
        "Last Name": "Last name",
        "Email": "Email",
        "Company": "Company",
        "Job Title": "Job title",
        "Notes about them": "Keep as a custom field",
    }
    for header, label in suggested.items():
        expect(page.get_by_label(f"Field for {header}").locator("option:checked")).to_have_text(label)

    preview = page.locator("#preview")
    rows = preview.locator("tbody tr")
    expect(rows).to_have_count(5)  # the first five data rows
    odalys = rows.filter(has_text="Odalys")
    expect(odalys).to_contain_text("odalys@ferreira.test")
    expect(odalys).to_contain_text("Notes about them: Met at the Lisbon trade fair")
    expect(rows.filter(has_text="Intern")).to_contain_text("Rejected: No email, phone, LinkedIn URL")
    expect(rows.filter(has_text="Ines")).to_contain_text("Email: not a valid email address")

    # Adjusting one column re-renders the preview in place.
    page.evaluate("window.sameDocument = true")
    page.get_by_label("Field for Notes about them").select_option(label="Notes")
    expect(odalys).not_to_contain_text("Notes about them")
    expect(odalys).to_contain_text("odalys@ferreira.test")
    expect(page.get_by_label("Field for Notes about them").locator("option:checked")).to_have_text("Notes")
    assert page.evaluate("window.sameDocument") is True

    # Test settings run django-q in sync mode: the import runs inside the request that starts it.
    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_role("heading", name="Import: fair-contacts.csv", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/imports/{job.pk}/$"))
    progress = page.locator("#progress")
    expect(progress.locator(".percent")).to_have_text("100%")
    expect(progress.get_by_role("heading", level=2)).to_have_text("Done")
    expect(page.locator("#rows-read")).to_have_text("6")
    expect(page.locator("#rows-imported")).to_have_text("4")
    expect(page.locator("#rows-rejected")).to_have_text("2")

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.mapping[HEADERS.index("Notes about them")] == "notes"
    imported = Lead.objects.filter(import_job=job)
    assert sorted(imported.values_list("first_name", flat=True)) == ["Ines", "Kwame", "Odalys", "Sunniva"]
    odalys_lead = imported.get(first_name="Odalys")
    assert "Notes about them" not in odalys_lead.custom_fields
    assert list(Note.objects.filter(lead=odalys_lead).values_list("body", flat=True)) == [
        "Met at the Lisbon trade fair"
    ]

    with page.expect_download() as download_info:
        progress.get_by_role("link", name="Download rejected rows (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "fair-contacts-rejected.csv"
    with open(download.path(), newline="", encoding="utf-8") as handle:
        rejected = list(csv.reader(handle))
    assert rejected[0] == ["Line", "Reason", *HEADERS]
    assert [row[0] for row in rejected[1:]] == ["5", "7"]
    assert rejected[1][1] == "No email, phone, LinkedIn URL, or name with company"
    assert rejected[2][1].startswith("No email, phone, LinkedIn URL, or name with company (Email: not a valid")
    assert rejected[2][2:] == ROWS[5]

    page.once("dialog", lambda dialog: dialog.accept())
    progress.get_by_role("button", name="Undo import").click()
    expect(page.locator("#messages .message.success")).to_have_text(
        "Undone: 4 lead(s) removed, 0 restored to their previous values."
    )
    expect(progress.get_by_role("heading", level=2)).to_have_text("Undone")
    expect(progress.get_by_role("button", name="Undo import")).to_have_count(0)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.UNDONE
    assert not Lead.objects.filter(import_job=job).exists()
    assert not Lead.objects.filter(first_name__in=["Odalys", "Kwame", "Sunniva", "Ines"]).exists()
    assert not Note.objects.exists()


def test_the_progress_block_polls_until_the_job_is_done(page: Page, log_in, manager_mia, tmp_path):
    job = import_job_create(actor=manager_mia, path=_write_csv(tmp_path / "big.csv"), original_name="big.csv")
    # As if a worker were part-way through the file.
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING,
        started_at=timezone.now() - timedelta(seconds=10),
        progress_total=1000,
        progress_done=400,
        rows_read=2,
        rows_imported=2,
    )
    log_in(manager_mia)
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if "/progress/" in request.url else None)

    page.goto(f"/imports/{job.pk}/")
    progress = page.locator("#progress")
    expect(progress.get_by_role("heading", level=2)).to_have_text("Running")
    expect(progress.locator(".percent")).to_have_text("40%")
    expect(progress).to_contain_text(re.compile(r"about \d+ s left"))
    expect(page.locator("#rows-imported")).to_have_text("2")
    expect(progress.get_by_role("button", name="Undo import")).to_have_count(0)
    expect(page.locator("#problems")).to_contain_text("No problems so far")
    page.evaluate("window.sameDocument = true")

    # The worker finishes: the page shows it without a reload, and stops polling; the problems panel keeps up.
    job.rejections.create(line=5, reason="No email, phone, LinkedIn URL, or name with company", values=[])
    job.rejections.create(line=6, reason="No email, phone, LinkedIn URL, or name with company", values=[])
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        finished_at=timezone.now(),
        progress_done=1000,
        rows_read=6,
        rows_imported=4,
        rows_rejected=2,
    )
    expect(progress.locator(".percent")).to_have_text("100%", timeout=4_000)
    expect(progress).not_to_contain_text("s left")
    expect(progress.get_by_role("heading", level=2)).to_have_text("Done")
    expect(page.locator("#rows-imported")).to_have_text("4")
    expect(page.locator("#rows-rejected")).to_have_text("2")
    expect(progress.get_by_role("link", name="Download rejected rows (CSV)")).to_be_visible()
    expect(progress.get_by_role("button", name="Undo import")).to_be_visible()
    expect(page.locator("#progress[hx-get]")).to_have_count(0)
    expect(page.locator("#problems tbody tr")).to_have_count(2)
    expect(page.locator("#problems")).not_to_contain_text("No problems")
    assert page.evaluate("window.sameDocument") is True
    assert polls and all(url.endswith(f"/imports/{job.pk}/progress/") for url in polls)
