"""The busy pages run a fixed number of queries, whatever the number of leads, notes or tasks."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.services.lists import list_add_leads
from tests.factories import LeadFactory, LeadListFactory, NoteFactory, TaskFactory, default_stage

pytestmark = pytest.mark.django_db


def _queries(client, url, params=None) -> int:
    # Each measured with nothing kept: the leads table's count kept from the request before would save its queries.
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured.captured_queries)


def _add_leads(count: int, owner, lead_list) -> None:
    leads = [LeadFactory(owner=owner, stage=default_stage(index % 8), deal_value=100) for index in range(count)]
    for lead in leads:
        lead.tags.create(name=f"tag-{lead.pk}")
    list_add_leads(lead_list=lead_list, leads=leads, actor=owner)


@pytest.mark.parametrize("persona", ["manager_mia", "rep_alice"])
@pytest.mark.parametrize(
    ("url_name", "params"),
    [
        ("crm:leads", {}),
        ("crm:leads", {"q": "a", "sort": "-score"}),
        ("crm:leads", {"stage": "FIRST", "owner": "ME", "list": "LIST"}),
        ("crm:board", {}),
        ("crm:dashboard", {}),
    ],
)
def test_list_pages_do_not_grow_with_leads(client, request, persona, url_name, params):
    user = request.getfixturevalue(persona)
    lead_list = LeadListFactory()
    client.force_login(user)
    fill = {"FIRST": default_stage(0).pk, "ME": user.pk, "LIST": lead_list.pk}
    params = {key: fill.get(value, value) for key, value in params.items()}
    _add_leads(3, user, lead_list)
    few = _queries(client, reverse(url_name), params)
    _add_leads(40, user, lead_list)
    many = _queries(client, reverse(url_name), params)
    assert few == many


def test_lead_page_does_not_grow_with_its_history(client, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    client.force_login(rep_alice)
    url = reverse("crm:lead", args=[lead.pk])

    def add_history(count: int) -> None:
        for _ in range(count):
            note = NoteFactory(lead=lead, author=rep_alice)
            note.tags.create(name=f"n{note.pk}")
            lead.activities.create(kind="note", summary="Note", data={"note": note.pk}, actor=rep_alice)
            TaskFactory(lead=lead, assignee=rep_alice)
            TaskFactory(lead=lead, assignee=rep_alice, done=True)
            lead.lists.add(LeadListFactory())
            lead.tags.create(name=f"t{note.pk}")

    add_history(1)
    few = _queries(client, url)
    add_history(25)
    assert _queries(client, url) == few
