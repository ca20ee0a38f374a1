"""An erasure takes the person's rows out of the stored import files: a CSV is rewritten in its own encoding and
delimiter with the other rows kept; a file that cannot be rewritten (XLSX) is deleted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crm.importing.reading.csv_rows import csv_records
from crm.models import ImportJob, Lead
from crm.privacy.erase import person_erase
from tests.crm.privacy.conftest import import_run

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parents[2] / "data"


def _imported(actor, tmp_path: Path, name: str) -> ImportJob:
    shutil.copy(DATA / name, tmp_path / name)
    job = import_run(actor, tmp_path / name)
    assert job.status == ImportJob.Status.DONE, job.error
    return job


def test_a_csv_is_rewritten_without_their_row_in_its_own_encoding(tmp_path, manager_mia):
    job = _imported(manager_mia, tmp_path, "handtyped_semicolon_cp1252.csv")
    erased, kept = Lead.objects.filter(import_job=job).exclude(email="").order_by("pk")[:2]
    path = Path(job.file.path)
    lines_before = len(list(csv_records(path, job.encoding, job.delimiter)))

    person_erase(email=erased.email)

    records = list(csv_records(path, job.encoding, job.delimiter))
    text = path.read_bytes().decode(job.encoding).lower()
    assert erased.email.lower() not in text and kept.email.lower() in text
    assert len(records) == lines_before  # their row is an empty line: the others keep their numbers
    assert [cells for _line, cells, _size in records].count([]) == 1


def test_an_xlsx_file_is_deleted(tmp_path, manager_mia):
    job = _imported(manager_mia, tmp_path, "contacts.xlsx")
    lead = Lead.objects.filter(import_job=job).exclude(email="").first()
    path = Path(job.file.path)

    report = person_erase(email=lead.email)

    job.refresh_from_db()
    assert not job.file and not path.exists()
    assert report.counts["import_rows"] == 1
