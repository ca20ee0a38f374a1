"""Hostile spreadsheets: a sheet past the row or column limit is refused by every XLSX read (the Imports page and
the back office) with a message naming the limit, before memory grows; odd files get a message, never a 500."""

import io
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from crm.models import ImportJob, Lead

pytestmark = pytest.mark.django_db

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_FORMAT, XLSX_FORMAT = "0", "1"
SHEET = "xl/worksheets/sheet1.xml"
DATA = Path(__file__).resolve().parent.parent / "data"
# Far below what holding the hostile sheet would take (20,000 rows of 16,384 cells: gigabytes).
MEMORY_BOUND = 40 * 1024 * 1024


def workbook_with_sheet(rows_xml: str, dimension: str | None = None, prefix: str = "") -> bytes:
    """An XLSX file made by openpyxl whose first sheet is replaced by these <row> elements (and this declared
    dimension, if given; tags with this namespace prefix, if given), as a hostile or careless writer would make it."""
    template = io.BytesIO()
    openpyxl.Workbook().save(template)
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    namespace = (
        f'xmlns{":" if prefix else ""}{prefix.rstrip(":")}="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    )
    sheet_data = f"<{prefix}sheetData>{rows_xml}</{prefix}sheetData>"
    sheet = f"<{prefix}worksheet {namespace}>{declared}{sheet_data}</{prefix}worksheet>"
    result = io.BytesIO()
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(member.filename, sheet if member.filename == SHEET else source.read(member.filename))
    return result.getvalue()


def cells_at_column_xfd(rows: int) -> bytes:
    """The probe's file: every row holds one cell, at the last column Excel has (XFD, the 16,384th)."""
    return workbook_with_sheet("".join(f'<row r="{n}"><c r="XFD{n}"><v>{n}</v></c></row>' for n in range(1, rows + 1)))


def people_rows(rows: int) -> str:
    """A header row, then rows of people: a well-formed table of `rows` rows in all."""
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c></row>'
    people = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>p{n}@acme.example</t></is></c></row>'
        for n in range(2, rows + 1)
    )
    return header + people


def upload_to_imports(client, content: bytes, name: str = "people.xlsx"):
    return client.post(reverse("crm:imports"), {"file": SimpleUploadedFile(name, content, XLSX_TYPE)})


def upload_to_admin(client, content: bytes, file_format: str = XLSX_FORMAT, name: str = "leads.xlsx"):
    upload = SimpleUploadedFile(name, content, XLSX_TYPE)
    return client.post(
        reverse("admin:crm_lead_import"), {"import_file": upload, "format": file_format, "resource": "0"}
    )


def peak_memory_of(call):
    """What `call` returns and the most memory Python held while it ran."""
    tracemalloc.start()
    try:
        result = call()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def form_errors(response) -> str:
    return " ".join(response.context["form"].errors.get("import_file", []))


# The probe's file: one cell at column XFD on each of many rows


def test_the_imports_page_refuses_cells_at_column_xfd_with_flat_memory(client, manager_mia):
    content = cells_at_column_xfd(20_000)
    assert len(content) < 400 * 1024
    client.force_login(manager_mia)

    response, peak = peak_memory_of(lambda: upload_to_imports(client, content))

    assert response.status_code == 200
    assert "This sheet has more than 500 columns, the most one import takes" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert peak < MEMORY_BOUND, f"peak {peak / 2**20:.1f} MB"


def test_the_admin_import_refuses_cells_at_column_xfd_with_flat_memory(client, admin_ada):
    content = cells_at_column_xfd(20_000)
    client.force_login(admin_ada)

    response, peak = peak_memory_of(lambda: upload_to_admin(client, content))

    assert response.status_code == 200
    assert "This sheet has more than 500 columns, the most one import takes" in form_errors(response)
    assert response.context.get("confirm_form") is None
    assert peak < MEMORY_BOUND, f"peak {peak / 2**20:.1f} MB"


# Rows: counted while streaming, and the declared dimension read first


@override_settings(IMPORT_MAX_ROWS=100)
def test_the_imports_page_refuses_a_sheet_over_the_row_limit(client, manager_mia):
    client.force_login(manager_mia)

    response = upload_to_imports(client, workbook_with_sheet(people_rows(101)))

    assert "This sheet has more than 100 rows, the most one import takes; split it" in response.content.decode()
    assert not ImportJob.objects.exists()


@override_settings(IMPORT_MAX_ROWS=100)
def test_the_imports_page_takes_a_sheet_at_the_row_limit(client, manager_mia):
    client.force_login(manager_mia)

    upload_to_imports(client, workbook_with_sheet(people_rows(100)))

    assert ImportJob.objects.get().progress_total == 100


@override_settings(ADMIN_IMPORT_MAX_ROWS=100)
@pytest.mark.parametrize("dimension", [None, "A1:A2"], ids=["no dimension", "a dimension that lies"])
def test_the_admin_import_counts_rows_whatever_the_sheet_declares(client, admin_ada, dimension):
    client.force_login(admin_ada)

    response = upload_to_admin(client, workbook_with_sheet(people_rows(101), dimension=dimension))

    assert "This sheet has more than 100 rows, the most one import takes" in form_errors(response)
    assert not Lead.objects.exists()


@override_settings(IMPORT_MAX_ROWS=1000)
def test_a_declared_dimension_over_the_limit_is_refused_before_any_row_is_read(client, manager_mia):
    # A million empty rows before the last one would keep the reader busy; the declaration is enough to refuse.
    rows = people_rows(3) + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    client.force_login(manager_mia)

    response = upload_to_imports(client, workbook_with_sheet(rows, dimension="A1:A1048576"))

    assert "This sheet has more than 1,000 rows" in response.content.decode()


@override_settings(IMPORT_MAX_ROWS=1000, ADMIN_IMPORT_MAX_ROWS=1000)
def test_a_sheet_that_declares_no_size_is_counted_before_openpyxl_sizes_it(client, admin_ada):
    # Without a dimension, opening a workbook makes openpyxl read every row of every sheet, keeping a little of each.
    rows = "".join(f'<row r="{n}"/>' for n in range(2, 500_001))
    content = workbook_with_sheet('<row r="1"><c r="A1"><v>1</v></c></row>' + rows)
    client.force_login(admin_ada)

    page_response, page_peak = peak_memory_of(lambda: upload_to_imports(client, content))
    admin_response, admin_peak = peak_memory_of(lambda: upload_to_admin(client, content))

    assert "This sheet has more than 1,000 rows" in page_response.content.decode()
    assert "This sheet has more than 1,000 rows" in form_errors(admin_response)
    assert max(page_peak, admin_peak) < 20 * 1024 * 1024, f"peaks {page_peak / 2**20:.1f}, {admin_peak / 2**20:.1f} MB"


@override_settings(IMPORT_MAX_ROWS=100)
def test_rows_are_counted_whatever_namespace_prefix_the_sheet_uses(client, manager_mia):
    rows = "".join(f'<x:row r="{n}"><x:c r="A{n}"><x:v>{n}</x:v></x:c></x:row>' for n in range(1, 102))
    client.force_login(manager_mia)

    response = upload_to_imports(client, workbook_with_sheet(rows, prefix="x:"))

    assert "This sheet has more than 100 rows" in response.content.decode()


@override_settings(ADMIN_IMPORT_MAX_ROWS=100)
def test_the_admin_import_refuses_a_csv_over_the_row_limit(client, admin_ada):
    content = b"email\n" + b"".join(f"p{n}@acme.example\n".encode() for n in range(100))
    client.force_login(admin_ada)

    response = upload_to_admin(client, content, CSV_FORMAT, name="leads.csv")

    assert "This sheet has more than 100 rows, the most one import takes" in form_errors(response)


@override_settings(IMPORT_MAX_COLUMNS=10)
def test_the_admin_import_refuses_a_csv_over_the_column_limit(client, admin_ada):
    content = ",".join(f"field{n}" for n in range(11)).encode() + b"\n"
    client.force_login(admin_ada)

    response = upload_to_admin(client, content, CSV_FORMAT, name="leads.csv")

    assert "This sheet has more than 10 columns, the most one import takes" in form_errors(response)


@override_settings(ADMIN_IMPORT_MAX_BYTES=1024)
def test_the_admin_import_refuses_a_file_over_its_size_limit_before_reading_it(client, admin_ada):
    content = b"email\n" + b"".join(f"p{n}@acme.example\n".encode() for n in range(100))
    client.force_login(admin_ada)

    response = upload_to_admin(client, content, CSV_FORMAT, name="leads.csv")

    assert form_errors(response) == "This file is 2 KB; the limit is 1 KB."


def test_the_admin_import_still_reads_a_sheet_with_a_ragged_row(client, admin_ada):
    # Rows stream as wide as their last cell: a short row is padded to the header, a long one cut to it.
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>first_name</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>email</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Ada</t></is></c></row>'
        '<row r="3"><c r="A3" t="inlineStr"><is><t>Grace</t></is></c>'
        '<c r="B3" t="inlineStr"><is><t>grace@navy.example</t></is></c>'
        '<c r="E3" t="inlineStr"><is><t>stray</t></is></c></row>'
    )
    client.force_login(admin_ada)

    response = upload_to_admin(client, workbook_with_sheet(rows))

    assert response.context["confirm_form"] is not None
    assert response.context["result"].totals["new"] == 2


# Odd files: a message, never a 500


ODD_FILES = {
    "a text file named .xlsx": b"name,email\nAda,ada@engines.example\n",
    "random bytes named .xlsx": bytes(range(256)) * 20,
    "a zip bomb": (DATA / "zip_bomb.xlsx").read_bytes(),
    "a zip that is not a workbook": None,  # built below: zipfile needs a buffer
}


def _zip_of_a_photo() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("holiday.txt", "not a spreadsheet")
    return buffer.getvalue()


ODD_FILES["a zip that is not a workbook"] = _zip_of_a_photo()
ADMIN_MESSAGES = {
    "a text file named .xlsx": "This XLSX file could not be read; it may be damaged or password-protected.",
    "random bytes named .xlsx": "This XLSX file could not be read; it may be damaged or password-protected.",
    "a zip bomb": "This XLSX file is compressed suspiciously well; refusing to unpack it.",
    "a zip that is not a workbook": "This file is a zip archive, not an XLSX spreadsheet.",
}
# The Imports page goes by content: bytes that are no zip are not taken for a damaged workbook.
PAGE_MESSAGES = {**ADMIN_MESSAGES, "random bytes named .xlsx": "This file is not a table (it looks like binary data)."}


@pytest.mark.parametrize("kind", list(ODD_FILES))
def test_the_admin_import_explains_an_odd_xlsx(client, admin_ada, kind):
    client.force_login(admin_ada)

    response = upload_to_admin(client, ODD_FILES[kind])

    assert response.status_code == 200
    assert form_errors(response) == ADMIN_MESSAGES[kind]


@pytest.mark.parametrize("kind", [kind for kind in ODD_FILES if kind != "a text file named .xlsx"])
def test_the_imports_page_explains_an_odd_xlsx(client, manager_mia, kind):
    client.force_login(manager_mia)

    response = upload_to_imports(client, ODD_FILES[kind])

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [PAGE_MESSAGES[kind]]
    assert not ImportJob.objects.exists()


def test_the_imports_page_reads_a_text_file_named_xlsx_as_the_table_it_is(client, manager_mia):
    # The Imports page goes by a file's content, not its name (the back office goes by the format chosen).
    client.force_login(manager_mia)

    upload_to_imports(client, ODD_FILES["a text file named .xlsx"])

    assert ImportJob.objects.get().file_format == "csv"


def test_an_empty_file_is_explained_by_both_imports(client, admin_ada):
    client.force_login(admin_ada)

    admin_response = upload_to_admin(client, b"")
    page_response = upload_to_imports(client, b"")

    assert form_errors(admin_response) == "The submitted file is empty."
    assert "This file is empty." in page_response.content.decode()


# The mapping page of a wide file


def test_the_mapping_page_caps_the_columns_rows_and_cell_length_it_previews(client, manager_mia):
    headers = ["Email", *(f"Detail {n} " + "h" * 60 for n in range(499))]
    rows = [[f"p{r}@acme.example", *("v" * 5000 for _ in range(499))] for r in range(20)]
    content = "\n".join(",".join(row) for row in [headers, *rows]).encode() + b"\n"
    client.force_login(manager_mia)
    upload_to_imports(client, content, name="wide.csv")
    job = ImportJob.objects.get()

    page = client.get(reverse("crm:import_mapping", args=[job.pk])).content.decode()

    preview = page[page.index('id="preview"') :]
    assert preview.count("<tr class=") == 5  # rows
    assert preview.count('<span class="muted">Detail') == 5 * 8  # custom fields per row
    assert preview.count("and 491 more</div>") == 5
    assert "v" * 41 not in page  # cells
    assert page.count('class="column-target"') == 500  # every column can still be mapped
