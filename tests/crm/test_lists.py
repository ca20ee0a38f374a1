"""Lead lists: create, rename, archive, members, and the list as a filtered table."""

import pytest
from django.urls import reverse

from crm.models import LeadList
from crm.services.lists import list_add_leads
from tests.factories import LeadFactory, LeadListFactory

pytestmark = pytest.mark.django_db


def test_create_and_rename_a_list(client, rep_alice):
    client.force_login(rep_alice)
    response = client.post(
        reverse("crm:list_create"), {"name": "Fintech CFOs", "folder": "Q3", "description": "x", "tags": "finance"}
    )
    assert response["Location"] == reverse("crm:lists")
    lead_list = LeadList.objects.get()
    assert (lead_list.name, lead_list.folder, lead_list.created_by) == ("Fintech CFOs", "Q3", rep_alice)
    client.post(reverse("crm:list_edit", args=[lead_list.pk]), {"name": "Fintech finance leaders", "tags": ""})
    lead_list.refresh_from_db()
    assert lead_list.name == "Fintech finance leaders" and not lead_list.tags.exists()


def test_a_list_needs_a_name(client, rep_alice):
    client.force_login(rep_alice)
    response = client.post(reverse("crm:list_create"), {"name": "", "folder": "Kept"})
    html = response.content.decode()
    assert "This field is required." in html and 'value="Kept"' in html
    assert not LeadList.objects.exists()


def test_archive_hides_a_list_and_restore_brings_it_back(client, rep_alice):
    lead_list = LeadListFactory(name="Old campaign", created_by=rep_alice)
    client.force_login(rep_alice)
    response = client.post(reverse("crm:list_archive", args=[lead_list.pk]), {"archived": "1"}, follow=True)
    assert "Archived list Old campaign." in response.content.decode()
    assert list(response.context["lists"]) == []
    assert list(client.get(reverse("crm:lists"), {"archived": "1"}).context["lists"]) == [lead_list]
    client.post(reverse("crm:list_archive", args=[lead_list.pk]), {"archived": "0"})
    lead_list.refresh_from_db()
    assert not lead_list.archived


def test_a_list_opens_as_a_filtered_table_and_members_can_be_removed(client, manager_mia):
    lead_list = LeadListFactory(name="Webinar")
    inside, outside = LeadFactory(last_name="Inside"), LeadFactory(last_name="Outside")
    list_add_leads(lead_list=lead_list, leads=[inside], actor=manager_mia)
    client.force_login(manager_mia)
    listing = client.get(reverse("crm:lists")).content.decode()
    assert "Webinar" in listing and f"?list={lead_list.pk}" in listing
    table = client.get(reverse("crm:leads"), {"list": lead_list.pk})
    html = table.content.decode()
    assert "List: Webinar" in html and inside.full_name in html and outside.full_name not in html
    response = client.post(reverse("crm:list_remove_members", args=[lead_list.pk]), {"leads": [inside.pk]})
    assert response["Location"] == f"{reverse('crm:leads')}?list={lead_list.pk}"
    assert not lead_list.members.exists()
    assert inside.activities.filter(kind="list", data__added=False).exists()


def test_adding_members_twice_keeps_one_membership(manager_mia):
    lead_list = LeadListFactory()
    lead = LeadFactory()
    assert list_add_leads(lead_list=lead_list, leads=[lead], actor=manager_mia) == 1
    assert list_add_leads(lead_list=lead_list, leads=[lead], actor=manager_mia) == 0
    assert lead_list.memberships.count() == 1


def test_two_lists_with_one_name_are_refused(client, rep_alice):
    client.force_login(rep_alice)
    client.post(reverse("crm:list_create"), {"name": "Trade fair"})
    response = client.post(reverse("crm:list_create"), {"name": "TRADE FAIR "})
    assert "already a list called" in response.content.decode()
    assert LeadList.objects.filter(name__iexact="trade fair").count() == 1
