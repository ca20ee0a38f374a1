"""Exporting the leads table as CSV or XLSX: the rows the table shows, the columns people need, safe to open."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Lead
from crm.services.lists import list_add_leads
from tests.factories import CompanyFactory, LeadFactory, LeadListFactory, default_stage

pytestmark = pytest.mark.django_db


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _csv_table(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def _xlsx(response) -> list[list]:
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _export(client, **params):
    return client.get(reverse("crm:leads_export"), {"format": "csv", **params})


def test_it_exports_the_filtered_table_on_every_page_in_its_order(client, manager_mia, settings):
    settings.LEADS_PAGE_SIZE = 2
    for score in (10, 40, 30, 20):
        LeadFactory(last_name=f"Scored{score}", score=score, stage=default_stage(1))
    LeadFactory(last_name="Elsewhere", score=99, stage=default_stage(0))
    client.force_login(manager_mia)

    response = _export(client, stage=default_stage(1).pk, sort="-score", page="2")

    assert response["Content-Disposition"] == f'attachment; filename="leads-{date.today().isoformat()}.csv"'
    assert [row["last_name"] for row in _csv(response)] == ["Scored40", "Scored30", "Scored20", "Scored10"]


def test_it_carries_the_fields_stage_owner_company_tags_custom_fields_and_other_addresses(client, manager_mia):
    lead = LeadFactory(
        first_name="Hedda",
        last_name="Lindqvist",
        email="hedda@aster.example",
        other_emails=["h.lindqvist@home.example", "hedda@old.example"],
        other_phones=["+4930123456"],
        company=CompanyFactory(name="Aster Metals"),
        owner=manager_mia,
        stage=default_stage(2),
        deal_value=12500,
        custom_fields={"fleet_size": 40, "region": "DACH"},
    )
    lead.tags.create(name="fintech")
    LeadFactory(custom_fields={"budget": "tbd"})
    client.force_login(manager_mia)

    rows = {row["email"]: row for row in _csv(_export(client))}

    row = rows["hedda@aster.example"]
    assert row["first_name"] == "Hedda" and row["last_name"] == "Lindqvist"
    assert row["other_emails"] == "h.lindqvist@home.example; hedda@old.example"
    # A leading + is a formula to a spreadsheet: the one rule (crm.resources.formula_neutralise) marks it as text,
    # and the admin import takes the mark off again.
    assert row["other_phones"] == "'+4930123456"
    assert row["company"] == "Aster Metals"
    assert row["stage"] == default_stage(2).name
    assert row["owner"] == manager_mia.email
    assert row["tags"] == "fintech"
    assert row["deal_value"] == "12500.00"
    # One column per custom field any exported lead has, blank where this lead has none.
    assert (row["fleet_size (custom)"], row["region (custom)"], row["budget (custom)"]) == ("40", "DACH", "")


def test_a_reps_export_holds_only_the_leads_the_rep_sees(client, rep_alice, rep_bob):
    LeadFactory(last_name="Alices", owner=rep_alice)
    LeadFactory(last_name="Unassigned", owner=None)
    LeadFactory(last_name="Bobs", owner=rep_bob, custom_fields={"secret_key": "x"})
    client.force_login(rep_alice)

    rows = _csv(_export(client))

    assert sorted(row["last_name"] for row in rows) == ["Alices", "Unassigned"]
    # Not even the custom field names of a lead the rep cannot see.
    assert not any(column.endswith("(custom)") for column in rows[0])
    # Naming another rep as owner finds nothing rather than their leads.
    assert _csv(_export(client, owner=rep_bob.pk)) == []


def test_a_viewer_exports_everything_read_only(client, viewer_vic, rep_bob):
    LeadFactory(owner=rep_bob)
    LeadFactory(owner=None)
    client.force_login(viewer_vic)
    assert len(_csv(_export(client))) == 2


def test_cells_and_headers_cannot_run_as_formulas(client, manager_mia):
    LeadFactory(
        first_name='=HYPERLINK("http://evil.example")',
        title="+1 trick",
        company=CompanyFactory(name="@SUM(A1)"),
        custom_fields={"=cmd|' /C calc'!A0": "-2+3"},
    )
    client.force_login(manager_mia)

    for header, cells in (_csv_table(_export(client)), _xlsx(_export(client, format="xlsx"))):
        # A custom field's name heads its column: it came from an imported file, as live as any cell.
        assert "'=cmd|' /C calc'!A0 (custom)" in header
        row = dict(zip(header, cells, strict=True))
        assert row["'=cmd|' /C calc'!A0 (custom)"] == "'-2+3"
        assert row["first_name"] == '\'=HYPERLINK("http://evil.example")'
        assert row["title"] == "'+1 trick"
        assert row["company"] == "'@SUM(A1)"


def test_xlsx_opens_in_openpyxl_with_numbers_and_dates_as_such(client, manager_mia):
    LeadFactory(last_name="Lindqvist", deal_value=12500, score=71, other_emails=["a@b.example"])
    client.force_login(manager_mia)

    response = _export(client, format="xlsx")

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == f'attachment; filename="leads-{date.today().isoformat()}.xlsx"'
    header, row = _xlsx(response)
    cells = dict(zip(header, row, strict=True))
    assert cells["last_name"] == "Lindqvist"
    assert cells["deal_value"] == 12500 and cells["score"] == 71
    assert cells["other_emails"] == "a@b.example"
    assert cells["created_at"].year == date.today().year


@pytest.mark.parametrize(
    "params",
    [
        {"format": "pdf"},
        {"format": ""},
        {"stage": "99999999999999999999999"},
        {"stage": "²"},
        {"owner": "abc"},
        {"list": "-1"},
        {"sort": "password"},
        {"tag": "no-such-tag"},
    ],
)
def test_odd_parameters_are_refused_not_widened(client, manager_mia, params):
    LeadFactory()
    client.force_login(manager_mia)
    assert _export(client, **params).status_code == 400


def test_the_table_links_its_export_with_its_filters(client, manager_mia):
    lead_list = LeadListFactory(name="Fair")
    list_add_leads(lead_list=lead_list, leads=[LeadFactory()], actor=manager_mia)
    client.force_login(manager_mia)
    html = client.get(reverse("crm:leads"), {"list": lead_list.pk, "q": "a", "page": "1"}).content.decode()
    assert f'href="/leads/export/?list={lead_list.pk}&amp;q=a&amp;format=csv"' in html
    assert f'href="/leads/export/?list={lead_list.pk}&amp;q=a&amp;format=xlsx"' in html


def test_the_command_writes_the_same_export_and_says_how_many(tmp_path, rep_alice, rep_bob):
    LeadFactory(last_name="Alices", owner=rep_alice, stage=default_stage(1), custom_fields={"region": "DACH"})
    LeadFactory(last_name="Alices2", owner=rep_alice, stage=default_stage(0))
    LeadFactory(last_name="Bobs", owner=rep_bob, stage=default_stage(1))
    out = io.StringIO()
    csv_path = tmp_path / "leads.csv"

    call_command(
        "export_leads",
        "--format=csv",
        f"--output={csv_path}",
        f"--user={rep_alice.email}",
        "--stage=Contacted",
        stdout=out,
    )

    assert out.getvalue().strip() == f"Wrote 1 lead to {csv_path}."
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert [(row["last_name"], row["region (custom)"]) for row in rows] == [("Alices", "DACH")]

    xlsx_path = tmp_path / "leads.xlsx"
    call_command("export_leads", "--format=xlsx", f"--output={xlsx_path}", "--owner=none", stdout=out)
    assert "Wrote 0 leads" in out.getvalue()
    call_command("export_leads", "--format=xlsx", f"--output={xlsx_path}", stdout=out)
    assert "Wrote 3 leads" in out.getvalue()
    assert len(list(openpyxl.load_workbook(xlsx_path, read_only=True).active.iter_rows())) == 4


def test_the_command_refuses_unknown_names(tmp_path):
    with pytest.raises(CommandError, match="no stage called 'Nowhere'"):
        call_command("export_leads", "--format=csv", f"--output={tmp_path / 'x.csv'}", "--stage=Nowhere")
    with pytest.raises(CommandError, match="no active user"):
        call_command("export_leads", "--format=csv", f"--output={tmp_path / 'x.csv'}", "--user=nobody@x.example")


def test_the_export_runs_the_same_queries_for_few_leads_or_many(client, manager_mia):
    def export_queries(count: int) -> int:
        for _ in range(count):
            LeadFactory(owner=manager_mia, custom_fields={"region": "DACH"}).tags.create(
                name=f"tag{Lead.objects.count()}"
            )
        client.force_login(manager_mia)
        with CaptureQueriesContext(connection) as queries:
            assert len(_csv(_export(client, sort="-score"))) == Lead.objects.count()
        return len(queries)

    assert export_queries(2) == export_queries(40)
