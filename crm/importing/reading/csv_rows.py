"""CSV files: inspect one, then read its records one physical line at a time."""

from __future__ import annotations

import codecs
import csv
import logging
from collections.abc import Generator
from pathlib import Path
from typing import BinaryIO, TextIO

from crm.importing.reading.detect import (
    BINARY,
    csv_delimiter,
    csv_encoding,
    header_choice,
    header_names,
    looks_binary,
)
from crm.importing.reading.table import EMPTY, FileRefused, TableInfo

logger = logging.getLogger(__name__)

# One physical line longer than this is not a table row (and would have to sit in memory whole).
MAX_LINE_CHARS = 4 * 1024 * 1024
# A line that is not valid in the file's encoding is most often a row pasted from a Windows spreadsheet.
RECODE_ENCODING = "cp1252"
# Encodings where "\n" is not one byte of its own: these files are read as text.
WIDE_ENCODINGS = {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}


def csv_inspect(path: Path, head: bytes, size: int) -> TableInfo:
    """What a CSV file is, from its first bytes (`head`) and a look at its first records."""
    complete = len(head) == size
    encoding = csv_encoding(head, complete=complete)
    text = codecs.decode(head, encoding, "replace")
    if not complete:
        # The sample may end inside a line (or a character): keep the whole lines only.
        text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1] or text
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise FileRefused(EMPTY)
    if looks_binary(text):
        raise FileRefused(BINARY)
    delimiter = csv_delimiter(text)
    records = csv_records(path, encoding, delimiter)
    try:
        header_line, cells = header_choice((line, cells) for line, cells, _position in records)
    finally:
        records.close()
    headers, duplicates = header_names(cells)
    return TableInfo(
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        header_line=header_line,
        headers=headers,
        duplicate_headers=duplicates,
        size=size,
    )


class _PhysicalLines:
    """A file's lines for csv.reader, counting lines and bytes and keeping the lines of the current record.

    Files in an encoding that keeps ASCII as one byte are read as bytes and decoded line by line, so a line in
    another encoding (a UTF-8 file with rows pasted from a Windows-1252 one) is read as Windows-1252 and
    remembered in `recoded`, instead of losing its accents to replacement characters.
    """

    def __init__(self, stream: BinaryIO | TextIO, encoding: str) -> None:
        self._stream = stream
        self._binary = "b" in getattr(stream, "mode", "")
        self._encoding = encoding
        self._encode = codecs.getencoder(_stateless(encoding))
        self._replay: list[tuple[str, int]] = []  # a stack: the next line to hand out is last
        self.count = 0
        self.position = _bom_length(encoding) if not self._binary else 0
        self.record: list[tuple[str, int]] = []
        self.recoded_in_record = False
        self.hit_end = False

    def __iter__(self) -> _PhysicalLines:
        return self

    def __next__(self) -> str:
        if self._replay:
            line, size = self._replay.pop()
        else:
            line, size = self._read()
        self.count += 1
        self.position += size
        self.record.append((line, size))
        return line

    def _read(self) -> tuple[str, int]:
        raw = self._stream.readline(MAX_LINE_CHARS + 1)
        if not raw:
            self.hit_end = True
            raise StopIteration
        if len(raw) > MAX_LINE_CHARS:
            number = self.count + 1
            raise FileRefused(f"Line {number} is over {MAX_LINE_CHARS:,} characters long; this is not a table.")
        if not self._binary:
            return raw, len(self._encode(raw, "replace")[0])
        try:
            line = raw.decode(self._encoding)
        except UnicodeDecodeError:
            line = raw.decode(RECODE_ENCODING, errors="replace")
            self.recoded_in_record = True
        if self.count == 0:
            line = line.removeprefix("\ufeff")
        return line, len(raw)

    def rewind(self, lines: list[tuple[str, int]]) -> None:
        """Hand these lines out again, as if they had not been read yet."""
        for _line, size in lines:
            self.count -= 1
            self.position -= size
        self._replay.extend(reversed(lines))


def csv_records(
    path: Path, encoding: str, delimiter: str, recoded: set[int] | None = None
) -> Generator[tuple[int, list[str], int]]:
    """(first physical line, cells, bytes read so far) for every record of a CSV file, blank ones included.

    The first line of each record that had to be read as Windows-1252 is added to `recoded`, if given.
    """
    with _open(path, encoding) as stream:
        lines = _PhysicalLines(stream, encoding)
        reader = csv.reader(lines, delimiter=delimiter)
        while True:
            first_line = lines.count + 1
            lines.record.clear()
            lines.recoded_in_record = False
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
            if lines.recoded_in_record and recoded is not None:
                recoded.add(first_line)
            yield first_line, cells, lines.position


def _open(path: Path, encoding: str) -> BinaryIO | TextIO:
    """Bytes, to decode line by line, when every line ending is a "\\n" byte; text otherwise (UTF-16, or old
    Mac files that end lines with "\\r" alone), where newline="" hands csv the endings it needs and a bad byte
    becomes U+FFFD rather than an error."""
    with path.open("rb") as file:
        head = file.read(64 * 1024)
    if codecs.lookup(encoding).name not in WIDE_ENCODINGS and (b"\n" in head or b"\r" not in head):
        return path.open("rb")
    return path.open(encoding=encoding, errors="replace", newline="")


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
