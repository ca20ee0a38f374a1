"""XLSX workbooks: check and inspect one, then stream the rows of its first sheet as text."""

from __future__ import annotations

import contextlib
import math
import re
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
from openpyxl.utils.cell import range_boundaries
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

# Tags in a worksheet's raw XML, with any namespace prefix (see _worksheet_size).
DIMENSION_TAG = re.compile(rb"""<(?:[\w.-]+:)?dimension\s[^>]*?\bref\s*=\s*["']([A-Za-z0-9:$]+)["']""")
SHEET_DATA_TAG = re.compile(rb"<(?:[\w.-]+:)?sheetData[\s>/]")
ROW_TAG = re.compile(rb"<(?:[\w.-]+:)?row[\s>/]")
SCAN_CHUNK_BYTES = 1024 * 1024
SCAN_TAG_ROOM = 1024  # longer than any tag the patterns match

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
    xlsx_check(path, max_rows=settings.IMPORT_MAX_ROWS, max_columns=settings.IMPORT_MAX_COLUMNS)
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


def xlsx_check(source: Path | IO[bytes], *, max_rows: int, max_columns: int) -> None:
    """Refuse a zip that isn't a workbook or would inflate too far (judged from its central directory), and a
    workbook with a worksheet over the limits, before openpyxl opens it: for a sheet that declares no dimension,
    openpyxl reads every row just to size it, keeping a little of each."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
            _archive_check(members)
            for member in members:
                with archive.open(member) as part:
                    rows, columns = _worksheet_size(part, stop_after=max_rows)
                if rows > max_rows:
                    raise FileRefused(TOO_MANY_ROWS.format(limit=max_rows))
                if columns > max_columns:
                    raise FileRefused(TOO_MANY_COLUMNS.format(limit=max_columns))
    except XLSX_ERRORS as exc:
        raise FileRefused(XLSX_DAMAGED) from exc


def _archive_check(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > XLSX_MAX_MEMBERS:
        raise FileRefused("This XLSX file has too many parts to be a spreadsheet.")
    if sum(member.file_size for member in members) > XLSX_MAX_UNCOMPRESSED_BYTES:
        raise FileRefused("This XLSX file is too large once unpacked.")
    for member in members:
        if member.file_size > XLSX_MAX_COMPRESSION_RATIO * max(member.compress_size, 1):
            raise FileRefused("This XLSX file is compressed suspiciously well; refusing to unpack it.")
    if not any(member.filename.startswith("xl/") for member in members):
        raise FileRefused(ZIP_NOT_XLSX)


def _worksheet_size(part: IO[bytes], *, stop_after: int) -> tuple[int, int]:
    """(rows, columns) of a worksheet part as its dimension declares them, else (its rows counted up to one past
    `stop_after`, 0); (0, 0) for a part without rows. Any part may hold a sheet (the workbook's relationships say
    which), so every part is looked at. Tags are matched in the raw XML, many times quicker than parsing it; text
    that only looks like a row can make the count larger, never smaller."""
    rows = 0
    in_sheet_data = False
    tail = b""
    while True:
        chunk = part.read(SCAN_CHUNK_BYTES)
        text = tail + chunk
        # A tag that may continue into the next chunk is matched there, with the end of this one.
        cut = max(len(text) - SCAN_TAG_ROOM, 0) if chunk else len(text)
        position = 0
        if not in_sheet_data:
            dimension = DIMENSION_TAG.search(text)
            sheet_data = SHEET_DATA_TAG.search(text)
            if dimension and (sheet_data is None or dimension.start() < sheet_data.start()):
                _min_column, _min_row, max_column, max_row = range_boundaries(dimension.group(1).decode())
                return max_row or 0, max_column or 0
            if sheet_data is not None:
                in_sheet_data, position = True, sheet_data.end()
        if in_sheet_data:
            rows += sum(1 for row in ROW_TAG.finditer(text, position) if row.start() < cut)
            if rows > stop_after:
                return rows, 0
        if not chunk:
            return rows, 0
        tail = text[max(cut, position) :]


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
    columns before it can fill memory. `xlsx_check` judged the dimension the sheet declares; this counts while
    streaming, as a sheet can declare none or lie (one cell at column XFD makes openpyxl hand out rows 16,384
    wide)."""
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
