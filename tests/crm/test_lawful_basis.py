"""A lead's lawful basis: set by the lead page, a file import's column and the API, each through the one service
that stamps its source and time and writes the timeline; filtered in the leads table; odd values refused (400)."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crm.importing.jobs import import_job_create, import_job_run, import_job_start
from crm.models import Activity, ImportJob, ImportRejection, Lead
from crm.services.consent import lawful_basis_parse, leads_lawful_basis_set
from leadflow.audit import AuditEvent
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db
Basis = Lead.LawfulBasis


def _recently(moment) -> bool:
    return moment is not None and timezone.now() - moment < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("Consent", "consent"),
        ("legitimate-interest", "legitimate_interest"),
        ("Legitimate Interest", "legitimate_interest"),
        ("CONTRACT", "contract"),
        ("yes", "consent"),
        ("No", ""),
        ("", ""),
    ],
)
def test_the_ways_people_write_a_basis(written, stored):
    assert lawful_basis_parse(written) == stored


@pytest.mark.parametrize("odd", ["maybe", "consent!", 5, ["consent"]])
def test_anything_else_is_refused(odd):
    with pytest.raises(ValidationError):
        lawful_basis_parse(odd)


def test_the_service_stamps_source_and_time_and_writes_the_timeline(rep_alice):
    lead = LeadFactory(owner=rep_alice)
    assert leads_lawful_basis_set(lead_ids=[lead.pk], basis="consent", source="Web form", actor=rep_alice) == [lead.pk]
    lead.refresh_from_db()
    assert (lead.lawful_basis, lead.lawful_basis_source) == (Basis.CONSENT, "Web form")
    assert _recently(lead.lawful_basis_at)
    line = lead.activities.get(kind=Activity.Kind.LAWFUL_BASIS)
    assert (line.summary, line.actor) == ("Lawful basis: Consent (Web form)", rep_alice)
    # The same basis from the same source again changes nothing; a different one says what it was.
    assert leads_lawful_basis_set(lead_ids=[lead.pk], basis="consent", source="Web form", actor=None) == []
    leads_lawful_basis_set(lead_ids=[lead.pk], basis="contract", source="Manual", actor=None)
    assert lead.activities.filter(kind=Activity.Kind.LAWFUL_BASIS).first().summary == (
        "Lawful basis: Consent → Contract (Manual)"
    )


def test_the_lead_page_shows_and_sets_the_basis(client, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    client.force_login(rep_alice)
    page = client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    assert "Lawful basis" in page and "Consent withdrawn" in page

    answer = client.post(
        reverse("crm:lead_lawful_basis", args=[lead.pk]),
        {"lawful_basis": "legitimate_interest", "source": "Trade fair badge scan"},
        follow=True,
    )

    lead.refresh_from_db()
    assert (lead.lawful_basis, lead.lawful_basis_source) == (Basis.LEGITIMATE_INTEREST, "Trade fair badge scan")
    assert _recently(lead.lawful_basis_at)
    shown = answer.content.decode()
    assert "Legitimate interest" in shown and "Trade fair badge scan" in shown
    assert lead.activities.filter(kind=Activity.Kind.LAWFUL_BASIS, actor=rep_alice).exists()
    event = AuditEvent.objects.get(action="lead.lawful_basis_set")
    assert (event.object_id, event.object_label, event.changes) == (
        str(lead.pk),
        "",
        {"lawful_basis": ["", "legitimate_interest"]},
    )


def test_without_a_source_the_page_records_manual(client, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    client.force_login(rep_alice)
    client.post(reverse("crm:lead_lawful_basis", args=[lead.pk]), {"lawful_basis": "contract", "source": ""})
    lead.refresh_from_db()
    assert (lead.lawful_basis, lead.lawful_basis_source) == (Basis.CONTRACT, "Manual")


def test_odd_values_on_the_page_are_a_400_and_change_nothing(client, rep_alice, viewer_vic):
    lead = LeadFactory(owner=rep_alice)
    client.force_login(rep_alice)
    url = reverse("crm:lead_lawful_basis", args=[lead.pk])
    assert client.post(url, {"lawful_basis": "maybe"}).status_code == 400
    assert client.post(url, {"lawful_basis": "consent", "source": "x" * 101}).status_code == 400
    assert client.get(url).status_code == 405
    assert client.post(reverse("crm:lead_lawful_basis", args=[10**20])).status_code == 404
    client.force_login(viewer_vic)
    assert client.post(url, {"lawful_basis": "consent"}).status_code == 403
    lead.refresh_from_db()
    assert lead.lawful_basis == "" and lead.lawful_basis_at is None


def _csv(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "fair.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["First Name", "Last Name", "Email", "GDPR consent"])
        writer.writerows(rows)
    return path


def _import(actor, path: Path, on_duplicate: str = "fill") -> ImportJob:
    job = import_job_create(actor=actor, path=path, original_name=path.name)
    assert job.mapping[3] == "lawful_basis"  # suggested from the header
    job = import_job_start(job=job, actor=actor, mapping=job.mapping, on_duplicate=on_duplicate, queue=False)
    import_job_run(job.pk)
    job.refresh_from_db()
    return job


def test_an_import_column_sets_the_basis_with_the_file_as_source(tmp_path, manager_mia):
    path = _csv(
        tmp_path,
        [
            ["Ann", "Lee", "ann@fair.example", "yes"],
            ["Bo", "Ng", "bo@fair.example", "Legitimate interest"],
            ["Cy", "Oh", "cy@fair.example", "no"],
            ["Di", "Po", "di@fair.example", "perhaps"],
        ],
    )

    job = _import(manager_mia, path)

    assert job.status == ImportJob.Status.DONE and job.rows_imported == 4
    bases = dict(Lead.objects.values_list("email", "lawful_basis"))
    assert bases == {
        "ann@fair.example": "consent",
        "bo@fair.example": "legitimate_interest",
        "cy@fair.example": "",
        "di@fair.example": "",
    }
    ann = Lead.objects.get(email="ann@fair.example")
    assert ann.lawful_basis_source == "Import file fair.csv" and _recently(ann.lawful_basis_at)
    assert ann.activities.filter(kind=Activity.Kind.LAWFUL_BASIS, summary__contains="Import file fair.csv").exists()
    problem = ImportRejection.objects.get(job=job, column="GDPR consent")
    assert "Not a lawful basis" in problem.reason
    assert Lead.objects.get(email="di@fair.example").custom_fields == {"GDPR consent (invalid)": "perhaps"}


def test_an_import_fills_a_missing_basis_but_overwrites_only_when_asked(tmp_path, manager_mia):
    kept = LeadFactory(first_name="Ann", last_name="Lee", email="ann@fair.example", lawful_basis=Basis.CONTRACT,
                       lawful_basis_source="Signed order")  # fmt: skip
    empty = LeadFactory(first_name="Bo", last_name="Ng", email="bo@fair.example")
    path = _csv(tmp_path, [["Ann", "Lee", "ann@fair.example", "consent"], ["Bo", "Ng", "bo@fair.example", "yes"]])

    _import(manager_mia, path, on_duplicate="fill")
    kept.refresh_from_db()
    empty.refresh_from_db()
    assert (kept.lawful_basis, kept.lawful_basis_source) == (Basis.CONTRACT, "Signed order")
    assert empty.lawful_basis == Basis.CONSENT

    _import(manager_mia, path, on_duplicate="overwrite")
    kept.refresh_from_db()
    assert (kept.lawful_basis, kept.lawful_basis_source) == (Basis.CONSENT, "Import file fair.csv")


def test_the_tables_bulk_action_sets_the_basis_on_the_leads_one_may_change(client, rep_alice, rep_bob):
    mine, unassigned = LeadFactory(owner=rep_alice), LeadFactory(owner=None)
    client.force_login(rep_alice)
    url = reverse("crm:leads_bulk")
    data = {"action": "lawful_basis", "leads": [mine.pk, unassigned.pk], "to_basis": "consent",
            "basis_source": "Webinar sign-up"}  # fmt: skip
    html = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert "Recorded the lawful basis of 1 lead(s)" in html and "1 lead(s) were left alone" in html
    mine.refresh_from_db()
    unassigned.refresh_from_db()
    assert (mine.lawful_basis, mine.lawful_basis_source) == (Basis.CONSENT, "Webinar sign-up")
    assert unassigned.lawful_basis == ""
    client.post(url, {"action": "lawful_basis", "leads": [mine.pk], "to_basis": "unknown"}, HTTP_HX_REQUEST="true")
    mine.refresh_from_db()
    assert (mine.lawful_basis, mine.lawful_basis_source) == ("", "Manual")
    odd = client.post(url, {"action": "lawful_basis", "leads": [mine.pk], "to_basis": "maybe"}, HTTP_HX_REQUEST="true")
    assert odd.status_code == 200 and "Select a valid choice" in odd.content.decode()


def test_the_leads_table_filters_by_basis(client, manager_mia):
    consenting = LeadFactory(first_name="Consenting", lawful_basis=Basis.CONSENT)
    unknown = LeadFactory(first_name="Unknowing")
    client.force_login(manager_mia)
    page = client.get(reverse("crm:leads"), {"lawful_basis": "consent"}).content.decode()
    assert "Consenting" in page and "Unknowing" not in page
    assert 'name="lawful_basis"' in page and "Legitimate interest" in page
    page = client.get(reverse("crm:leads"), {"lawful_basis": "unknown"}).content.decode()
    assert "Unknowing" in page and "Consenting" not in page
    odd = client.get(reverse("crm:leads"), {"lawful_basis": "bogus"})
    assert odd.status_code == 200  # an odd filter value is left out, as the table's other filters do
    assert {consenting.pk, unknown.pk} <= set(Lead.objects.values_list("pk", flat=True))


def test_the_api_filters_by_basis_and_refuses_an_odd_one(api_as, manager_mia):
    consenting = LeadFactory(lawful_basis=Basis.CONSENT)
    unknown = LeadFactory()
    client = api_as(manager_mia)
    listed = client.get("/api/v1/leads/", {"lawful_basis": "consent"}).json()["results"]
    assert [row["id"] for row in listed] == [consenting.pk]
    assert [row["id"] for row in client.get("/api/v1/leads/", {"lawful_basis": "unknown"}).json()["results"]] == [
        unknown.pk
    ]
    assert client.get("/api/v1/leads/", {"lawful_basis": "bogus"}).status_code == 400


def test_the_api_reads_and_writes_the_basis(api_as, rep_alice):
    client = api_as(rep_alice)
    created = client.post(
        "/api/v1/leads/", {"first_name": "Jo", "email": "jo@park.example", "lawful_basis": "consent"}, format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["lawful_basis"], body["lawful_basis_source"]) == ("consent", "API")
    assert body["lawful_basis_at"].endswith("Z") and body["consent_withdrawn_at"] is None
    lead = Lead.objects.get(pk=body["id"])
    assert _recently(lead.lawful_basis_at)

    changed = client.patch(
        f"/api/v1/leads/{lead.pk}/",
        {"lawful_basis": "legitimate_interest", "lawful_basis_source": "Webinar sign-up"},
        format="json",
    ).json()
    assert (changed["lawful_basis"], changed["lawful_basis_source"]) == ("legitimate_interest", "Webinar sign-up")
    assert lead.activities.filter(kind=Activity.Kind.LAWFUL_BASIS).count() == 2
    assert AuditEvent.objects.filter(action="lead.lawful_basis_set", channel="api").count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"lawful_basis": "maybe"},
        {"lawful_basis": 1},
        {"lawful_basis": None},
        {"lawful_basis": "consent", "lawful_basis_source": "x" * 101},
        {"lawful_basis": "consent", "lawful_basis_source": 7},
        {"lawful_basis_source": "Web form"},
        {"consent_withdrawn": "true"},
    ],
)
def test_odd_values_over_the_api_are_a_400_and_change_nothing(api_as, rep_alice, body):
    lead = LeadFactory(owner=rep_alice)
    answer = api_as(rep_alice).patch(f"/api/v1/leads/{lead.pk}/", body, format="json")
    assert answer.status_code == 400
    lead.refresh_from_db()
    assert (lead.lawful_basis, lead.lawful_basis_at, lead.consent_withdrawn_at) == ("", None, None)
