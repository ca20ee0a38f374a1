"""Every way of moving a lead to a lost stage asks why, and the reason lands on its StageChange and timeline."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import Activity, Lead, StageChange
from crm.services.leads import lead_move_stage, leads_bulk_move_stage
from crm.services.versions import lead_version
from tests.crm.test_admin import CSV_FORMAT, import_file, messages_of, run_action
from tests.factories import LeadFactory, default_stage

pytestmark = pytest.mark.django_db


def _lost():
    return default_stage(7)


def test_the_service_refuses_a_move_to_lost_without_a_reason(rep_alice):
    lead = LeadFactory(owner=rep_alice)
    with pytest.raises(ValidationError, match="Say why the deal was lost"):
        lead_move_stage(lead=lead, stage=_lost(), actor=rep_alice, lost_reason="   ")
    with pytest.raises(ValidationError, match="under 300 characters"):
        lead_move_stage(lead=lead, stage=_lost(), actor=rep_alice, lost_reason="x" * 301)
    lead.refresh_from_db()
    assert lead.stage == default_stage(0)
    # Other stages need no reason.
    assert lead_move_stage(lead=lead, stage=default_stage(1), actor=rep_alice).lost_reason == ""


def test_the_lead_page_moves_to_lost_with_a_reason(client, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    client.force_login(rep_alice)
    url = reverse("crm:lead_stage", args=[lead.pk])

    refused = client.post(url, {"stage": _lost().pk, "version": lead_version(lead)}, follow=True)
    assert "Say why the deal was lost before moving it to Lost." in refused.content.decode()
    lead.refresh_from_db()
    assert lead.stage == default_stage(0)

    page = client.post(
        url, {"stage": _lost().pk, "lost_reason": "Built it in-house", "version": lead_version(lead)}, follow=True
    ).content.decode()
    assert "Moved from New to Lost: Built it in-house" in page
    assert StageChange.objects.get(lead=lead, to_stage=_lost()).lost_reason == "Built it in-house"
    # The page offers the reason field for the lost stage only.
    assert page.count("data-asks-reason") == 1 and "data-asks-reason>Lost</option>" in page
    assert 'data-reason-for="stage"' in page


def test_the_bulk_move_to_lost_needs_a_reason(client, manager_mia):
    leads = [LeadFactory() for _ in range(2)]
    ids = [lead.pk for lead in leads]
    client.force_login(manager_mia)
    url = reverse("crm:leads_bulk")

    refused = client.post(url, {"action": "move", "leads": ids, "to_stage": _lost().pk}, HTTP_HX_REQUEST="true")
    assert "Say why the selected deals were lost before moving them to Lost." in refused.content.decode()
    assert not Lead.objects.filter(stage=_lost()).exists()

    moved = client.post(
        url,
        {"action": "move", "leads": ids, "to_stage": _lost().pk, "lost_reason": "No budget this year"},
        HTTP_HX_REQUEST="true",
    )
    assert "Moved 2 lead(s) to Lost" in moved.content.decode()
    assert set(StageChange.objects.filter(to_stage=_lost()).values_list("lost_reason", flat=True)) == {
        "No budget this year"
    }
    assert Activity.objects.filter(summary="Moved from New to Lost: No budget this year").count() == 2


def test_the_bulk_service_refuses_lost_without_a_reason(manager_mia):
    lead = LeadFactory()
    with pytest.raises(ValidationError):
        leads_bulk_move_stage(leads=[lead], stage=_lost(), actor=manager_mia)


def test_the_admin_action_moves_to_lost_with_a_reason(client, manager_mia):
    leads = [LeadFactory() for _ in range(2)]
    client.force_login(manager_mia)

    refused = run_action(client, "move_stage", leads, stage=_lost().pk)
    assert "Say why the deal was lost" in " ".join(messages_of(refused))
    assert not Lead.objects.filter(stage=_lost()).exists()

    run_action(client, "move_stage", leads, stage=_lost().pk, lost_reason="Went quiet")
    assert StageChange.objects.filter(to_stage=_lost(), lost_reason="Went quiet").count() == 2


def test_an_admin_import_moves_to_lost_with_its_reason_column(client, manager_mia):
    lead = LeadFactory(first_name="Ada", last_name="Lovelace")
    rows = ["id,first_name,last_name,stage,lost_reason", f"{lead.pk},Ada,Lovelace,Lost,Chose a competitor"]
    upload = SimpleUploadedFile("leads.csv", "\n".join(rows).encode(), content_type="text/csv")
    client.force_login(manager_mia)
    import_file(client, upload, CSV_FORMAT)
    lead.refresh_from_db()
    assert lead.stage == _lost()
    assert StageChange.objects.get(lead=lead, to_stage=_lost()).lost_reason == "Chose a competitor"


def test_the_admin_change_form_moves_to_lost_only_with_a_reason(client, admin_ada):
    lead = LeadFactory(first_name="Ada")
    client.force_login(admin_ada)
    url = reverse("admin:crm_lead_change", args=[lead.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update(stage=_lost().pk, tags=[])

    refused = client.post(url, data)
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["lost_reason"] == [
        "Say why the deal was lost before moving it to Lost."
    ]
    lead.refresh_from_db()
    assert lead.stage == default_stage(0)

    assert client.post(url, data | {"lost_reason": "Chose a competitor"}).status_code == 302
    lead.refresh_from_db()
    assert lead.stage == _lost()
    assert StageChange.objects.get(lead=lead, to_stage=_lost()).lost_reason == "Chose a competitor"
