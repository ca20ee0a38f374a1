"""Who may change a list (its owner, managers, admins) and who may use it (everyone who sees leads), role by role."""

import pytest
from django.urls import reverse

from crm.models import LeadList
from crm.services.lists import list_add_leads
from tests.factories import LeadFactory, LeadListFactory

pytestmark = pytest.mark.django_db


def _rename(client, lead_list: LeadList, name: str):
    return client.post(reverse("crm:list_edit", args=[lead_list.pk]), {"name": name})


def _archive(client, lead_list: LeadList):
    return client.post(reverse("crm:list_archive", args=[lead_list.pk]), {"archived": "1"})


def test_the_lists_page_shows_each_lists_owner(client, rep_alice, viewer_vic):
    LeadListFactory(name="Alice's webinar", created_by=rep_alice)
    client.force_login(viewer_vic)
    html = client.get(reverse("crm:lists")).content.decode()
    assert "<th>Owner</th>" in html
    assert '<td class="list-owner">Alice Example</td>' in html


def test_the_owner_renames_and_archives_their_list(client, rep_alice):
    lead_list = LeadListFactory(name="Mine", created_by=rep_alice)
    client.force_login(rep_alice)
    assert (
        f'href="{reverse("crm:list_edit", args=[lead_list.pk])}"' in client.get(reverse("crm:lists")).content.decode()
    )
    assert _rename(client, lead_list, "Still mine").status_code == 302
    assert _archive(client, lead_list).status_code == 302
    lead_list.refresh_from_db()
    assert (lead_list.name, lead_list.archived) == ("Still mine", True)


def test_another_rep_is_offered_no_controls_and_is_refused_with_the_reason(client, rep_alice, rep_bob):
    lead_list = LeadListFactory(name="Alice's", created_by=rep_alice)
    client.force_login(rep_bob)
    listing = client.get(reverse("crm:lists")).content.decode()
    assert "Alice&#x27;s" in listing
    assert reverse("crm:list_edit", args=[lead_list.pk]) not in listing
    assert reverse("crm:list_archive", args=[lead_list.pk]) not in listing
    for response in [
        client.get(reverse("crm:list_edit", args=[lead_list.pk])),
        _rename(client, lead_list, "Bob's now"),
        _archive(client, lead_list),
    ]:
        assert response.status_code == 403
        assert "Only the list&#x27;s owner (Alice Example), managers and admins can change" in response.content.decode()
    lead_list.refresh_from_db()
    assert (lead_list.name, lead_list.archived) == ("Alice's", False)


@pytest.mark.parametrize("persona", ["manager_mia", "admin_ada"])
def test_managers_and_admins_change_anyones_list(client, request, persona, rep_alice):
    lead_list = LeadListFactory(name="Alice's", created_by=rep_alice)
    client.force_login(request.getfixturevalue(persona))
    assert reverse("crm:list_edit", args=[lead_list.pk]) in client.get(reverse("crm:lists")).content.decode()
    assert _rename(client, lead_list, "Team list").status_code == 302
    assert _archive(client, lead_list).status_code == 302
    lead_list.refresh_from_db()
    assert (lead_list.name, lead_list.archived) == ("Team list", True)


def test_a_viewer_sees_lists_and_their_leads_but_changes_nothing(client, viewer_vic, manager_mia):
    lead_list = LeadListFactory(name="Webinar", created_by=manager_mia)
    lead = LeadFactory(last_name="Member")
    list_add_leads(lead_list=lead_list, leads=[lead], actor=manager_mia)
    client.force_login(viewer_vic)
    listing = client.get(reverse("crm:lists")).content.decode()
    assert "Webinar" in listing and reverse("crm:list_create") not in listing
    assert lead.full_name in client.get(reverse("crm:leads"), {"list": lead_list.pk}).content.decode()
    assert _rename(client, lead_list, "Vic's").status_code == 403
    assert client.post(reverse("crm:list_remove_members", args=[lead_list.pk]), {"leads": [lead.pk]}).status_code == 403
    assert lead_list.members.get() == lead


def test_a_rep_uses_anothers_list_for_the_leads_they_may_change(client, rep_alice, rep_bob, manager_mia):
    lead_list = LeadListFactory(name="Mia's conference", created_by=manager_mia)
    bobs, alices = LeadFactory(owner=rep_bob), LeadFactory(owner=rep_alice)
    client.force_login(rep_bob)
    client.post(reverse("crm:leads_bulk"), {"action": "add_to_list", "leads": [bobs.pk], "to_list": lead_list.pk})
    assert list(lead_list.members.all()) == [bobs]
    list_add_leads(lead_list=lead_list, leads=[alices], actor=manager_mia)
    client.post(reverse("crm:list_remove_members", args=[lead_list.pk]), {"leads": [bobs.pk, alices.pk]})
    assert list(lead_list.members.all()) == [alices]


def test_the_list_service_adds_and_removes_only_leads_the_actor_may_change(rep_bob, rep_alice):
    lead_list = LeadListFactory(created_by=rep_alice)
    bobs, alices, unassigned = LeadFactory(owner=rep_bob), LeadFactory(owner=rep_alice), LeadFactory(owner=None)
    assert list_add_leads(lead_list=lead_list, leads=[bobs, alices, unassigned], actor=rep_bob) == 1
    assert list(lead_list.members.all()) == [bobs]
