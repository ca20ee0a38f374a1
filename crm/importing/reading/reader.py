"""The reading entry points: refuse or inspect a file, then hand it to the CSV or XLSX reader for its rows."""

from __future__ import annotations

import csv
import math
from collections.abc import Generator, Iterator
from itertools import islice
from pathlib import Path

from crm.importing.reading.csv_rows import csv_inspect, csv_records
from crm.importing.reading.detect import stray_removed
from crm.importing.reading.table import EMPTY, FileRefused, Row, TableInfo, without_trailing_blanks
from crm.importing.reading.xlsx_rows import xlsx_data, xlsx_inspect

RECODED_NOTE = "this line was not {encoding}; read as Windows-1252 (check its accents)"
STRAY_NOTE = "held control characters (removed)"
# Encoding and delimiter detection look at this much of the start of a CSV file.
SAMPLE_BYTES = 256 * 1024

OLD_EXCEL = "This is an old Excel file (.xls) or a password-protected workbook; save it as .xlsx or CSV and try again."

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def table_inspect(path: Path, *, max_bytes: int, max_columns: int | None = None) -> TableInfo:
    """Find a file's format, encoding, delimiter and header row, or refuse it with a message for the user.

    A file of more than `max_columns` columns is refused, and so is a header row longer than csv's field size
    limit: every page and row of the import works per column.
    """
    size = path.stat().st_size
    if size == 0:
        raise FileRefused(EMPTY)
    if size > max_bytes:
        raise FileRefused(f"This file is {size_text(size, up=True)}; the limit is {size_text(max_bytes, up=False)}.")
    with path.open("rb") as file:
        head = file.read(SAMPLE_BYTES)
    if head.startswith(ZIP_MAGIC):
        info = xlsx_inspect(path)
    elif head.startswith(OLE_MAGIC):
        raise FileRefused(OLD_EXCEL)
    else:
        info = csv_inspect(path, head, size)
    columns = len(info.headers)
    if max_columns is not None and columns > max_columns:
        raise FileRefused(f"This file has {columns:,} columns; the limit is {max_columns:,}.")
    header_chars = sum(len(name) for name in info.headers) + columns - 1
    if header_chars > csv.field_size_limit():
        raise FileRefused(
            f"The header row is over {csv.field_size_limit():,} characters long; this is not a table's header."
        )
    return info


def table_rows(path: Path, info: TableInfo, *, after_line: int = 0) -> Iterator[Row]:
    """Yield the data rows after the header, skipping blank rows and rows on lines up to `after_line`.

    Reads one record at a time, so memory stays flat whatever the file size. A quote opened and never closed
    before the end of the file (or before csv's field size limit) doesn't swallow the lines after it: that line
    is read on its own with the quote kept as text, and reading goes on from the next line. A stray quote closed
    by a later one still joins the lines between, as in Excel. Control characters (stray bytes in a text file)
    are removed from a row's cells, and its note says so. Raises FileRefused part-way only for damage past what
    `table_inspect` looked at (a line over MAX_LINE_CHARS, a broken XLSX part).
    """
    width = len(info.headers)
    recoded: set[int] = set()
    if info.format == "xlsx":
        records: Generator[tuple[int, list[str], int]] = xlsx_data(path, info.size)
    else:
        records = csv_records(path, info.encoding, info.delimiter, recoded)
    skip_to = max(info.header_line, after_line)
    try:
        for line, cells, position in records:
            note = RECODED_NOTE.format(encoding=info.encoding.upper()) if line in recoded else ""
            recoded.discard(line)
            if line <= skip_to:
                continue
            # Bytes that were not text in the file's encoding count as read back, so may overshoot a little.
            row = table_row(line, cells, min(position, info.size), width, note)
            if row is not None:
                yield row
    finally:
        records.close()  # the file, now, rather than when the garbage collector gets to it


def table_row(line: int, cells: list[str], position: int, width: int, note: str = "") -> Row | None:
    """One record as a data row of `width` cells: control characters removed (its note says so), cells stripped,
    short rows padded and cells past the headers kept aside; None for a blank record, which imports skip."""
    cleaned = stray_removed(cells)
    if cleaned is not None:
        cells = cleaned
        note = f"{note}; {STRAY_NOTE}" if note else STRAY_NOTE
    cells = [cell.strip() for cell in cells]
    if not any(cells):
        return None
    values = cells[:width] + [""] * (width - len(cells))
    extra = without_trailing_blanks(cells[width:])
    return Row(line=line, values=values, extra=extra, position=position, note=note)


def table_sample(path: Path, info: TableInfo, count: int = 5) -> list[Row]:
    """The first `count` data rows, for previews and for suggesting the column mapping."""
    rows = table_rows(path, info)
    try:
        return list(islice(rows, count))
    finally:
        rows.close()


def size_text(size: int, *, up: bool) -> str:
    """A byte count as whole MB, KB or bytes, rounded up (for a file's size) or down (for a limit)."""
    for unit, name in ((1024 * 1024, "MB"), (1024, "KB")):
        if size >= unit:
            amount = math.ceil(size / unit) if up else size // unit
            return f"{amount} {name}"
    return f"{size} bytes"
