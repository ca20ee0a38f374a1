"""Files that must not tie up the server or end in an error page: too many columns, too-long lines, stray bytes."""

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import ImportJob, ImportRejection, Lead

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent


def _upload(client, content: bytes, name: str = "people.csv"):
    return client.post(reverse("crm:imports"), {"file": SimpleUploadedFile(name, content, "text/csv")})


def _wide_file(columns: int) -> bytes:
    headers = ["First Name", "Email", *(f"Detail {n}" for n in range(3, columns + 1))]
    row = ["Ada", "ada@engines.example", *(f"d{n}" for n in range(3, columns + 1))]
    return f"{','.join(headers)}\n{','.join(row)}\n".encode()


def _settings_for(**environ: str) -> dict[str, int]:
    """IMPORT_MAX_COLUMNS and DATA_UPLOAD_MAX_NUMBER_FIELDS as leadflow/settings.py works them out from an
    environment (read in a fresh process: settings are read once, at start-up)."""
    code = (
        "from django.conf import settings\nprint(settings.IMPORT_MAX_COLUMNS, settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)\n"
    )
    env = {**os.environ, **environ, "DJANGO_SETTINGS_MODULE": "leadflow.settings_test"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=True
    )
    columns, fields = done.stdout.split()
    return {"IMPORT_MAX_COLUMNS": int(columns), "DATA_UPLOAD_MAX_NUMBER_FIELDS": int(fields)}


# Columns


def test_a_file_over_the_column_limit_is_refused_at_upload(client, manager_mia, settings):
    assert settings.IMPORT_MAX_COLUMNS == 500  # the default
    client.force_login(manager_mia)

    response = _upload(client, _wide_file(501))

    assert response.status_code == 200
    assert "This file has 501 columns; the limit is 500." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_50000_repeated_column_names_are_refused_at_once(client, manager_mia):
    # 200 KB of "Email,Email,…": naming the copies "Email (2)"… used to take three minutes before any limit.
    client.force_login(manager_mia)

    response = _upload(client, b"Email," * 49_999 + b"Email\n" + b"a@b.example,\n")

    assert "This file has 50,000 columns; the limit is 500." in response.content.decode()


def test_the_form_field_limit_follows_the_column_limit():
    assert _settings_for(IMPORT_MAX_COLUMNS="2000")["DATA_UPLOAD_MAX_NUMBER_FIELDS"] >= 2000 + 10
    # Never below Django's default, which other forms (the admin's bulk actions) count on.
    assert _settings_for(IMPORT_MAX_COLUMNS="50")["DATA_UPLOAD_MAX_NUMBER_FIELDS"] == 1000


def test_a_file_at_a_column_limit_over_1000_can_be_started(client, manager_mia, settings):
    # The mapping form posts a select per column: past DATA_UPLOAD_MAX_NUMBER_FIELDS, Django answers a bare 400.
    for name, value in _settings_for(IMPORT_MAX_COLUMNS="1200").items():
        setattr(settings, name, value)
    client.force_login(manager_mia)
    _upload(client, _wide_file(1200))
    job = ImportJob.objects.get()
    assert len(job.headers) == 1200

    data = {f"col_{index}": target for index, target in enumerate(job.mapping)}
    data.update({"on_duplicate": "skip", "lead_list": "", "owner": "", "region": "", "save_as": "", "start": "1"})
    response = client.post(reverse("crm:import_mapping", args=[job.pk]), data)

    assert response.status_code == 302 and response["Location"] == reverse("crm:import", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    assert job.mapping[:2] == ["first_name", "email"]


# Long lines


def test_a_line_over_4_mib_in_the_first_rows_is_refused_at_upload(client, manager_mia):
    client.force_login(manager_mia)
    content = b"Name,Email,Notes\nAda,ada@engines.example,short\nBob,bob@acme.example," + b"x" * (5 * 2**20) + b"\n"

    response = _upload(client, content)

    assert response.status_code == 200
    assert "Line 3 is over 4,194,304 characters long; this is not a table." in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    "header",
    [
        b"Name,Email," + b"N" * 140_000,
        b",".join(f"Field {n:04d} ".encode() + b"x" * 59 for n in range(2000)),
    ],
    ids=["one cell over the limit", "2000 names"],
)
def test_a_header_row_over_the_csv_field_limit_is_refused_at_upload(client, manager_mia, settings, header):
    settings.IMPORT_MAX_COLUMNS = 5000  # the length is what's refused, not the count
    client.force_login(manager_mia)

    response = _upload(client, header + b"\nAda,ada@engines.example,x\n")

    assert response.status_code == 200
    assert "The header row is over 131,072 characters long" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_cell_over_the_csv_field_limit_in_the_first_rows_does_not_stop_the_upload(client, manager_mia):
    client.force_login(manager_mia)
    content = b"Name,Email,Notes\nAda,ada@engines.example," + b"n" * 140_000 + b"\nBob,bob@acme.example,hi\n"

    response = _upload(client, content)

    job = ImportJob.objects.get()
    assert response["Location"] == reverse("crm:import_mapping", args=[job.pk])


# Stray bytes


def test_a_file_with_a_few_rows_of_stray_bytes_imports_its_rows_and_reports_those_lines(
    client, manager_mia, django_capture_on_commit_callbacks
):
    rows = [f"Person{n},Example,p{n}@acme.example".encode() for n in range(40)]
    rows[5] = b"Nul\x00\x00ly,Example,nully@acme.example"
    rows[20] = b"Bell\x07,Example\x1b,bell@acme.example"
    content = b"First Name,Last Name,Email\n" + b"\n".join(rows) + b"\n"
    client.force_login(manager_mia)

    response = _upload(client, content)
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("crm:import_mapping", args=[job.pk])
    with django_capture_on_commit_callbacks(execute=True):
        data = {f"col_{index}": target for index, target in enumerate(job.mapping)}
        client.post(reverse("crm:import_mapping", args=[job.pk]), {**data, "on_duplicate": "skip", "start": "1"})

    job.refresh_from_db()
    assert (job.status, job.rows_imported, job.rows_rejected) == ("done", 40, 0)
    assert Lead.objects.get(email="nully@acme.example").first_name == "Nully"
    assert Lead.objects.get(email="bell@acme.example").last_name == "Example"
    problems = job.rejections.order_by("line")
    assert [(p.line, p.reason, p.kind) for p in problems] == [
        (7, "held control characters (removed)", ImportRejection.Kind.WARNING),
        (22, "held control characters (removed)", ImportRejection.Kind.WARNING),
    ]
    page = client.get(reverse("crm:import", args=[job.pk])).content.decode()
    assert "held control characters (removed)" in page


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 40, "This file is not a table (it looks like binary data)."),
        (random.Random(8).randbytes(32 * 1024), "This file is not a table (it looks like binary data)."),
        (b"PK\x05\x06" + b"\x00" * 18, "This file is a zip archive, not an XLSX spreadsheet."),
    ],
    ids=["every byte", "random bytes", "empty zip"],
)
def test_binary_files_are_still_refused_at_upload(client, manager_mia, content, message):
    client.force_login(manager_mia)

    response = _upload(client, content)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()
