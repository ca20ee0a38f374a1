"""Who sees and changes what: each role rule, proven through the pages people use."""

import pytest
from django.urls import reverse

from crm.models import Note, User
from crm.services.versions import lead_version
from tests.factories import LeadFactory, TaskFactory, default_stage

pytestmark = pytest.mark.django_db


def test_every_page_needs_login(client):
    lead = LeadFactory()
    for url in [
        reverse("crm:dashboard"),
        reverse("crm:leads"),
        reverse("crm:lead", args=[lead.pk]),
        reverse("crm:board"),
        reverse("crm:lists"),
        reverse("crm:tasks"),
        reverse("crm:settings_pipeline"),
        reverse("crm:settings_users"),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url


def test_nobody_can_sign_up(client):
    response = client.post(
        reverse("account_signup"), {"email": "stranger@example.com", "password1": "x" * 12, "password2": "x" * 12}
    )
    assert b"Sign Up Closed" in response.content
    assert not User.objects.filter(email="stranger@example.com").exists()


def test_rep_cannot_open_another_reps_lead(client, rep_alice, rep_bob):
    lead = LeadFactory(owner=rep_bob)
    client.force_login(rep_alice)
    assert client.get(reverse("crm:lead", args=[lead.pk])).status_code == 404


def test_rep_sees_own_and_unassigned_leads_only(client, rep_alice, rep_bob):
    mine = LeadFactory(owner=rep_alice, last_name="Mine")
    unassigned = LeadFactory(owner=None, last_name="Nobodys")
    theirs = LeadFactory(owner=rep_bob, last_name="Bobs")
    client.force_login(rep_alice)
    page = client.get(reverse("crm:leads")).content.decode()
    assert mine.full_name in page
    assert unassigned.full_name in page
    assert theirs.full_name not in page
    board = client.get(reverse("crm:board")).content.decode()
    assert mine.full_name in board and theirs.full_name not in board


def test_rep_can_see_but_not_edit_an_unassigned_lead(client, rep_alice):
    lead = LeadFactory(owner=None)
    client.force_login(rep_alice)
    assert client.get(reverse("crm:lead", args=[lead.pk])).status_code == 200
    response = client.post(reverse("crm:lead_note_add", args=[lead.pk]), {"body": "Trying"})
    assert response.status_code == 403
    assert not Note.objects.exists()


def test_rep_edits_own_lead(client, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    client.force_login(rep_alice)
    response = client.post(reverse("crm:lead_note_add", args=[lead.pk]), {"body": "Called, no answer"})
    assert response.status_code == 302
    assert Note.objects.get(lead=lead).body == "Called, no answer"


def test_rep_cannot_reassign(client, rep_alice, rep_bob):
    lead = LeadFactory(owner=rep_alice)
    client.force_login(rep_alice)
    response = client.post(reverse("crm:lead_owner", args=[lead.pk]), {"owner": rep_bob.pk})
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.owner == rep_alice


def test_manager_sees_all_and_reassigns(client, manager_mia, rep_alice, rep_bob):
    lead = LeadFactory(owner=rep_bob)
    client.force_login(manager_mia)
    assert client.get(reverse("crm:lead", args=[lead.pk])).status_code == 200
    response = client.post(
        reverse("crm:lead_owner", args=[lead.pk]), {"owner": rep_alice.pk, "version": lead_version(lead)}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.owner == rep_alice
    assert lead.activities.filter(kind="owner").exists()


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("crm:lead_note_add", {"body": "hello"}),
        ("crm:lead_task_add", {"title": "Call", "kind": "call"}),
        ("crm:lead_facts", {"first_name": "New"}),
        ("crm:lead_stage", {"stage": "STAGE"}),
    ],
)
def test_viewer_reads_but_every_write_is_forbidden(client, viewer_vic, rep_alice, url_name, data):
    lead = LeadFactory(owner=rep_alice, first_name="Old")
    data = {key: (default_stage(1).pk if value == "STAGE" else value) for key, value in data.items()}
    client.force_login(viewer_vic)
    assert client.get(reverse("crm:lead", args=[lead.pk])).status_code == 200
    assert client.post(reverse(url_name, args=[lead.pk]), data).status_code == 403
    lead.refresh_from_db()
    assert lead.first_name == "Old"
    assert lead.stage == default_stage(0)
    assert not lead.notes.exists() and not lead.tasks.exists()


def test_viewer_cannot_move_cards_bulk_edit_or_complete_tasks(client, viewer_vic, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    task = TaskFactory(lead=lead, assignee=viewer_vic)
    client.force_login(viewer_vic)
    move = client.post(
        reverse("crm:board_move"), {"lead": lead.pk, "stage": default_stage(1).pk, "from_stage": lead.stage_id}
    )
    assert move.status_code == 403
    bulk = client.post(
        reverse("crm:leads_bulk"), {"action": "move", "leads": [lead.pk], "to_stage": default_stage(1).pk}
    )
    assert bulk.status_code == 403
    assert client.post(reverse("crm:task_complete", args=[task.pk])).status_code == 403
    assert client.post(reverse("crm:list_create"), {"name": "Mine"}).status_code == 403
    lead.refresh_from_db()
    task.refresh_from_db()
    assert lead.stage == default_stage(0)
    assert not task.done


def test_only_admins_reach_settings(client, manager_mia, admin_ada):
    client.force_login(manager_mia)
    assert client.get(reverse("crm:settings_pipeline")).status_code == 403
    assert client.get(reverse("crm:settings_users")).status_code == 403
    client.force_login(admin_ada)
    assert client.get(reverse("crm:settings_pipeline")).status_code == 200
    assert client.get(reverse("crm:settings_users")).status_code == 200


def test_unknown_ids_are_404(client, admin_ada):
    client.force_login(admin_ada)
    assert client.get(reverse("crm:lead", args=[999999])).status_code == 404
    assert client.post(reverse("crm:task_complete", args=[999999])).status_code == 404
    assert client.get(reverse("crm:list_edit", args=[999999])).status_code == 404
    assert client.get(reverse("crm:board_cards", args=[999999])).status_code == 404


def test_writes_need_a_csrf_token_even_from_htmx(rep_alice):
    from django.test import Client

    lead = LeadFactory(owner=rep_alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep_alice)
    response = client.post(reverse("crm:lead_note_add", args=[lead.pk]), {"body": "x"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    page = client.get(reverse("crm:lead", args=[lead.pk]))
    token = page.cookies["csrftoken"].value
    response = client.post(
        reverse("crm:lead_note_add", args=[lead.pk]), {"body": "x"}, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200
    assert lead.notes.count() == 1
