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
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from crm.importing.reading.detect import header_choice, header_names
from crm.importing.reading.table import EMPTY, FileRefused, TableInfo

XLSX_DAMAGED = "This XLSX file could not be read; it may be damaged or password-protected."
ZIP_NOT_XLSX = "This file is a zip archive, not an XLSX spreadsheet."

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
    _xlsx_check(path)
    with _xlsx_sheet(path) as sheet:
        declared_rows = sheet.max_row
        sheet.reset_dimensions()  # some writers get the dimensions wrong; read every row there is
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


def _xlsx_check(path: Path) -> None:
    """Refuse a zip that isn't a workbook, or that would inflate too far, reading only its central directory."""
    # Imported here: crm.resources loads the ORM models, which reading a file otherwise doesn't need.
    from crm.resources import XLSX_MAX_COMPRESSION_RATIO, XLSX_MAX_MEMBERS, XLSX_MAX_UNCOMPRESSED_BYTES

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRefused(XLSX_DAMAGED) from exc
    # The same limits, in the same order, as crm.resources.xlsx_check_size.
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
def _xlsx_sheet(path: Path) -> Iterator[ReadOnlyWorksheet]:
    """The first worksheet, read-only and with cached values instead of formulas (openpyxl uses defusedxml)."""
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except XLSX_ERRORS as exc:
        raise FileRefused(XLSX_DAMAGED) from exc
    try:
        if not workbook.worksheets:
            raise FileRefused(EMPTY)
        yield workbook.worksheets[0]
    finally:
        workbook.close()


def _xlsx_records(sheet: ReadOnlyWorksheet) -> Iterator[tuple[int, list[str]]]:
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value) for value in values]
    except XLSX_ERRORS as exc:
        raise FileRefused(XLSX_DAMAGED) from exc


def xlsx_data(path: Path, size: int) -> Generator[tuple[int, list[str], int]]:
    """(row number, cells, progress) for every row of the first sheet, as csv_records gives for a CSV file."""
    with _xlsx_sheet(path) as sheet:
        sheet.reset_dimensions()
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
