"""Leads exported in each CRM's import format: the columns its importer maps, formula-safe cells and headers, and only
the leads the user sees (ticked, or the table's filter)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from crm.models import Lead
from crm.sync.exports import FORMATS, crm_csv_lines
from tests.factories import CompanyFactory, LeadFactory

pytestmark = pytest.mark.django_db

FIRST_COLUMNS = {
    "hubspot": ["First Name", "Last Name", "Email", "Phone Number", "Job Title", "Company Name"],
    "salesforce": ["First Name", "Last Name", "Title", "Company", "Email", "Phone"],
    "pipedrive": ["Person - Name", "Person - First name", "Person - Last name", "Person - Email"],
    "gohighlevel": ["First Name", "Last Name", "Email", "Phone", "Company"],
}


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.parametrize("crm", sorted(FORMATS))
def test_each_crm_gets_its_import_columns_and_formula_safe_cells(crm):
    company = CompanyFactory(name='=HYPERLINK("http://evil")')
    LeadFactory(first_name="Ann", last_name="Lee", email="ann@acme.example", title="@SUM(A1)", company=company)

    rows = _rows("".join(crm_csv_lines(Lead.objects.all(), crm)))

    header, row = rows
    assert header[: len(FIRST_COLUMNS[crm])] == FIRST_COLUMNS[crm]
    cells = dict(zip(header, row, strict=True))
    assert "ann@acme.example" in row
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)
    assert '\'=HYPERLINK("http://evil")' in row
    if crm != "gohighlevel":
        assert "'@SUM(A1)" in cells.values()


def test_headers_are_neutralised_too(monkeypatch):
    columns = (("=cmd|' /C calc'!A0", lambda lead: lead.email),)
    monkeypatch.setitem(FORMATS, "evil", FORMATS["hubspot"].__class__("Evil", columns))
    LeadFactory(email="x@acme.example")
    header, _ = _rows("".join(crm_csv_lines(Lead.objects.all(), "evil")))
    assert header == ["'=cmd|' /C calc'!A0"]


def test_a_rep_exports_only_leads_they_see_ticked_or_filtered(client, rep_alice, rep_bob):
    mine = LeadFactory(email="mine@acme.example", owner=rep_alice)
    other_mine = LeadFactory(email="other@acme.example", owner=rep_alice)
    bobs = LeadFactory(email="bobs@acme.example", owner=rep_bob)
    client.force_login(rep_alice)
    url = reverse("crm:leads_export_crm")

    ticked = client.get(url, {"crm": "salesforce", "leads": [mine.pk, bobs.pk]})
    text = b"".join(ticked.streaming_content).decode()
    assert ticked["Content-Disposition"].startswith('attachment; filename="leads-salesforce-import-')
    assert "mine@acme.example" in text and "bobs@acme.example" not in text and "other@acme.example" not in text

    filtered = b"".join(client.get(url, {"crm": "pipedrive", "q": "acme"}).streaming_content).decode()
    assert "mine@acme.example" in filtered and "other@acme.example" in filtered
    assert "bobs@acme.example" not in filtered
    assert other_mine.pk


def test_an_unknown_crm_or_odd_filter_is_a_bad_request(client, rep_alice):
    client.force_login(rep_alice)
    assert client.get(reverse("crm:leads_export_crm"), {"crm": "zoho"}).status_code == 400
    assert client.get(reverse("crm:leads_export_crm"), {"crm": "hubspot", "owner": "x"}).status_code == 400


def test_the_leads_table_links_to_each_format(client, manager_mia):
    client.force_login(manager_mia)
    page = client.get(reverse("crm:leads")).content.decode()
    for crm in FORMATS:
        assert f"crm={crm}" in page
