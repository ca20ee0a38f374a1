"""What reading a file gives: its TableInfo and its Rows, or FileRefused with a message for the user."""

from __future__ import annotations

from dataclasses import dataclass

# The refusal every reader can give.
EMPTY = "This file is empty."


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
    note: str = ""  # how the row was read when it needed care (e.g. a line in another encoding)

    def __reduce__(self) -> tuple[type[Row], tuple]:
        # A capture's rows cross to the normalising process by pickle (crm.importing.drafting): as the class and
        # its values, as LeadDraft does, not the frozen dataclass's attribute-by-attribute state.
        return Row, (self.line, self.values, self.extra, self.position, self.note)


def without_trailing_blanks(cells: list[str]) -> list[str]:
    """The cells up to the last one that is not blank."""
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]
