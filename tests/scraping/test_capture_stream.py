"""Capture writes what a source gives as the import reads it (scraping.capture): leads are saved while the source
is still being read, a source failing part-way keeps what came before, and blank rows never put the two out of
step."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm.importing.reading import table_inspect, table_rows
from crm.models import ImportJob, ImportRejection, Lead
from scraping.capture import Destination, table_capture
from scraping.sources.base import SourceFailed

HEADERS = ["Email", "Company"]
COLUMNS = {"Email": "email", "Company": "company"}


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr("crm.importing.jobs.BATCH_SIZE", 50)
    monkeypatch.setattr("scraping.capture.FIRST_ROWS", 10)


def people(count: int, *, seen: list[int] | None = None, fail_at: int | None = None):
    for number in range(count):
        if number == fail_at:
            raise SourceFailed("Apify answered 502 on page 3")
        if seen is not None:
            seen.append(Lead.objects.count())  # leads saved when this row is pulled from the source
        yield [f"buyer{number}@firm{number}.example", f"Firm {number} Ltd"]


def test_leads_are_saved_while_the_source_is_still_being_read(db, small_batches):
    seen: list[int] = []

    [job] = table_capture(HEADERS, people(600, seen=seen), columns=COLUMNS, to=Destination("Stream", "apify"))

    assert job.status == ImportJob.Status.DONE and job.rows_imported == 600 == Lead.objects.count()
    assert seen[0] == 0
    assert seen[400] >= 100  # batches written before the source had given its 401st row


def test_a_source_failing_part_way_keeps_the_rows_before_and_fails_the_import_with_its_reason(db, small_batches):
    with pytest.raises(SourceFailed):
        table_capture(HEADERS, people(600, fail_at=300), columns=COLUMNS, to=Destination("Stream", "apify"))

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and "502" in job.error
    assert 0 < Lead.objects.count() <= 300
    assert job.rows_imported == Lead.objects.count()  # the import's record says what it saved


def test_blank_rows_are_left_out_and_every_other_row_imported_on_its_own_line(db, small_batches):
    def with_blanks():
        for number, row in enumerate(people(300)):
            yield row
            if number % 7 == 0:
                yield ["", "  "]

    [job] = table_capture(HEADERS, with_blanks(), columns=COLUMNS, to=Destination("Blanks", "apify"))

    assert job.rows_imported == 300 == Lead.objects.count()
    lines = Path(job.file.path).read_text().splitlines()
    assert len(lines) == 301 and lines[300].startswith("buyer299@")
    assert job.file_size == job.progress_total == job.progress_done == Path(job.file.path).stat().st_size


def test_rows_handed_to_the_import_are_the_rows_its_file_reads_back(db, small_batches):
    """A resumed import reads the file instead of being handed rows: both must agree, line for line."""
    given = [
        ["one@firm.example", "Two-line\nFirm"],
        ["", " "],
        ["not-an-email", ""],
        ["three@bell.example", "Bell\x07 Co"],
    ]

    [job] = table_capture(HEADERS, iter(given), columns=COLUMNS, to=Destination("Lines", "apify"))

    rejected = ImportRejection.objects.get(job=job, kind=ImportRejection.Kind.REJECTED)
    info = table_inspect(Path(job.file.path), max_bytes=10**6)
    read_back = {row.line: row for row in table_rows(Path(job.file.path), info)}
    assert sorted(read_back) == [2, 4, 5]  # the two-line cell takes lines 2 and 3; the blank row is not written
    assert rejected.line == 4 and read_back[4].values == ["not-an-email", ""]
    assert Lead.objects.get(email="three@bell.example").company.name == read_back[5].values[1] == "Bell Co"


def test_a_whole_batch_of_rows_blank_once_cleaned_does_not_end_the_import(db, small_batches):
    def stray_between_people():
        yield from people(10)
        yield from (["\x07", "\x01"] for _ in range(120))  # control characters only: blank once cleaned
        yield from ([f"late{number}@firm.example", "Late Ltd"] for number in range(30))

    [job] = table_capture(HEADERS, stray_between_people(), columns=COLUMNS, to=Destination("Stray", "apify"))

    assert job.rows_imported == 40 == Lead.objects.count()
