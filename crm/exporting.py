"""Leads as a file, CSV or XLSX: the admin export's columns (crm.resources.LeadResource, built on crm.lead_fields)
and one column per custom field. Rows are read a chunk at a time, CSV is produced row by row and XLSX is written in
openpyxl's write-only mode, so an export of any size holds one chunk of leads in memory, never the whole set."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from crm.models import Lead
from crm.resources import LeadResource, formula_neutralise
from leadflow.audit import record

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK_SIZE = 2000
# Custom fields are free-form keys: their columns are told apart from the fixed columns by this suffix.
CUSTOM_SUFFIX = " (custom)"
# Spreadsheet programs read a UTF-8 CSV as UTF-8 (not the local code page) only when it starts with a byte-order mark.
CSV_BOM = "\ufeff"


# Query parameters that say how a file is made, not which leads it holds.
NOT_FILTERS = {"format", "crm", "page", "leads"}


def leads_export_record(
    leads: QuerySet[Lead], *, export_format: str, filters: dict[str, Any], actor=None, channel: str = ""
) -> None:
    """Write the export to the audit log: its format, the filter that chose the leads, and how many. Search words
    are left out (they may be a lead's name or email); ticked leads are counted."""
    kept = {key: value for key, value in filters.items() if value not in ("", [], None) and key not in NOT_FILTERS}
    if kept.pop("q", ""):
        kept["search"] = True
    details = {"format": export_format, "filters": kept, "rows": leads.count()}
    record("leads.exported", actor=actor, channel=channel, details=details)


def filters_of(params) -> dict[str, Any]:
    """A request's query parameters as a dict (a repeated one as a list), for `leads_export_record`."""
    return {key: values if len(values) > 1 else values[0] for key, values in params.lists()}


class LeadExport:
    """The header and rows of an export of `leads`, every cell (the header too) safe from spreadsheet formulas."""

    def __init__(self, leads: QuerySet[Lead]) -> None:
        self.leads = leads.select_related("company", "owner", "stage__pipeline").prefetch_related("tags")
        self.resource = LeadResource()
        # Looked up once, not per row: the export's hot loop is one call per cell.
        self.fields = self.resource.get_export_fields()
        self.custom_keys = custom_field_keys(leads)

    def header(self) -> list[str]:
        columns = [*(field.column_name for field in self.fields), *(key + CUSTOM_SUFFIX for key in self.custom_keys)]
        return [formula_neutralise(column) for column in columns]

    def rows(self, *, native: bool) -> Iterator[list[Any]]:
        """Each lead's cells: text for CSV, or with `native` numbers, dates and booleans as themselves (for XLSX)."""
        for lead in self.leads.iterator(chunk_size=CHUNK_SIZE):
            cells = [self.resource.export_field(field, lead, force_native_type=native) for field in self.fields]
            custom = lead.custom_fields if isinstance(lead.custom_fields, dict) else {}
            cells.extend(formula_neutralise(_custom_cell(custom.get(key), native)) for key in self.custom_keys)
            yield cells


def custom_field_keys(leads: QuerySet[Lead]) -> list[str]:
    """Every custom field key among these leads, sorted; read in chunks, only the leads that have any."""
    keys: set[str] = set()
    with_custom = leads.exclude(custom_fields={}).order_by().values_list("custom_fields", flat=True)
    for fields in with_custom.iterator(chunk_size=CHUNK_SIZE):
        if isinstance(fields, dict):
            keys.update(str(key) for key in fields)
    return sorted(keys)


def _custom_cell(value: Any, native: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if native and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)


class Echo:
    """A file whose write() hands back what it was given, so csv.writer makes text without storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(export: LeadExport) -> Iterator[str]:
    """The export as CSV text, a line at a time, starting with the header."""
    writer = csv.writer(Echo())
    yield CSV_BOM + writer.writerow(export.header())
    for row in export.rows(native=False):
        yield writer.writerow(row)


def _xlsx_cell(value: Any) -> Any:
    # openpyxl refuses control characters in text (XML cannot hold them).
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def xlsx_write(export: LeadExport, file: IO[bytes]) -> int:
    """Write the export to `file` as an XLSX workbook with one sheet; returns how many leads it holds."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Leads")
    sheet.append([_xlsx_cell(column) for column in export.header()])
    count = 0
    for row in export.rows(native=True):
        sheet.append([_xlsx_cell(value) for value in row])
        count += 1
    workbook.save(file)
    return count


def csv_write(export: LeadExport, file: IO[str]) -> int:
    """Write the export to a text file as CSV; returns how many leads it holds."""
    lines = csv_lines(export)
    file.write(next(lines))
    count = 0
    for line in lines:
        file.write(line)
        count += 1
    return count


def export_write(leads: QuerySet[Lead], export_format: str, file: IO) -> int:
    """Write `leads` to `file` (binary for XLSX, text for CSV) in the format named; returns how many leads it holds."""
    export = LeadExport(leads)
    return xlsx_write(export, file) if export_format == "xlsx" else csv_write(export, file)


def export_file_name(export_format: str) -> str:
    return f"leads-{timezone.localdate().isoformat()}.{export_format}"
