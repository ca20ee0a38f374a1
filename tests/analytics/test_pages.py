"""The analytics pages: every report opens for a range, each table downloads as a formula-safe CSV, odd input is
refused or ignored with a message, and a rep's figures are their own."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.reports import REPORTS, Column, Table, report, reports_ordered
from crm.exporting import CSV_BOM
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def formula_report():
    """A report whose cells hold text a spreadsheet would run as a formula."""

    @report("test-formulas", "Formulas", order=999)
    def build(scope):
        return [
            Table(
                slug="cells",
                title="Cells",
                columns=[Column("name", "=Name"), Column("count", "Count", "int"), Column("rate", "Rate", "percent")],
                rows=[{"name": '=HYPERLINK("http://evil")', "count": 3, "rate": 0.25}, {"name": "@SUM(A1)"}],
            )
        ]

    yield
    del REPORTS["test-formulas"]


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    assert text.startswith(CSV_BOM)
    return list(csv.reader(io.StringIO(text.removeprefix(CSV_BOM))))


def test_the_index_links_every_report_in_order(client, manager_mia):
    client.force_login(manager_mia)
    page = client.get(reverse("analytics:index")).content.decode()
    positions = [page.index(reverse("analytics:report", args=[item.slug])) for item in reports_ordered()]
    assert {"funnel", "sources"} <= set(REPORTS)
    assert positions == sorted(positions)


@pytest.mark.parametrize("slug", sorted(REPORTS))
@pytest.mark.parametrize("persona", ["admin_ada", "manager_mia", "rep_alice", "viewer_vic"])
def test_every_role_opens_every_report_with_its_charts_and_tables(client, request, slug, persona):
    user = request.getfixturevalue(persona)
    LeadFactory(owner=user, source="Webinar")
    client.force_login(user)
    response = client.get(reverse("analytics:report", args=[slug]), {"preset": "7"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<table" in body and "Download CSV" in body
    if any(table.chart for table in response.context["page"].tables if table.rows):
        assert "<svg" in body


def test_a_table_downloads_as_csv_with_formulas_neutralised(client, manager_mia, formula_report):
    client.force_login(manager_mia)
    response = client.get(reverse("analytics:table_csv", args=["test-formulas", "cells"]), {"preset": "30"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    today = timezone.localdate()
    start = today - timedelta(days=29)
    assert f'filename="test-formulas-cells-{start}-{today}.csv"' in response["Content-Disposition"]
    assert _csv(response) == [
        ["'=Name", "Count", "Rate (%)"],
        ['\'=HYPERLINK("http://evil")', "3", "25.0"],
        ["'@SUM(A1)", "", ""],
    ]


def test_the_page_writes_text_escaped(client, manager_mia, formula_report):
    client.force_login(manager_mia)
    body = client.get(reverse("analytics:report", args=["test-formulas"])).content.decode()
    assert "=HYPERLINK(&quot;http://evil&quot;)" in body
    assert "25.0%" in body


def test_unknown_reports_and_tables_are_not_found(client, manager_mia):
    client.force_login(manager_mia)
    assert client.get("/analytics/no-such-report/").status_code == 404
    assert client.get("/analytics/no-such-report/funnel.csv").status_code == 404
    assert client.get("/analytics/funnel/no-such-table.csv").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"preset": "custom", "start": "2026-02-31", "end": "2026-03-01"},
        {"preset": "custom", "start": "2026-03-10", "end": "2026-03-01"},
        {"preset": "custom", "start": "2000-01-01", "end": "2026-03-01"},
        {"preset": "custom", "start": "2026-03-01"},
        {"preset": "forever"},
        {"owner": "abc"},
        {"owner": "99999999999999999999999999"},
        {"list": "²"},
        {"campaign": "-1"},
        {"sequence": "0x10"},
    ],
)
def test_odd_parameters_are_left_out_with_a_message_and_refused_for_files(client, manager_mia, query):
    client.force_login(manager_mia)
    page = client.get(reverse("analytics:report", args=["funnel"]), query)
    assert page.status_code == 200
    assert "Some filters were left out" in page.content.decode()
    assert client.get(reverse("analytics:table_csv", args=["funnel", "funnel"]), query).status_code == 400


def test_a_rep_sees_only_their_own_figures_whatever_owner_they_ask_for(client, rep_alice, rep_bob):
    LeadFactory.create_batch(2, owner=rep_alice)
    LeadFactory.create_batch(5, owner=rep_bob)
    client.force_login(rep_alice)
    response = client.get(reverse("analytics:report", args=["funnel"]), {"owner": rep_bob.pk})
    added = response.context["page"].tables[0].rows[0]
    assert added["count"] == 2
    assert response.context["page"].scope.owner_id == rep_alice.pk
    assert 'name="owner"' not in response.content.decode()


def test_a_manager_narrows_the_figures_to_one_owner(client, manager_mia, rep_alice, rep_bob):
    LeadFactory.create_batch(2, owner=rep_alice)
    LeadFactory.create_batch(5, owner=rep_bob)
    client.force_login(manager_mia)
    everyone = client.get(reverse("analytics:report", args=["funnel"]))
    bobs = client.get(reverse("analytics:report", args=["funnel"]), {"owner": rep_bob.pk})
    assert everyone.context["page"].tables[0].rows[0]["count"] == 7
    assert bobs.context["page"].tables[0].rows[0]["count"] == 5


def test_links_between_reports_keep_the_chosen_range_and_filters(client, manager_mia, rep_bob):
    client.force_login(manager_mia)
    query = {"preset": "custom", "start": "2026-01-01", "end": "2026-01-31", "owner": rep_bob.pk, "source": "Ads"}
    body = client.get(reverse("analytics:report", args=["funnel"]), query).content.decode()
    kept = f"?preset=custom&amp;start=2026-01-01&amp;end=2026-01-31&amp;owner={rep_bob.pk}&amp;source=Ads"
    assert reverse("analytics:report", args=["sources"]) + kept in body
    assert reverse("analytics:table_csv", args=["funnel", "funnel"]) + kept in body


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("analytics:report", args=["funnel"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
