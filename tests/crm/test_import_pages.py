"""The import pages: upload, mapping with preview, progress, rejected rows, undo, and who may do what."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from crm.models import ImportJob, Lead, SavedMapping

pytestmark = pytest.mark.django_db

CSV_TEXT = (
    "First Name,Last Name,E-mail Address,Organization,Notes about them\r\n"
    "Ada,Lovelace,ada@engines.example,Analytical Engines,likes maths\r\n"
    ",,,,orphan row\r\n"
    '=HYPERLINK("http://evil.example"),Formula,,,\r\n'
    "Grace,Hopper,grace@cobol.example,Cobol Works,\r\n"
)


def _upload(client, text: str = CSV_TEXT, name: str = "people.csv"):
    return client.post(reverse("crm:imports"), {"file": SimpleUploadedFile(name, text.encode(), "text/csv")})


def _start(client, job: ImportJob, mapping: list[str], **extra):
    data = {f"col_{index}": target for index, target in enumerate(mapping)}
    data.update({"on_duplicate": "skip", "start": "1", **extra})
    return client.post(reverse("crm:import_mapping", args=[job.pk]), data)


def test_upload_suggests_a_mapping_and_previews_rows(client, manager_mia):
    client.force_login(manager_mia)
    response = _upload(client)
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("crm:import_mapping", args=[job.pk])
    assert job.mapping == ["first_name", "last_name", "email", "company", ""]
    page = client.get(response["Location"]).content.decode()
    assert "ada@engines.example" in page and "Analytical Engines" in page
    assert "Rejected: No email, phone, LinkedIn URL, or name with company" in page


def test_changing_one_column_updates_the_preview_in_place(client, manager_mia):
    client.force_login(manager_mia)
    _upload(client)
    job = ImportJob.objects.get()
    data = {f"col_{i}": target for i, target in enumerate(job.mapping)} | {"col_4": "notes", "on_duplicate": "skip"}
    response = client.post(reverse("crm:import_mapping", args=[job.pk]), data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="preview"' in html and "<html" not in html
    assert "Notes about them:" not in html  # now a note, no longer a custom field
    data["col_3"] = "email"  # two columns on one field: no preview, a hint instead
    response = client.post(reverse("crm:import_mapping", args=[job.pk]), data, HTTP_HX_REQUEST="true")
    assert "Each lead field can be chosen once" in response.content.decode()


def test_start_runs_the_import_and_the_page_shows_counts(client, manager_mia, django_capture_on_commit_callbacks):
    client.force_login(manager_mia)
    _upload(client)
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = _start(client, job, job.mapping, save_as="Apollo people")
    assert response["Location"] == reverse("crm:import", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.rows_imported, job.rows_rejected) == ("done", 2, 2)
    assert SavedMapping.objects.get(name="Apollo people").columns["E-mail Address"] == "email"
    progress = client.get(reverse("crm:import_progress", args=[job.pk])).content.decode()
    assert "100%" in progress and 'hx-trigger="every 1s"' not in progress
    detail = client.get(reverse("crm:import", args=[job.pk])).content.decode()
    assert "Download rejected rows" in detail and "No email, phone" in detail


def test_a_running_import_keeps_polling(client, manager_mia):
    client.force_login(manager_mia)
    _upload(client)
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status="running", progress_total=1000, progress_done=250, rows_read=50)
    html = client.get(reverse("crm:import_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and "25%" in html


def test_the_problems_panel_keeps_up_with_the_counts_while_the_import_runs(client, manager_mia):
    # The page opened before any row was rejected; each poll swaps the problems panel in beside the counts.
    client.force_login(manager_mia)
    _upload(client)
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status="running", progress_total=1000, progress_done=250)
    assert "No problems so far" in client.get(reverse("crm:import", args=[job.pk])).content.decode()
    job.rejections.create(line=7, reason="No email, phone, LinkedIn URL, or name with company", values=[])
    ImportJob.objects.filter(pk=job.pk).update(rows_rejected=1)
    html = client.get(reverse("crm:import_progress", args=[job.pk])).content.decode()
    assert 'id="problems" hx-swap-oob="true"' in html and "No email, phone" in html and "No problems" not in html


def test_rejected_rows_download_as_a_safe_csv(client, manager_mia, django_capture_on_commit_callbacks):
    client.force_login(manager_mia)
    _upload(client)
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        _start(client, job, job.mapping)
    response = client.get(reverse("crm:import_rejected", args=[job.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "Line",
        "Reason",
        "First Name",
        "Last Name",
        "E-mail Address",
        "Organization",
        "Notes about them",
    ]
    assert [row[0] for row in rows[1:]] == ["3", "4"]
    assert rows[2][2] == '\'=HYPERLINK("http://evil.example")'


def test_the_rejected_rows_download_neutralises_the_files_column_names_too(
    client, manager_mia, django_capture_on_commit_callbacks
):
    client.force_login(manager_mia)
    _upload(client, '=HYPERLINK("http://evil.example"),@SUM(A1),Email\r\nAda,x,not-an-email\r\n')
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        _start(client, job, ["", "", "email"])

    response = client.get(reverse("crm:import_rejected", args=[job.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert rows[0] == ["Line", "Reason", '\'=HYPERLINK("http://evil.example")', "'@SUM(A1)", "Email"]
    assert rows[1][0] == "2" and rows[1][2:] == ["Ada", "x", "not-an-email"]


# The country of phone numbers written without +code


def test_the_mapping_page_offers_every_phone_region_by_name(client, manager_mia, settings):
    settings.PHONE_DEFAULT_REGION = "GB"
    client.force_login(manager_mia)
    _upload(client)
    job = ImportJob.objects.get()

    page = client.get(reverse("crm:import_mapping", args=[job.pk])).content.decode()

    assert "Country of phone numbers without +code" in page
    assert '<option value="" selected>From each row&#x27;s country, else United Kingdom (GB)</option>' in page
    # English names, "*aa" references in phonenumbers' locale table followed to the name they point at.
    for code, name in [("US", "United States"), ("DE", "Germany"), ("CA", "Canada"), ("XK", "Kosovo")]:
        assert f'<option value="{code}">{name} ({code})</option>' in page
    assert "*aa" not in page


def test_the_chosen_phone_region_is_stored_and_used(client, manager_mia, django_capture_on_commit_callbacks):
    client.force_login(manager_mia)
    _upload(client, "Name,Company,Phone\r\nAda Lovelace,Engines,020 7946 0018\r\n")
    job = ImportJob.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = _start(client, job, ["full_name", "company", "phone"], region="GB")

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.region, job.status) == ("GB", "done")
    assert Lead.objects.get().phone == "+442079460018"
    assert "phones without +code read as GB" in client.get(reverse("crm:import", args=[job.pk])).content.decode()


def test_choosing_a_phone_region_updates_the_preview(client, manager_mia):
    client.force_login(manager_mia)
    _upload(client, "Name,Company,Phone\r\nAda Lovelace,Engines,020 7946 0018\r\n")
    job = ImportJob.objects.get()
    data = {"col_0": "full_name", "col_1": "company", "col_2": "phone", "on_duplicate": "skip"}

    before = client.post(reverse("crm:import_mapping", args=[job.pk]), data, HTTP_HX_REQUEST="true")
    after = client.post(reverse("crm:import_mapping", args=[job.pk]), {**data, "region": "GB"}, HTTP_HX_REQUEST="true")

    assert "+442079460018" not in before.content.decode()
    assert "+442079460018" in after.content.decode() and "<html" not in after.content.decode()
    job.refresh_from_db()
    assert job.region == ""  # only Start stores it


def test_an_unknown_phone_region_is_refused_on_the_page(client, manager_mia):
    client.force_login(manager_mia)
    _upload(client)
    job = ImportJob.objects.get()

    response = _start(client, job, job.mapping, region="ZZ")

    assert response.status_code == 200
    assert "Select a valid choice. ZZ is not one of the available choices." in response.content.decode()
    job.refresh_from_db()
    assert (job.status, job.region) == ("mapping", "")


def test_the_command_takes_the_phone_region(admin_ada, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("Name,Company,Phone\nAda Lovelace,Engines,020 7946 0018\n")

    call_command("import_leads", str(path), "--region", "gb", stdout=io.StringIO())

    job = ImportJob.objects.get()
    assert (job.region, job.status) == ("GB", "done")
    assert Lead.objects.get().phone == "+442079460018"


def test_the_command_refuses_an_unknown_phone_region_before_reading_the_file(admin_ada, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("Name,Company,Phone\nAda Lovelace,Engines,020 7946 0018\n")

    with pytest.raises(CommandError, match=r"^Unknown phone region 'ZZ'; use a two-letter country code such as GB\.$"):
        call_command("import_leads", str(path), "--region", "zz", stdout=io.StringIO())
    assert not ImportJob.objects.exists()


def test_undo_from_the_page(client, manager_mia, django_capture_on_commit_callbacks):
    client.force_login(manager_mia)
    _upload(client)
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        _start(client, job, job.mapping)
    response = client.post(reverse("crm:import_undo", args=[job.pk]), follow=True)
    assert "Undone: 2 lead(s) removed" in response.content.decode()
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "This file is empty."),
        (bytes(range(256)) * 40, "junk.csv", "not a table"),
    ],
)
def test_unusable_files_are_refused_before_anything_is_written(client, manager_mia, content, name, message):
    client.force_login(manager_mia)
    response = client.post(reverse("crm:imports"), {"file": SimpleUploadedFile(name, content, "text/csv")})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused(client, manager_mia, settings):
    settings.IMPORT_MAX_BYTES = 100
    client.force_login(manager_mia)
    response = _upload(client)
    assert "the limit is" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_viewers_cannot_import_and_reps_see_only_their_own(client, viewer_vic, rep_alice, rep_bob):
    client.force_login(viewer_vic)
    assert _upload(client).status_code == 403
    client.force_login(rep_bob)
    _upload(client)
    bobs = ImportJob.objects.get()
    client.force_login(rep_alice)
    assert client.get(reverse("crm:import", args=[bobs.pk])).status_code == 404
    assert client.get(reverse("crm:import_mapping", args=[bobs.pk])).status_code == 404
    assert bobs.original_name not in client.get(reverse("crm:imports")).content.decode()
