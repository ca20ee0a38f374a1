"""XLSX workbooks: check and inspect one, then stream the rows of its first sheet as text."""

from __future__ import annotations

import contextlib
import math
import zipfile
import zlib
from collections.abc import Generator, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import ParseError

import openpyxl
from django.conf import settings
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from crm.importing.reading.detect import header_choice, header_names
from crm.importing.reading.table import EMPTY, FileRefused, TableInfo

XLSX_DAMAGED = "This XLSX file could not be read; it may be damaged or password-protected."
ZIP_NOT_XLSX = "This file is a zip archive, not an XLSX spreadsheet."
TOO_MANY_ROWS = "This sheet has more than {limit:,} rows, the most one import takes; split it into smaller files."
TOO_MANY_COLUMNS = (
    "This sheet has more than {limit:,} columns, the most one import takes; delete the columns you don't need."
)

# An XLSX file is a zip: refuse ones that would inflate past this, or inflate suspiciously well (zip bombs).
XLSX_MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
XLSX_MAX_COMPRESSION_RATIO = 200
XLSX_MAX_MEMBERS = 1000

# Errors openpyxl and zipfile raise on damaged, encrypted or hostile workbooks (defusedxml's are ValueErrors).
XLSX_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    InvalidFileException,
    ParseError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    EOFError,
    OSError,
)


def xlsx_inspect(path: Path) -> TableInfo:
    """What an XLSX workbook's first sheet is, after checking the archive is safe to open."""
    xlsx_check(path)
    with xlsx_sheet(path) as sheet:
        declared_rows = sheet.max_row
        header_line, cells = header_choice(_xlsx_records(sheet))
        if not declared_rows or declared_rows <= header_line:
            # Missing or suspicious dimensions: count the rows (streaming, so only time is spent).
            declared_rows = max((number for number, _cells in _xlsx_records(sheet)), default=header_line)
    headers, duplicates = header_names(cells)
    return TableInfo(
        format="xlsx",
        encoding="",
        delimiter="",
        header_line=header_line,
        headers=headers,
        duplicate_headers=duplicates,
        size=declared_rows,
    )


def xlsx_check(source: Path | IO[bytes]) -> None:
    """Refuse a zip that isn't a workbook, or that would inflate too far, reading only its central directory."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRefused(XLSX_DAMAGED) from exc
    if len(members) > XLSX_MAX_MEMBERS:
        raise FileRefused("This XLSX file has too many parts to be a spreadsheet.")
    if sum(member.file_size for member in members) > XLSX_MAX_UNCOMPRESSED_BYTES:
        raise FileRefused("This XLSX file is too large once unpacked.")
    for member in members:
        if member.file_size > XLSX_MAX_COMPRESSION_RATIO * max(member.compress_size, 1):
            raise FileRefused("This XLSX file is compressed suspiciously well; refusing to unpack it.")
    if not any(member.filename.startswith("xl/") for member in members):
        raise FileRefused(ZIP_NOT_XLSX)


@contextlib.contextmanager
def xlsx_sheet(source: Path | IO[bytes]) -> Iterator[ReadOnlyWorksheet]:
    """The first worksheet, read-only and with cached values instead of formulas (openpyxl uses defusedxml)."""
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except XLSX_ERRORS as exc:
        raise FileRefused(XLSX_DAMAGED) from exc
    try:
        if not workbook.worksheets:
            raise FileRefused(EMPTY)
        yield workbook.worksheets[0]
    finally:
        workbook.close()


def xlsx_values(sheet: ReadOnlyWorksheet, *, max_rows: int, max_columns: int) -> Iterator[tuple[int, tuple]]:
    """(row number, cell values) for every row, refusing a sheet of more than `max_rows` rows or `max_columns`
    columns before it can fill memory: first by the dimension it declares, then by counting while streaming,
    as a sheet can declare none or lie (one cell at column XFD makes openpyxl hand out rows 16,384 wide)."""
    if (sheet.max_row or 0) > max_rows:
        raise FileRefused(TOO_MANY_ROWS.format(limit=max_rows))
    if (sheet.max_column or 0) > max_columns:
        raise FileRefused(TOO_MANY_COLUMNS.format(limit=max_columns))
    sheet.reset_dimensions()  # some writers get the dimensions wrong; read every row there is
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > max_rows:
                raise FileRefused(TOO_MANY_ROWS.format(limit=max_rows))
            if len(values) > max_columns and _filled_width(values) > max_columns:
                raise FileRefused(TOO_MANY_COLUMNS.format(limit=max_columns))
            yield number, values
    except XLSX_ERRORS as exc:
        raise FileRefused(XLSX_DAMAGED) from exc


def _filled_width(values: tuple) -> int:
    """The number of cells up to the last one holding a value (formatting alone can reach further)."""
    width = len(values)
    while width and values[width - 1] in (None, ""):
        width -= 1
    return width


def _xlsx_records(sheet: ReadOnlyWorksheet) -> Iterator[tuple[int, list[str]]]:
    rows = xlsx_values(sheet, max_rows=settings.IMPORT_MAX_ROWS, max_columns=settings.IMPORT_MAX_COLUMNS)
    for number, values in rows:
        yield number, [_cell_text(value) for value in values[: settings.IMPORT_MAX_COLUMNS]]


def xlsx_data(path: Path, size: int) -> Generator[tuple[int, list[str], int]]:
    """(row number, cells, progress) for every row of the first sheet, as csv_records gives for a CSV file."""
    with xlsx_sheet(path) as sheet:
        for number, cells in _xlsx_records(sheet):
            yield number, cells, min(number, size)


def _cell_text(value: object) -> str:
    """A cell's value as the text a user sees: whole numbers without ".0" or exponents, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        # 15 significant digits is what Excel keeps and shows; write any exponent out in full.
        text = format(value, ".15g")
        if "e" in text:
            text = format(Decimal(text), "f")
        return text
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip()
