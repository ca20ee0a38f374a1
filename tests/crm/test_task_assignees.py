"""A task goes only to someone who can see its lead: the lead page's choices and the service agree."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.services.work import task_create
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(admin_ada, manager_mia, rep_alice, rep_bob, viewer_vic):
    return {"ada": admin_ada, "mia": manager_mia, "alice": rep_alice, "bob": rep_bob, "vic": viewer_vic}


def _assignee_choices(client, lead) -> set[str]:
    form = client.get(reverse("crm:lead", args=[lead.pk])).context["task_form"]
    return {str(user) for user in form.fields["assignee"].queryset}


def test_a_reps_lead_offers_the_rep_managers_and_admins(client, team):
    lead = LeadFactory(owner=team["alice"])
    client.force_login(team["mia"])
    assert _assignee_choices(client, lead) == {"Ada Example", "Mia Example", "Alice Example"}


def test_an_unassigned_lead_offers_everyone_who_may_see_and_work_unassigned_leads(client, team):
    lead = LeadFactory(owner=None)
    client.force_login(team["alice"])
    assert _assignee_choices(client, lead) == {"Ada Example", "Mia Example", "Alice Example", "Bob Example"}


def test_the_lead_page_refuses_an_assignee_who_cannot_see_the_lead(client, team):
    lead = LeadFactory(owner=team["alice"])
    client.force_login(team["mia"])
    response = client.post(
        reverse("crm:lead_task_add", args=[lead.pk]), {"title": "Call", "kind": "call", "assignee": team["bob"].pk}
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not lead.tasks.exists()


@pytest.mark.parametrize("outsider", ["bob", "vic"])
def test_the_service_refuses_an_assignee_who_cannot_see_or_act_on_the_lead(team, outsider):
    lead = LeadFactory(owner=team["alice"], first_name="Noor", last_name="Haddad")
    with pytest.raises(ValidationError) as refused:
        task_create(lead=lead, actor=team["mia"], title="Call", assignee=team[outsider])
    assert refused.value.message_dict["assignee"] == [
        f"{team[outsider]} cannot see Noor Haddad; choose someone who can."
    ]
    assert not lead.tasks.exists()


def test_the_service_gives_a_task_to_a_rep_who_sees_the_lead(team):
    lead = LeadFactory(owner=None)
    task = task_create(lead=lead, actor=team["mia"], title="Call", assignee=team["bob"])
    assert task.assignee == team["bob"]
