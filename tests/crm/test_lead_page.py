"""The lead page: facts, inline edit, timeline, notes, tasks, stage and owner."""

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crm.models import Activity, StageChange
from crm.services.leads import lead_claim, lead_update
from crm.services.versions import lead_version
from tests.factories import CompanyFactory, LeadFactory, NoteFactory, TaskFactory, default_stage

pytestmark = pytest.mark.django_db


def test_it_shows_facts_timeline_and_tasks(client, rep_alice):
    lead = LeadFactory(owner=rep_alice, title="Head of Growth", company=CompanyFactory(name="Acme"))
    TaskFactory(lead=lead, title="Send the deck", assignee=rep_alice)
    lead.activities.create(kind="created", summary="Created in New")
    client.force_login(rep_alice)
    html = client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    assert "Head of Growth" in html and "Acme" in html
    assert "Send the deck" in html
    assert "Created in New" in html


def test_inline_edit_saves_and_records_each_change(client, rep_alice):
    lead = LeadFactory(owner=rep_alice, title="CTO", first_name="Jo", last_name="Park")
    client.force_login(rep_alice)
    form = client.get(reverse("crm:lead_facts", args=[lead.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'value="CTO"' in form and "<html" not in form
    response = client.post(
        reverse("crm:lead_facts", args=[lead.pk]),
        {
            "first_name": "Jo",
            "last_name": "Park",
            "title": "CEO",
            "email": lead.email,
            "lifecycle": "lead",
            "company_name": "Park Industries",
            "tags": "board",
            "version": lead_version(lead),
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "CEO" in html and "Park Industries" in html
    assert 'hx-swap-oob="true"' in html  # the timeline refreshes too
    lead.refresh_from_db()
    assert lead.title == "CEO" and lead.lifecycle == "lead" and lead.company.name == "Park Industries"
    update = Activity.objects.get(lead=lead, kind="updated")
    assert update.data["title"] == ["CTO", "CEO"]
    assert update.data["tags"] == ["", "board"]


def test_inline_edit_errors_keep_what_was_typed(client, rep_alice):
    lead = LeadFactory(owner=rep_alice, email="ok@example.com")
    client.force_login(rep_alice)
    response = client.post(
        reverse("crm:lead_facts", args=[lead.pk]),
        {"first_name": "Typed", "email": "broken@", "lifecycle": "contact"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Enter a valid email address." in html and 'value="Typed"' in html
    lead.refresh_from_db()
    assert lead.email == "ok@example.com"


def test_adding_a_note_with_tags_shows_it_on_the_timeline(client, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    client.force_login(rep_alice)
    response = client.post(
        reverse("crm:lead_note_add", args=[lead.pk]),
        {"body": "Wants a demo next week", "tags": "demo, Q3"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "Wants a demo next week" in html and "q3" in html
    note = lead.notes.get()
    assert sorted(note.tags.values_list("name", flat=True)) == ["demo", "q3"]


def test_an_empty_note_is_refused_with_a_message(client, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    client.force_login(rep_alice)
    response = client.post(reverse("crm:lead_note_add", args=[lead.pk]), {"body": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not lead.notes.exists()


def test_add_and_complete_a_task(client, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    client.force_login(rep_alice)
    client.post(
        reverse("crm:lead_task_add", args=[lead.pk]),
        {"title": "Call back", "kind": "call", "due_at": "2030-01-02T10:00"},
    )
    task = lead.tasks.get()
    assert task.assignee == rep_alice and task.due_at.year == 2030
    response = client.post(reverse("crm:task_complete", args=[task.pk]), HTTP_HX_REQUEST="true")
    assert 'class="task done"' in response.content.decode()
    task.refresh_from_db()
    assert task.done and task.done_at is not None
    assert lead.activities.filter(kind="task_done").exists()


def test_change_stage_records_history(client, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    client.force_login(rep_alice)
    client.post(
        reverse("crm:lead_stage", args=[lead.pk]), {"stage": default_stage(3).pk, "version": lead_version(lead)}
    )
    lead.refresh_from_db()
    assert lead.stage == default_stage(3)
    change = StageChange.objects.get(lead=lead)
    assert (change.from_stage, change.to_stage, change.actor) == (default_stage(0), default_stage(3), rep_alice)


def test_stage_of_another_pipeline_is_refused_with_a_message(client, rep_alice):
    from crm.models import Pipeline, Stage

    other = Stage.objects.create(pipeline=Pipeline.objects.create(name="Partners"), name="Intro")
    lead = LeadFactory(owner=rep_alice)
    client.force_login(rep_alice)
    response = client.post(
        reverse("crm:lead_stage", args=[lead.pk]), {"stage": other.pk, "version": lead_version(lead)}, follow=True
    )
    assert "That stage belongs to another pipeline." in response.content.decode()
    lead.refresh_from_db()
    assert lead.stage == default_stage(0)


def test_a_negative_deal_value_and_a_made_up_time_zone_are_refused(client, manager_mia):
    lead = LeadFactory(deal_value=None, time_zone="")
    client.force_login(manager_mia)
    data = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "lifecycle": "contact",
        "version": lead_version(lead),
    }
    response = client.post(
        reverse("crm:lead_facts", args=[lead.pk]), {**data, "deal_value": "-5", "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 422
    errors = response.context["facts_form"].errors
    assert "deal_value" in errors and "time_zone" in errors
    lead.refresh_from_db()
    assert lead.deal_value is None and lead.time_zone == ""
    client.post(reverse("crm:lead_facts", args=[lead.pk]), {**data, "deal_value": "1200", "time_zone": "Europe/Berlin"})
    lead.refresh_from_db()
    assert (lead.deal_value, lead.time_zone) == (1200, "Europe/Berlin")


def test_the_services_refuse_a_negative_deal_value_and_a_made_up_time_zone(manager_mia):
    lead = LeadFactory()
    with pytest.raises(ValidationError) as refused:
        lead_update(lead=lead, actor=manager_mia, deal_value=Decimal("-1"), time_zone="Mars/Olympus")
    assert set(refused.value.message_dict) == {"deal_value", "time_zone"}


def test_a_rep_claims_an_unassigned_lead_they_can_see(client, rep_alice, rep_bob):
    lead = LeadFactory(owner=None)
    client.force_login(rep_alice)
    page = client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    assert reverse("crm:lead_claim", args=[lead.pk]) in page
    client.post(reverse("crm:lead_claim", args=[lead.pk]))
    lead.refresh_from_db()
    assert lead.owner == rep_alice
    assert lead.activities.get(kind=Activity.Kind.OWNER).summary == "Claimed by Alice Example"
    # Once someone's, it is not Bob's to claim (and no longer his to see).
    client.force_login(rep_bob)
    assert client.post(reverse("crm:lead_claim", args=[lead.pk])).status_code == 404
    lead.refresh_from_db()
    assert lead.owner == rep_alice


def test_a_claimed_lead_cannot_be_claimed_again(rep_alice, manager_mia):
    lead = LeadFactory(owner=manager_mia)
    with pytest.raises(ValidationError, match="already belongs to"):
        lead_claim(lead=lead, actor=rep_alice)


# What changed, on the timeline


def test_the_timeline_tells_each_change_with_its_old_and_new_value(client, rep_alice):
    lead = LeadFactory(owner=rep_alice, phone="+14155550100", location="")
    lead_update(lead=lead, actor=rep_alice, phone="+1 650 555 0100", location="Lisbon", title="x" * 80)
    lead.activities.create(kind="updated", summary="Updated job title, location")  # an old line: names only
    client.force_login(rep_alice)
    html = client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    timeline = html[html.index('id="timeline"') :]
    assert "Updated phone: +14155550100 → +16505550100" in timeline
    assert "location: — → Lisbon" in timeline
    assert "→ " + "x" * 39 + "…" in timeline and "x" * 40 not in timeline  # a long value, shortened
    assert "Updated job title, location" in timeline


def test_a_bulk_move_tells_each_lead_where_it_came_from(manager_mia, rep_alice):
    from crm.services.leads import leads_bulk_move_stage

    lead = LeadFactory(owner=rep_alice)
    leads_bulk_move_stage(leads=[lead], stage=default_stage(2), actor=manager_mia)
    line = lead.activities.get(kind="stage")
    assert line.summary == f"Moved from {default_stage(0).name} to {default_stage(2).name}"


def test_a_note_from_an_import_is_on_the_timeline_even_without_a_line_of_its_own(client, manager_mia):
    from crm.models import ImportJob

    lead = LeadFactory()
    job = ImportJob.objects.create(created_by=manager_mia, original_name="fair.csv")
    NoteFactory(lead=lead, author=manager_mia, import_job=job, body="Met at the Lisbon fair")
    client.force_login(manager_mia)
    html = client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    timeline = html[html.index('id="timeline"') :]
    assert "Met at the Lisbon fair" in timeline


# The lead's own time


def test_it_shows_the_time_where_the_lead_is(client, rep_alice):
    paris = LeadFactory(owner=rep_alice, time_zone="Europe/Paris")
    nowhere = LeadFactory(owner=rep_alice, time_zone="")
    client.force_login(rep_alice)
    html = client.get(reverse("crm:lead", args=[paris.pk])).content.decode()
    expected = f"{timezone.now().astimezone(ZoneInfo('Europe/Paris')):%H}:"
    assert "Local time " + expected in html and "(Europe/Paris)" in html
    assert "Local time" not in client.get(reverse("crm:lead", args=[nowhere.pk])).content.decode()


def test_local_time_is_read_in_the_leads_own_zone():
    from datetime import UTC, datetime

    from crm.selectors import lead_local_time

    noon_utc = datetime(2026, 7, 1, 12, 5, tzinfo=UTC)
    assert lead_local_time(LeadFactory.build(time_zone="Europe/Paris"), now=noon_utc) == "14:05"
    assert lead_local_time(LeadFactory.build(time_zone="Asia/Kolkata"), now=noon_utc) == "17:35"
    assert lead_local_time(LeadFactory.build(time_zone="Mars/Olympus"), now=noon_utc) == ""


# Controls one may not use are not offered


def test_a_viewer_sees_no_edit_controls(client, viewer_vic, rep_bob):
    lead = LeadFactory(owner=rep_bob)
    TaskFactory(lead=lead, title="Call back", assignee=rep_bob)
    client.force_login(viewer_vic)
    html = client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    for control in ["lead_stage", "lead_owner", "lead_facts", "lead_note_add", "lead_task_add", "lead_claim"]:
        assert reverse(f"crm:{control}", args=[lead.pk]) not in html, control
    assert "Complete" not in html and "<select" not in html
    assert "Bob Example" in html  # the owner is shown, as text


def test_a_rep_may_claim_an_unassigned_lead_but_sees_no_other_controls_for_it(client, rep_alice, rep_bob):
    lead = LeadFactory(owner=None)
    TaskFactory(lead=lead, title="Call back", assignee=rep_bob)
    client.force_login(rep_alice)
    html = client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    assert reverse("crm:lead_claim", args=[lead.pk]) in html
    for control in ["lead_stage", "lead_owner", "lead_facts", "lead_note_add", "lead_task_add"]:
        assert reverse(f"crm:{control}", args=[lead.pk]) not in html, control
    assert "Complete Call back" not in html
    # The server still refuses what the page no longer offers.
    response = client.post(
        reverse("crm:lead_stage", args=[lead.pk]), {"stage": default_stage(2).pk, "version": lead_version(lead)}
    )
    assert response.status_code == 403


def test_a_refused_task_completion_shows_why_in_the_row(client, rep_alice, rep_bob):
    lead = LeadFactory(owner=None)
    task = TaskFactory(lead=lead, title="Call back", assignee=rep_bob)
    client.force_login(rep_alice)
    response = client.post(reverse("crm:task_complete", args=[task.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 422
    assert f'id="task-{task.pk}"' in html and "Only the assignee or the lead" in html
    task.refresh_from_db()
    assert not task.done


# Task form errors


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ({"title": "   ", "due_at": "2030-01-02T10:00"}, "This field is required."),
        ({"title": "Call back", "due_at": "next Tuesday"}, "Enter a valid date/time."),
    ],
)
def test_an_invalid_task_shows_its_error_in_the_work_block_with_what_was_typed(client, rep_alice, typed, error):
    lead = LeadFactory(owner=rep_alice)
    client.force_login(rep_alice)
    data = {"kind": "call", **typed}
    response = client.post(reverse("crm:lead_task_add", args=[lead.pk]), data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 422
    assert error in html and "<html" not in html and "Add a note" in html  # the whole #work block
    assert f'value="{typed["due_at"]}"' in html
    assert not lead.tasks.exists()
