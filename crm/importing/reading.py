"""Streaming CSV and XLSX reading for lead imports: detect the table's shape, then yield its rows one at a time."""

from __future__ import annotations

import codecs
import contextlib
import csv
import logging
import math
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import TextIO
from xml.etree.ElementTree import ParseError

import charset_normalizer
import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

logger = logging.getLogger(__name__)

# Encoding and delimiter detection look at this much of the start of a CSV file.
SAMPLE_BYTES = 256 * 1024
# The header row is looked for among this many non-blank rows.
HEADER_SEARCH_ROWS = 20
DELIMITERS = ",;\t|"
# The first lines csv.Sniffer and the delimiter counts look at.
SNIFF_LINES = 50
# One physical line longer than this is not a table row (and would have to sit in memory whole).
MAX_LINE_CHARS = 4 * 1024 * 1024
# Decoded text with more control characters than this share is binary data, not a table.
MAX_CONTROL_SHARE = 0.05

EMPTY = "This file is empty."
BINARY = "This file is not a table (it looks like binary data)."
NO_HEADER = f"No header row found in the first {HEADER_SEARCH_ROWS} rows."
XLSX_DAMAGED = "This XLSX file could not be read; it may be damaged or password-protected."
ZIP_NOT_XLSX = "This file is a zip archive, not an XLSX spreadsheet."
OLD_EXCEL = "This is an old Excel file (.xls) or a password-protected workbook; save it as .xlsx or CSV and try again."

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Longest first, so UTF-32 LE is not taken for UTF-16 LE.
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# charset_normalizer's answers that mean "some Western European single-byte text": Windows files are cp1252.
# So are the DOS and Mac code pages they pick on a short sample: nobody exports CSV in those any more.
WESTERN_ENCODINGS = {
    *("cp1252", "latin-1", "iso8859-1", "iso8859-14", "iso8859-15"),
    *("cp437", "cp775", "cp850", "cp852", "cp857", "cp858", "cp860", "cp861", "cp863", "cp865"),
    *("mac-roman", "mac-iceland", "mac-latin2", "mac-turkish"),
}

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

NUMBER_LIKE = re.compile(r"[+\-(]?[\d\s.,:/()%$€£+\-]*\d[\d\s.,:/()%$€£+\-]*[a-zA-Z]{0,3}")
EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
URL_LIKE = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
# Control characters other than tab and line ends, and U+FFFD (bytes the encoding couldn't read).
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")


class FileRefused(Exception):
    """A file that cannot be imported; str(exc) is a message to show the user."""


@dataclass(frozen=True)
class TableInfo:
    """What `table_inspect` found out about a file, which `table_rows` needs to read it."""

    format: str  # "csv" or "xlsx"
    encoding: str  # "utf-8", "utf-8-sig", "utf-16", "cp1252"… ("" for xlsx)
    delimiter: str  # ",", ";", "\t" or "|" ("" for xlsx)
    header_line: int  # 1-based physical line (CSV) or row number (XLSX) of the header row
    headers: list[str]  # stripped and unique: blanks named "Column 3", repeats named "Email (2)"
    duplicate_headers: list[str]  # original names that occurred more than once
    size: int  # total progress units: bytes for CSV, rows for XLSX


@dataclass(frozen=True)
class Row:
    """One data row, as the user would find it in a text editor or Excel."""

    line: int  # 1-based physical line where the record starts (CSV) or row number (XLSX)
    values: list[str]  # one string per header, "" where the row is short
    extra: list[str]  # cells beyond the headers (a ragged row), normally []
    position: int  # progress in TableInfo.size units once this row is read


def table_inspect(path: Path, *, max_bytes: int) -> TableInfo:
    """Find a file's format, encoding, delimiter and header row, or refuse it with a message for the user."""
    size = path.stat().st_size
    if size == 0:
        raise FileRefused(EMPTY)
    if size > max_bytes:
        raise FileRefused(f"This file is {_size_text(size, up=True)}; the limit is {_size_text(max_bytes, up=False)}.")
    with path.open("rb") as file:
        head = file.read(SAMPLE_BYTES)
    if head.startswith(ZIP_MAGIC):
        return _xlsx_inspect(path)
    if head.startswith(OLE_MAGIC):
        raise FileRefused(OLD_EXCEL)
    return _csv_inspect(path, head, size)


def table_rows(path: Path, info: TableInfo, *, after_line: int = 0) -> Iterator[Row]:
    """Yield the data rows after the header, skipping blank rows and rows on lines up to `after_line`.

    Reads one record at a time, so memory stays flat whatever the file size. A quote opened and never closed
    before the end of the file (or before csv's field size limit) doesn't swallow the lines after it: that line
    is read on its own with the quote kept as text, and reading goes on from the next line. A stray quote closed
    by a later one still joins the lines between, as in Excel. Raises FileRefused part-way only for damage past
    what `table_inspect` looked at (a line over MAX_LINE_CHARS, a broken XLSX part).
    """
    width = len(info.headers)
    if info.format == "xlsx":
        records: Generator[tuple[int, list[str], int]] = _xlsx_data(path, info.size)
    else:
        records = _csv_records(path, info.encoding, info.delimiter)
    skip_to = max(info.header_line, after_line)
    try:
        for line, cells, position in records:
            if line <= skip_to:
                continue
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            values = cells[:width] + [""] * (width - len(cells))
            extra = _without_trailing_blanks(cells[width:])
            # Bytes that were not text in the file's encoding count as read back, so may overshoot a little.
            yield Row(line=line, values=values, extra=extra, position=min(position, info.size))
    finally:
        records.close()  # the file, now, rather than when the garbage collector gets to it


def table_sample(path: Path, info: TableInfo, count: int = 5) -> list[Row]:
    """The first `count` data rows, for previews and for suggesting the column mapping."""
    rows = table_rows(path, info)
    try:
        return list(islice(rows, count))
    finally:
        rows.close()


# CSV


def _csv_inspect(path: Path, head: bytes, size: int) -> TableInfo:
    complete = len(head) == size
    encoding = _csv_encoding(head, complete=complete)
    text = codecs.decode(head, encoding, "replace")
    if not complete:
        # The sample may end inside a line (or a character): keep the whole lines only.
        text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1] or text
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise FileRefused(EMPTY)
    if _control_share(text) > MAX_CONTROL_SHARE:
        raise FileRefused(BINARY)
    delimiter = _csv_delimiter(text)
    records = _csv_records(path, encoding, delimiter)
    try:
        header_line, cells = _header_choice((line, cells) for line, cells, _position in records)
    finally:
        records.close()
    headers, duplicates = _header_names(cells)
    return TableInfo(
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        header_line=header_line,
        headers=headers,
        duplicate_headers=duplicates,
        size=size,
    )


def _csv_encoding(head: bytes, *, complete: bool) -> str:
    """The text encoding of a CSV file from its first bytes: BOM, then strict UTF-8, then charset_normalizer."""
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return encoding
    utf16 = _utf16_without_bom(head)
    if utf16:
        return utf16
    if b"\x00" in head:
        raise FileRefused(BINARY)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    matches = charset_normalizer.from_bytes(head)
    best = matches.best()
    if best is None:
        raise FileRefused(BINARY)
    encoding = codecs.lookup(best.encoding).name
    # Windows text is cp1252 far more often than the Latin-1, Latin-9 or Central European code pages detectors
    # pick on a close call; cp1252 reads the same letters plus the euro sign and curly quotes. Prefer it then.
    cp1252 = next((match for match in matches if "cp1252" in match.could_be_from_charset), None)
    close_call = cp1252 is not None and cp1252.chaos <= best.chaos + 0.01 and cp1252.coherence >= best.coherence - 0.05
    if (encoding in WESTERN_ENCODINGS or close_call) and _decodes(head, "cp1252") is not None:
        return "cp1252"
    return encoding


def _utf16_without_bom(head: bytes) -> str:
    """The UTF-16 codec for a mostly-ASCII sample that is UTF-16 without a BOM, or "" for anything else."""
    even, odd = head[0::2], head[1::2]
    if len(odd) < 8:
        return ""
    even_nuls, odd_nuls = even.count(0), odd.count(0)
    if odd_nuls > 0.4 * len(odd) and even_nuls < 0.02 * len(even):
        return "utf-16-le"
    if even_nuls > 0.4 * len(even) and odd_nuls < 0.02 * len(odd):
        return "utf-16-be"
    return ""


def _decodes(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _control_share(text: str) -> float:
    return len(CONTROL_CHARS.findall(text)) / len(text)


def _csv_delimiter(text: str) -> str:
    """The delimiter: csv.Sniffer's guess, checked against how consistently each candidate splits the first lines."""
    lines = [line for line in text.splitlines() if line.strip()][:SNIFF_LINES]
    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    scores = {delimiter: _delimiter_score(lines, delimiter) for delimiter in DELIMITERS}
    # More lines split the same way wins, then more columns; Sniffer breaks ties.
    best = max(DELIMITERS, key=lambda d: (round(scores[d][0], 1), scores[d][1], d == sniffed))
    return best if scores[best][0] > 0 else ","


def _delimiter_score(lines: list[str], delimiter: str) -> tuple[float, int]:
    """(share of lines with the most common width, that width), or (0, 1) when it doesn't split anything."""
    widths = Counter(len(cells) for cells in csv.reader(lines, delimiter=delimiter))
    if not widths:
        return 0.0, 1
    width, count = widths.most_common(1)[0]
    if width < 2:
        return 0.0, 1
    return count / len(lines), width


class _PhysicalLines:
    """A text stream's lines for csv.reader, counting lines and bytes and keeping the lines of the current record."""

    def __init__(self, stream: TextIO, encoding: str) -> None:
        self._stream = stream
        self._encode = codecs.getencoder(_stateless(encoding))
        self._replay: list[tuple[str, int]] = []  # a stack: the next line to hand out is last
        self.count = 0
        self.position = _bom_length(encoding)
        self.record: list[tuple[str, int]] = []
        self.hit_end = False

    def __iter__(self) -> _PhysicalLines:
        return self

    def __next__(self) -> str:
        if self._replay:
            line, size = self._replay.pop()
        else:
            line = self._stream.readline(MAX_LINE_CHARS + 1)
            if not line:
                self.hit_end = True
                raise StopIteration
            if len(line) > MAX_LINE_CHARS:
                number = self.count + 1
                raise FileRefused(f"Line {number} is over {MAX_LINE_CHARS:,} characters long; this is not a table.")
            size = len(self._encode(line, "replace")[0])
        self.count += 1
        self.position += size
        self.record.append((line, size))
        return line

    def rewind(self, lines: list[tuple[str, int]]) -> None:
        """Hand these lines out again, as if they had not been read yet."""
        for _line, size in lines:
            self.count -= 1
            self.position -= size
        self._replay.extend(reversed(lines))


def _csv_records(path: Path, encoding: str, delimiter: str) -> Generator[tuple[int, list[str], int]]:
    """(first physical line, cells, bytes read so far) for every record of a CSV file, blank ones included."""
    # newline="" hands csv the line endings it needs for quoted newlines; a bad byte becomes U+FFFD, not an error.
    with path.open(encoding=encoding, errors="replace", newline="") as stream:
        lines = _PhysicalLines(stream, encoding)
        reader = csv.reader(lines, delimiter=delimiter)
        while True:
            first_line = lines.count + 1
            lines.record.clear()
            lines.hit_end = False
            cells: list[str] | None
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error:
                cells = None  # a field outgrew csv.field_size_limit(): most likely a quote that never closes
            if cells is None or lines.hit_end:
                # The record reached the end of the file inside quotes: an opening quote never closed. Read its
                # first line on its own, the quote kept as text, and go on from the line after.
                (line, _size), *rest = lines.record
                lines.rewind(rest)
                cells = _line_cells(line, delimiter)
                reader = csv.reader(lines, delimiter=delimiter)
                logger.warning(
                    "A quote opened on line %d of an imported file never closes; read that line alone.", first_line
                )
            yield first_line, cells, lines.position


def _line_cells(line: str, delimiter: str) -> list[str]:
    """One physical line's cells, quotes taken as text."""
    text = line.rstrip("\r\n")
    try:
        return next(csv.reader([text], delimiter=delimiter, quoting=csv.QUOTE_NONE), [])
    except csv.Error:  # longer than the field size limit
        return text.split(delimiter)


def _stateless(encoding: str) -> str:
    """The codec that encodes text to the same number of bytes, without adding a BOM to every line."""
    return {"utf-8-sig": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}.get(encoding, encoding)


def _bom_length(encoding: str) -> int:
    return {"utf-8-sig": 3, "utf-16": 2, "utf-32": 4}.get(encoding, 0)


# XLSX


def _xlsx_inspect(path: Path) -> TableInfo:
    _xlsx_check(path)
    with _xlsx_sheet(path) as sheet:
        declared_rows = sheet.max_row
        sheet.reset_dimensions()  # some writers get the dimensions wrong; read every row there is
        header_line, cells = _header_choice(_xlsx_records(sheet))
        if not declared_rows or declared_rows <= header_line:
            # Missing or suspicious dimensions: count the rows (streaming, so only time is spent).
            declared_rows = max((number for number, _cells in _xlsx_records(sheet)), default=header_line)
    headers, duplicates = _header_names(cells)
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


def _xlsx_data(path: Path, size: int) -> Generator[tuple[int, list[str], int]]:
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


# Both formats


def _header_choice(records: Iterable[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """The header row: the first of the first non-blank rows with two or more cells, mostly text that isn't data."""
    seen: list[tuple[int, list[str]]] = []
    for line, raw in records:
        cells = [cell.strip() for cell in raw]
        filled = [cell for cell in cells if cell]
        if not filled:
            continue
        if len(filled) >= 2 and _data_like_count(filled) * 2 < len(filled):
            return line, cells
        seen.append((line, cells))
        if len(seen) >= HEADER_SEARCH_ROWS:
            break
    if not seen:
        raise FileRefused(EMPTY)
    if all(sum(1 for cell in cells if cell) == 1 for _line, cells in seen):
        # A one-column file (a list of emails, say): the header is the last text row above the first data row.
        first_data = next((i for i, (_line, cells) in enumerate(seen) if _data_like_count(cells)), len(seen))
        if first_data > 0:
            return seen[first_data - 1] if first_data < len(seen) else seen[0]
    raise FileRefused(NO_HEADER)


def _data_like_count(cells: list[str]) -> int:
    """How many cells look like values (numbers, phones, dates, emails, links, long text) rather than column names."""
    return sum(
        1
        for cell in cells
        if cell
        and (
            len(cell) > 80
            or NUMBER_LIKE.fullmatch(cell) is not None
            or EMAIL_LIKE.fullmatch(cell) is not None
            or URL_LIKE.match(cell) is not None
        )
    )


def _header_names(cells: list[str]) -> tuple[list[str], list[str]]:
    """Unique column names for a header row, and the names that occurred more than once."""
    cells = [cell.strip().lstrip("\ufeff").strip() for cell in cells]
    cells = _without_trailing_blanks(cells)
    counts = Counter(cell for cell in cells if cell)
    duplicates = [name for name in dict.fromkeys(cells) if name and counts[name] > 1]
    names: list[str] = []
    used: set[str] = set()
    for number, cell in enumerate(cells, start=1):
        base = cell or f"Column {number}"
        name, copy = base, 1
        # A made-up name must not take a name that appears in the file.
        while name in used or (name != cell and name in counts):
            copy += 1
            name = f"{base} ({copy})"
        used.add(name)
        names.append(name)
    return names, duplicates


def _without_trailing_blanks(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _size_text(size: int, *, up: bool) -> str:
    """A byte count as whole MB, KB or bytes, rounded up (for a file's size) or down (for a limit)."""
    for unit, name in ((1024 * 1024, "MB"), (1024, "KB")):
        if size >= unit:
            amount = math.ceil(size / unit) if up else size // unit
            return f"{amount} {name}"
    return f"{size} bytes"
