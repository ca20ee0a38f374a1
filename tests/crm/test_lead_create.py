"""Creating a lead by hand: an address that a lead one may see already has is pointed out, with a link to it."""

import pytest
from django.urls import reverse

from crm.models import Lead
from tests.factories import LeadFactory, default_stage

pytestmark = pytest.mark.django_db


def _new_lead(client, email: str, **extra):
    data = {"first_name": "Ann", "last_name": "Lee", "email": email, "lifecycle": "contact"}
    data["stage"] = default_stage().pk
    return client.post(reverse("crm:lead_create"), {**data, **extra})


@pytest.mark.parametrize(
    "existing",
    [{"email": "ann@acme.example"}, {"email": "", "other_emails": ["Ann@Acme.example"]}],
    ids=["main address", "another address"],
)
def test_an_address_a_lead_already_has_is_pointed_out_in_any_letter_case(client, rep_alice, existing):
    known = LeadFactory(first_name="Annie", last_name="Lee", owner=rep_alice, **existing)
    client.force_login(rep_alice)
    response = _new_lead(client, "ANN@acme.example")
    html = response.content.decode()
    assert response.status_code == 200
    assert "A lead with this email address already exists" in html
    assert f'href="{reverse("crm:lead", args=[known.pk])}">Annie Lee</a>' in html
    assert 'value="Ann"' in html  # what was typed is kept
    assert Lead.objects.count() == 1


def test_create_anyway_creates_the_lead(client, rep_alice):
    LeadFactory(owner=rep_alice, email="ann@acme.example")
    client.force_login(rep_alice)
    response = _new_lead(client, "ann@acme.example", create_anyway="1")
    created = Lead.objects.get(first_name="Ann")
    assert response["Location"] == reverse("crm:lead", args=[created.pk])


def test_a_lead_the_user_may_not_see_is_never_mentioned(client, rep_alice, rep_bob):
    LeadFactory(first_name="Secret", owner=rep_bob, email="ann@acme.example")
    LeadFactory(first_name="Near", owner=rep_alice, other_emails=["joann@acme.example"])  # not the same address
    client.force_login(rep_alice)
    response = _new_lead(client, "ann@acme.example")
    assert response.status_code == 302
    assert Lead.objects.filter(first_name="Ann", owner=rep_alice).exists()
