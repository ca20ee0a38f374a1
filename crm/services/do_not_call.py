"""The do-not-call list: uploaded by staff as a CSV or XLSX file, asked before any number is dialled or messaged."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction

from crm.importing.reading import FileRefused, table_inspect, table_rows
from crm.models import DoNotCallNumber, User
from crm.normalize import NormalizeError, phone_e164
from leadflow.roles import can_reassign

# The first lines whose problems a report lists; the rest are counted.
REPORTED_PROBLEMS = 50


@dataclass
class ListUploadReport:
    """What uploading a list of numbers or addresses came to: added, already there, and the lines it could not
    read (the first REPORTED_PROBLEMS of them with their cell and why; the rest counted)."""

    added: int = 0
    already_listed: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (line, cell, why)
    problem_count: int = 0

    def problem(self, line: int, cell: str, why: str) -> None:
        self.problem_count += 1
        if len(self.problems) < REPORTED_PROBLEMS:
            self.problems.append((line, cell[:60], why))


def require_manage_do_not_call(actor: User) -> None:
    if not can_reassign(actor):
        raise PermissionDenied("Only managers and admins may change the do-not-call list.")


def _phone_column(headers: list[str]) -> int:
    """The column that holds the numbers: the first whose header says phone or number, else the first."""
    for index, header in enumerate(headers):
        if any(word in header.lower() for word in ("phone", "number", "mobile", "tel")):
            return index
    return 0


def _number_cell(cells: list[str], column: int) -> str:
    """The row's number: its phone column, or an area code and the number beside it, as the US National Do Not Call
    Registry's files write them ("201,5550123")."""
    cell = cells[column].strip() if column < len(cells) else ""
    after = cells[column + 1].strip() if column + 1 < len(cells) else ""
    if len(cell) == 3 and cell.isdigit() and len(after) == 7 and after.isdigit():
        return cell + after
    return cell


def _cells(path: Path) -> Iterator[tuple[int, str]]:
    """(line, cell) for each row's phone column, the header's cell too (a bare list of numbers has no header)."""
    try:
        info = table_inspect(path, max_bytes=settings.IMPORT_MAX_BYTES, max_columns=settings.IMPORT_MAX_COLUMNS)
    except FileRefused:
        if path.stat().st_size == 0 or path.read_bytes()[:4].startswith(b"PK"):
            raise
        # A plain list of numbers, one a line, has no header row for the table reader to find.
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        yield from (
            (line, _number_cell(cells, 0)) for line, cells in enumerate(csv.reader(text.splitlines()), 1) if cells
        )
        return
    column = _phone_column(info.headers)
    yield info.header_line, _number_cell(info.headers, column)
    yield from ((row.line, _number_cell(row.values, column)) for row in table_rows(path, info))


def do_not_call_upload(*, actor: User, path: Path, original_name: str, region: str = "") -> ListUploadReport:
    """Add every number of a file to the list (read as in `region`, else PHONE_DEFAULT_REGION); a cell that is not a
    phone number is reported with its line and the rest is added."""
    require_manage_do_not_call(actor)
    report = ListUploadReport()
    numbers: dict[str, None] = {}
    for line, cell in _cells(path):
        if not cell.strip():
            continue
        try:
            number = phone_e164(cell, region or None)
        except NormalizeError as exc:
            # A header row ("Phone") is not a problem; a data cell that is not a number is.
            if line != 1 or any(char.isdigit() for char in cell):
                report.problem(line, cell, str(exc))
            continue
        numbers[number] = None
    report.added, report.already_listed = _numbers_add(numbers, actor=actor, origin=original_name)
    return report


@transaction.atomic
def _numbers_add(numbers: Iterable[str], *, actor: User, origin: str) -> tuple[int, int]:
    numbers = list(numbers)
    listed = set(DoNotCallNumber.objects.filter(number__in=numbers).values_list("number", flat=True))
    new = [
        DoNotCallNumber(number=number, origin=origin[:255], added_by=actor)
        for number in numbers
        if number not in listed
    ]
    DoNotCallNumber.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return len(new), len(listed)


def do_not_call_remove(*, actor: User, numbers: list[str]) -> int:
    require_manage_do_not_call(actor)
    deleted, _ = DoNotCallNumber.objects.filter(number__in=numbers).delete()
    return deleted


def do_not_call_opt_out(*, number: str, origin: str) -> bool:
    """The person asked for no more messages (a WhatsApp or SMS "STOP"): their number (E.164) joins the list, which
    every sender asks; False when it was on it already."""
    _entry, created = DoNotCallNumber.objects.get_or_create(number=number, defaults={"origin": origin[:255]})
    return created


def do_not_call_opt_in(*, number: str, origin: str) -> bool:
    """The person asked for messages again (START after a STOP): the entry their opt-out made is taken off; a number
    listed for any other reason (an uploaded list) stays. Whether one was taken off."""
    deleted, _ = DoNotCallNumber.objects.filter(number=number, origin=origin[:255]).delete()
    return bool(deleted)
