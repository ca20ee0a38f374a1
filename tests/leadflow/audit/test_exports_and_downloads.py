"""Audit: data leaving Leadflow: the leads table's CSV/XLSX export, the CRM-format export, the admin's export, the
export_leads command, an analytics table's CSV, an import's rejected rows, a conversation's attachment and the
suppression list."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from crm.models import ImportJob
from outreach.models import Suppression
from outreach.suppression import suppress
from tests.factories import LeadFactory, default_stage
from tests.outreach.test_inbox_pages import thread_with

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_a_leads_table_export_records_its_filter_and_row_count(client, manager_mia, only_event, export_format):
    LeadFactory.create_batch(3, stage=default_stage(0), last_name="Shah")
    LeadFactory(stage=default_stage(1), last_name="Shah")
    client.force_login(manager_mia)
    response = client.get(
        reverse("crm:leads_export"), {"format": export_format, "stage": default_stage(0).pk, "q": "Shah"}
    )
    b"".join(response.streaming_content) if export_format == "csv" else response.getvalue()

    event = only_event("leads.exported")
    assert (event.actor, event.channel) == (manager_mia, "web")
    assert event.details == {
        "format": export_format,
        "filters": {"stage": str(default_stage(0).pk), "search": True},
        "rows": 3,
    }
    assert "Shah" not in str(event.details)  # search words may be a lead's name or email: never kept


def test_a_crm_format_export_of_ticked_leads_is_recorded(client, manager_mia, only_event):
    leads = LeadFactory.create_batch(3)
    client.force_login(manager_mia)
    client.get(reverse("crm:leads_export_crm"), {"crm": "hubspot", "leads": [leads[0].pk, leads[1].pk]})

    event = only_event("leads.exported")
    assert event.details == {"format": "hubspot csv", "filters": {"ticked": 2}, "rows": 2}


def test_the_admins_export_is_recorded(client, admin_ada, only_event):
    leads = LeadFactory.create_batch(2)
    client.force_login(admin_ada)
    page = client.post(
        reverse("admin:crm_lead_changelist"),
        {"action": "export_admin_action", "_selected_action": [x.pk for x in leads]},
    )
    chosen = {name: "on" for name in page.context["form"].fields if name.startswith("leadresource_")}
    data = {"format": "0", "resource": "0", "export_items": [x.pk for x in leads], **chosen}
    assert client.post(reverse("admin:crm_lead_export"), data).status_code == 200

    event = only_event("leads.exported")
    assert (event.actor, event.details["rows"]) == (admin_ada, 2)


def test_the_export_command_is_recorded_as_a_command(tmp_path, only_event):
    LeadFactory.create_batch(2)
    call_command("export_leads", "--format", "csv", "--output", str(tmp_path / "out.csv"), stdout=io.StringIO())

    event = only_event("leads.exported")
    assert (event.actor, event.channel, event.details["rows"], event.details["format"]) == (None, "command", 2, "csv")


def test_an_analytics_csv_download_is_recorded(client, manager_mia, only_event):
    client.force_login(manager_mia)
    response = client.get(reverse("analytics:table_csv", args=["funnel", "funnel"]), {"preset": "30"})
    assert response.status_code == 200

    event = only_event("analytics.exported")
    assert (event.actor, event.details["report"], event.details["table"]) == (manager_mia, "funnel", "funnel")
    assert event.details["scope"]["preset"] == "custom" and isinstance(event.details["rows"], int)


def test_downloading_an_imports_rejected_rows_is_recorded(
    client, manager_mia, only_event, django_capture_on_commit_callbacks
):
    client.force_login(manager_mia)
    text = "First Name,E-mail Address,Notes\r\nAda,ada@engines.example,\r\n,,orphan row\r\n"
    client.post(reverse("crm:imports"), {"file": SimpleUploadedFile("people.csv", text.encode(), "text/csv")})
    job = ImportJob.objects.get()
    data = {f"col_{index}": target for index, target in enumerate(job.mapping)}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("crm:import_mapping", args=[job.pk]), {**data, "on_duplicate": "skip", "start": "1"})
    client.get(reverse("crm:import_rejected", args=[job.pk]))

    event = only_event("import.rejected_downloaded")
    assert (event.actor, event.object_type, event.object_id, event.details) == (
        manager_mia,
        "crm.importjob",
        str(job.pk),
        {"rows": 1},
    )


def test_downloading_a_conversations_attachment_is_recorded_by_ids_only(client, rep_alice, only_event):
    lead = LeadFactory(first_name="Priya", owner=rep_alice)
    path = default_storage.save("inbound/test/priya-cv.pdf", ContentFile(b"%PDF"))
    conversation = thread_with(lead, "CV attached", attachments=[{"name": "priya-cv.pdf", "size": 4, "path": path}])
    message = conversation.messages.get()
    client.force_login(rep_alice)
    client.get(reverse("outreach:conversation_attachment", args=[conversation.pk, 0]), {"message": message.pk})

    event = only_event("attachment.downloaded")
    assert (event.actor, event.details) == (
        rep_alice,
        {"conversation": conversation.pk, "message": message.pk, "index": 0},
    )
    assert "priya" not in str(event.details).lower()


def test_exporting_the_suppression_list_is_recorded(client, manager_mia, only_event):
    suppress("ann@prospect.example", Suppression.Reason.MANUAL)
    client.force_login(manager_mia)
    client.get(reverse("outreach:suppression_export"), {"q": "ann"})

    event = only_event("suppressions.exported")
    assert (event.actor, event.details) == (manager_mia, {"rows": 1, "search": True})
