"""Audit: bulk deletions (leads table, admin, API; other records in the admin), merges, and imports started,
finished and undone."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from crm.models import DuplicateCandidate, ImportJob, Lead
from leadflow.audit import AuditEvent
from tests.factories import CompanyFactory, LeadFactory

pytestmark = pytest.mark.django_db

CSV_TEXT = "First Name,E-mail Address,Notes\r\nAda,ada@engines.example,\r\nGrace,grace@cobol.example,\r\n,,orphan\r\n"


def test_a_bulk_delete_from_the_leads_table_is_one_event_naming_the_leads_by_id(client, manager_mia, only_event):
    leads = LeadFactory.create_batch(3, first_name="Priya")
    client.force_login(manager_mia)
    ids = [lead.pk for lead in leads[:2]]
    client.post(
        reverse("crm:leads_bulk"), {"action": "delete", "leads": ids, "confirmed": "on"}, HTTP_HX_REQUEST="true"
    )

    event = only_event("leads.deleted")
    assert (event.actor, event.details) == (manager_mia, {"count": 2, "ids": sorted(ids), "asked": 2})
    assert "Priya" not in str(event.details) and event.object_label == ""


def test_the_admins_delete_selected_is_recorded(client, admin_ada, only_event):
    leads = LeadFactory.create_batch(2)
    client.force_login(admin_ada)
    selected = [lead.pk for lead in leads]
    client.post(
        reverse("admin:crm_lead_changelist"), {"action": "delete_selected", "_selected_action": selected, "post": "yes"}
    )

    assert not Lead.objects.exists()
    assert only_event("leads.deleted").details["count"] == 2


def test_a_delete_through_the_api_is_recorded_as_api(api_as, manager_mia, only_event):
    lead = LeadFactory()
    assert api_as(manager_mia).delete(f"/api/v1/leads/{lead.pk}/").status_code == 204

    event = only_event("leads.deleted")
    assert (event.actor, event.channel, event.details["ids"]) == (manager_mia, "api", [lead.pk])


def test_a_merge_is_recorded_on_the_surviving_lead(client, rep_alice, only_event):
    john = LeadFactory(first_name="John", last_name="Smith", email="", owner=rep_alice)
    jon = LeadFactory(first_name="Jon", last_name="Smith", email="jon@acme.example", owner=rep_alice)
    candidate = DuplicateCandidate.objects.create(lead_a_id=john.pk, lead_b_id=jon.pk, score=95, reason="Similar")
    client.force_login(rep_alice)
    rows = client.get(reverse("crm:duplicate_merge", args=[candidate.pk])).context["rows"]
    form = {row.name: "left" for row in rows if row.choice} | {"survivor": "left", "email": "right", "confirm": "on"}
    client.post(reverse("crm:duplicate_merge", args=[candidate.pk]), form)

    event = only_event("leads.merged")
    assert (event.actor, event.object_type, event.object_id, event.object_label) == (
        rep_alice,
        "crm.lead",
        str(john.pk),
        "",
    )
    assert event.details["merged_lead"] == jon.pk and "email" in event.details["taken"]
    assert "jon@acme.example" not in str(event.details)


def test_an_import_started_finished_and_undone_from_the_pages(
    client, manager_mia, only_event, django_capture_on_commit_callbacks
):
    client.force_login(manager_mia)
    client.post(reverse("crm:imports"), {"file": SimpleUploadedFile("people.csv", CSV_TEXT.encode(), "text/csv")})
    job = ImportJob.objects.get()
    data = {f"col_{index}": target for index, target in enumerate(job.mapping)}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("crm:import_mapping", args=[job.pk]), {**data, "on_duplicate": "skip", "start": "1"})
    client.post(reverse("crm:import_undo", args=[job.pk]))

    started = only_event("import.started")
    assert (started.actor, started.channel, started.object_id) == (manager_mia, "web", str(job.pk))
    assert started.details["file"] == "people.csv" and started.details["on_duplicate"] == "skip"
    finished = only_event("import.finished")
    assert (finished.actor, finished.channel) == (manager_mia, "job")
    assert (finished.details["status"], finished.details["imported"], finished.details["rejected"]) == ("done", 2, 1)
    undone = only_event("import.undone")
    assert (undone.actor, undone.details["removed"], undone.details["kept"]) == (manager_mia, 2, 0)


def test_an_import_from_the_command_is_recorded_as_a_command(tmp_path, admin_ada, only_event):
    path = tmp_path / "people.csv"
    path.write_text(CSV_TEXT)
    call_command("import_leads", str(path), "--user", admin_ada.email, stdout=io.StringIO())

    started = only_event("import.started")
    assert (started.actor, started.channel) == (admin_ada, "command")
    assert only_event("import.finished").details["imported"] == 2


def test_the_admins_delete_selected_on_other_records_is_recorded(client, admin_ada, only_event):
    companies = CompanyFactory.create_batch(2)
    client.force_login(admin_ada)
    selected = [company.pk for company in companies]
    client.post(
        reverse("admin:crm_company_changelist"),
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )

    event = only_event("records.deleted")
    assert (event.actor, event.details) == (admin_ada, {"model": "crm.company", "count": 2, "ids": sorted(selected)})
    assert not AuditEvent.objects.filter(action="leads.deleted").exists()


def test_asking_to_delete_in_the_admin_records_nothing_until_confirmed(client, admin_ada):
    company = CompanyFactory()
    client.force_login(admin_ada)
    client.post(
        reverse("admin:crm_company_changelist"), {"action": "delete_selected", "_selected_action": [company.pk]}
    )

    assert not AuditEvent.objects.filter(action="records.deleted").exists()
