"""A stale write is refused, not applied: the lead page, the leads table's bulk actions and the admin's change form
each carry the version they were shown, and a lead changed since is left as it is, with who changed it and when."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Lead
from crm.services.leads import lead_update
from crm.services.versions import lead_version
from tests.factories import LeadFactory, default_stage

pytestmark = pytest.mark.django_db


def _facts(lead: Lead, version: str, **typed) -> dict:
    return {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "location": lead.location,
        "lifecycle": lead.lifecycle,
        "version": version,
        **typed,
    }


def test_a_facts_save_made_on_an_older_version_is_refused_and_shows_the_current_values(client, rep_alice, manager_mia):
    lead = LeadFactory(owner=rep_alice, title="Buyer", location="Porto")
    seen = lead_version(lead)  # Alice opens the edit form
    lead_update(lead=Lead.objects.get(pk=lead.pk), actor=manager_mia, location="Lisbon")  # Mia saves meanwhile

    client.force_login(rep_alice)
    response = client.post(
        reverse("crm:lead_facts", args=[lead.pk]), _facts(lead, seen, title="Head of Buying"), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "Changed by Mia Example at" in html
    assert 'value="Head of Buying"' in html  # what Alice typed is kept
    assert 'value="Lisbon"' in html and "Now:" not in html  # what Mia changed and Alice left alone: Mia's value
    lead.refresh_from_db()
    assert (lead.title, lead.location) == ("Buyer", "Lisbon")
    # The redrawn form carries the current version: saving it again applies, losing nothing of either.
    assert f'value="{lead_version(lead)}"' in html
    again = _facts(lead, lead_version(lead), title="Head of Buying", location="Lisbon")
    client.post(reverse("crm:lead_facts", args=[lead.pk]), again)
    lead.refresh_from_db()
    assert (lead.title, lead.location) == ("Head of Buying", "Lisbon")


def test_a_field_both_changed_keeps_what_was_typed_with_the_new_value_beside_it(client, rep_alice, manager_mia):
    lead = LeadFactory(owner=rep_alice, location="Porto")
    seen = lead_version(lead)
    lead_update(lead=Lead.objects.get(pk=lead.pk), actor=manager_mia, location="Lisbon")
    client.force_login(rep_alice)
    response = client.post(reverse("crm:lead_facts", args=[lead.pk]), _facts(lead, seen, location="Faro"))
    html = response.content.decode()
    assert response.status_code == 422
    assert 'value="Faro"' in html and "Now: Lisbon" in html
    lead.refresh_from_db()
    assert lead.location == "Lisbon"


def test_a_save_without_a_version_or_with_a_made_up_one_is_refused(client, rep_alice):
    lead = LeadFactory(owner=rep_alice, title="Buyer")
    client.force_login(rep_alice)
    for version in ["", "yesterday"]:
        response = client.post(reverse("crm:lead_facts", args=[lead.pk]), _facts(lead, version, title="CEO"))
        assert response.status_code == 422
    lead.refresh_from_db()
    assert lead.title == "Buyer"


@pytest.mark.parametrize("form", ["stage", "owner"])
def test_a_stale_stage_or_owner_change_is_refused_with_a_message(client, manager_mia, rep_alice, rep_bob, form):
    lead = LeadFactory(owner=rep_alice)
    seen = lead_version(lead)
    lead_update(lead=Lead.objects.get(pk=lead.pk), actor=rep_alice, location="Lisbon")
    client.force_login(manager_mia)
    data = {"stage": default_stage(2).pk} if form == "stage" else {"owner": rep_bob.pk}
    response = client.post(reverse(f"crm:lead_{form}", args=[lead.pk]), {**data, "version": seen}, follow=True)
    assert "Changed by Alice Example at" in response.content.decode()
    lead.refresh_from_db()
    assert (lead.stage, lead.owner, lead.location) == (default_stage(0), rep_alice, "Lisbon")


def _table_seen_at(client) -> str:
    return client.get(reverse("crm:leads")).context["seen_at"]


@pytest.mark.parametrize("action", ["assign", "move", "delete"])
def test_a_bulk_action_leaves_leads_changed_after_the_table_was_shown_alone(
    client, manager_mia, rep_alice, rep_bob, action
):
    calm = LeadFactory(first_name="Calm", last_name="Lead", owner=rep_alice)
    busy = LeadFactory(first_name="Busy", last_name="Lead", owner=rep_alice)
    client.force_login(manager_mia)
    seen_at = _table_seen_at(client)
    lead_update(lead=Lead.objects.get(pk=busy.pk), actor=rep_alice, location="Lisbon")  # after the table was shown

    extra = {
        "assign": {"to_owner": rep_bob.pk},
        "move": {"to_stage": default_stage(3).pk},
        "delete": {"confirmed": "on"},
    }
    data = {"action": action, "leads": [calm.pk, busy.pk], "seen_at": seen_at, **extra[action]}
    response = client.post(reverse("crm:leads_bulk"), data, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "1 lead(s) changed by someone else since the table was shown were left alone: Busy Lead." in html
    busy.refresh_from_db()
    assert (busy.owner, busy.stage, busy.location) == (rep_alice, default_stage(0), "Lisbon")
    if action == "delete":
        assert not Lead.objects.filter(pk=calm.pk).exists()
    else:
        calm.refresh_from_db()
        assert (calm.owner, calm.stage) == (
            (rep_bob, default_stage(0)) if action == "assign" else (rep_alice, default_stage(3))
        )


def test_a_bulk_change_counts_as_a_change_for_the_next_stale_check(client, manager_mia, rep_alice, rep_bob):
    lead = LeadFactory(owner=rep_alice)
    client.force_login(manager_mia)
    seen_at = _table_seen_at(client)
    other_tab_seen_at = (timezone.now() - timedelta(seconds=1)).isoformat()  # a table shown a moment earlier
    client.post(
        reverse("crm:leads_bulk"), {"action": "assign", "leads": [lead.pk], "to_owner": rep_bob.pk, "seen_at": seen_at}
    )
    data = {"action": "move", "leads": [lead.pk], "to_stage": default_stage(3).pk, "seen_at": other_tab_seen_at}
    client.post(reverse("crm:leads_bulk"), data)
    lead.refresh_from_db()
    assert (lead.owner, lead.stage) == (rep_bob, default_stage(0))
    assert lead.activities.get(kind="owner").summary == "Owner changed from Alice Example to Bob Example"


def _admin_change_data(client, lead: Lead) -> dict:
    form = client.get(reverse("admin:crm_lead_change", args=[lead.pk])).context["adminform"].form
    return {name: value for name, value in form.initial.items() if value is not None and name in form.fields}


def test_the_admin_change_form_refuses_a_save_made_on_an_older_version(client, admin_ada, rep_alice):
    lead = LeadFactory(first_name="Ann", location="Porto", owner=rep_alice)
    client.force_login(admin_ada)
    data = _admin_change_data(client, lead)  # the change form, opened
    lead_update(lead=Lead.objects.get(pk=lead.pk), actor=rep_alice, location="Lisbon")  # Alice saves meanwhile

    data.update(first_name="Annie", tags=[])
    response = client.post(reverse("admin:crm_lead_change", args=[lead.pk]), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any(error.startswith("Changed by Alice Example at") for error in errors)
    lead.refresh_from_db()
    assert (lead.first_name, lead.location) == ("Ann", "Lisbon")
    # Opened again, the form carries the new version and saves.
    data = _admin_change_data(client, lead) | {"first_name": "Annie", "tags": []}
    assert client.post(reverse("admin:crm_lead_change", args=[lead.pk]), data).status_code == 302
    lead.refresh_from_db()
    assert (lead.first_name, lead.location) == ("Annie", "Lisbon")
