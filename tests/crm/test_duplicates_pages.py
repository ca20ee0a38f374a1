"""The duplicates page, the merge page and the record of a merge, as people use them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import DuplicateCandidate, Lead, MergeRecord
from crm.services.merge import lead_merge
from crm.services.work import note_create
from tests.factories import CompanyFactory, LeadFactory, NoteFactory

pytestmark = pytest.mark.django_db


def candidate_for(first: Lead, second: Lead, score: int = 95, reason: str = "Similar name at Acme", **extra):
    low, high = sorted([first.pk, second.pk])
    return DuplicateCandidate.objects.create(lead_a_id=low, lead_b_id=high, score=score, reason=reason, **extra)


@pytest.fixture
def smiths(rep_alice):
    """Alice's John Smith (older, with a phone) and Jon Smith (with an email), one suspected pair."""
    acme = CompanyFactory(name="Acme")
    john = LeadFactory(first_name="John", last_name="Smith", email="", phone="+442079460958", company=acme,
                       owner=rep_alice, title="CTO")  # fmt: skip
    jon = LeadFactory(first_name="Jon", last_name="Smith", email="jon@acme.example", phone="", company=acme,
                      owner=rep_alice, title="Chief Technology Officer")  # fmt: skip
    return john, jon, candidate_for(john, jon)


def test_the_list_shows_open_pairs_best_first(client, manager_mia, smiths):
    _john, _jon, candidate = smiths
    weaker = candidate_for(LeadFactory(first_name="Ann"), LeadFactory(first_name="Anne"), score=90, reason="Same phone")
    candidate_for(LeadFactory(), LeadFactory(), status="dismissed")
    client.force_login(manager_mia)
    response = client.get(reverse("crm:duplicates"))
    html = response.content.decode()
    assert [c.pk for c in response.context["page"]] == [candidate.pk, weaker.pk]
    assert "John Smith" in html and "Jon Smith" in html and "jon@acme.example" in html and "+442079460958" in html
    assert "Similar name at Acme" in html and "Acme" in html and "Alice Example" in html
    assert reverse("crm:duplicate_merge", args=[candidate.pk]) in html
    assert reverse("crm:duplicate_dismiss", args=[candidate.pk]) in html
    assert "Scan now" in html and "Recent merges" in html
    assert f'href="{reverse("crm:duplicates")}"' in html  # the nav link


def test_the_list_is_paginated(client, manager_mia):
    leads = LeadFactory.create_batch(52)
    for first, second in zip(leads[::2], leads[1::2], strict=True):
        candidate_for(first, second)
    client.force_login(manager_mia)
    assert len(client.get(reverse("crm:duplicates")).context["page"]) == 26
    leads = LeadFactory.create_batch(50)
    for first, second in zip(leads[::2], leads[1::2], strict=True):
        candidate_for(first, second)
    page_two = client.get(reverse("crm:duplicates"), {"page": 2})
    assert len(page_two.context["page"]) == 1 and "Page 2 of 2" in page_two.content.decode()


def test_a_rep_sees_only_pairs_of_leads_they_can_see(client, rep_alice, rep_bob, smiths):
    _john, _jon, mine = smiths
    candidate_for(LeadFactory(owner=rep_alice), LeadFactory(owner=rep_bob))
    unassigned = candidate_for(LeadFactory(owner=None), LeadFactory(owner=None))
    client.force_login(rep_alice)
    response = client.get(reverse("crm:duplicates"))
    assert {c.pk for c in response.context["page"]} == {mine.pk, unassigned.pk}
    # Visible but not Alice's to change: no merge link for the unassigned pair.
    html = response.content.decode()
    assert reverse("crm:duplicate_merge", args=[mine.pk]) in html
    assert reverse("crm:duplicate_merge", args=[unassigned.pk]) not in html


def test_not_duplicates_swaps_the_row_through_htmx(client, rep_alice, smiths):
    _john, _jon, candidate = smiths
    client.force_login(rep_alice)
    response = client.post(reverse("crm:duplicate_dismiss", args=[candidate.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.strip().startswith(f'<tr id="pair-{candidate.pk}"')
    assert "John Smith and Jon Smith: not duplicates." in html
    candidate.refresh_from_db()
    assert (candidate.status, candidate.resolved_by) == ("dismissed", rep_alice)
    assert client.get(reverse("crm:duplicates")).context["page"].paginator.count == 0


def test_not_duplicates_without_javascript_goes_back_to_the_list(client, rep_alice, smiths):
    _john, _jon, candidate = smiths
    client.force_login(rep_alice)
    response = client.post(reverse("crm:duplicate_dismiss", args=[candidate.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("crm:duplicates")
    assert "not duplicates." in response.content.decode()


def test_a_viewer_sees_pairs_but_cannot_resolve_them(client, viewer_vic, smiths):
    _john, _jon, candidate = smiths
    client.force_login(viewer_vic)
    html = client.get(reverse("crm:duplicates")).content.decode()
    assert "John Smith" in html and "Scan now" not in html
    assert reverse("crm:duplicate_dismiss", args=[candidate.pk]) not in html
    assert client.post(reverse("crm:duplicate_dismiss", args=[candidate.pk])).status_code == 403
    assert client.get(reverse("crm:duplicate_merge", args=[candidate.pk])).status_code == 403
    assert client.post(reverse("crm:duplicate_merge", args=[candidate.pk]), {"confirm": "on"}).status_code == 403
    assert client.post(reverse("crm:duplicates_scan")).status_code == 403
    assert Lead.objects.count() == 2


def test_scan_now_queues_the_scan(client, manager_mia, django_capture_on_commit_callbacks):
    LeadFactory(first_name="Jane", last_name="Doe", email="jane@acme.example")
    LeadFactory(first_name="Jane", last_name="Doe", email="Jane@Acme.example")
    client.force_login(manager_mia)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("crm:duplicates_scan"), follow=True)
    assert "Scanning…" in response.content.decode()
    assert DuplicateCandidate.objects.get().reason == "Same email"


def test_the_merge_page_shows_both_leads_with_sensible_defaults(client, rep_alice, smiths):
    john, _jon, candidate = smiths
    client.force_login(rep_alice)
    response = client.get(reverse("crm:duplicate_merge", args=[candidate.pk]))
    html = response.content.decode()
    assert response.context["left"] == john  # the older lead, and the default survivor
    rows = {row.name: row for row in response.context["rows"]}
    assert (rows["first_name"].choice, rows["first_name"].selected) == (True, "left")  # both filled: left
    assert (rows["email"].choice, rows["email"].selected) == (True, "right")  # only the right one has it
    assert (rows["phone"].choice, rows["phone"].selected) == (True, "left")
    assert rows["company"].choice is False  # the same on both sides: nothing to choose
    assert 'name="survivor" value="left" checked' in html
    assert "Merging cannot be undone here; the removed lead&#x27;s values stay in the merge record." in html


def test_merging_end_to_end(client, rep_alice, smiths):
    john, jon, candidate = smiths
    note_create(lead=jon, actor=rep_alice, body="Met at the fintech meetup")
    client.force_login(rep_alice)
    form = {"survivor": "left", "first_name": "left", "email": "right", "phone": "left", "title": "right"}
    response = client.post(reverse("crm:duplicate_merge", args=[candidate.pk]), {**form, "confirm": "on"})
    assert response["Location"] == reverse("crm:lead", args=[john.pk])
    john.refresh_from_db()
    assert (john.first_name, john.email, john.phone, john.title) == (
        "John",
        "jon@acme.example",
        "+442079460958",
        "Chief Technology Officer",
    )
    assert not Lead.objects.filter(pk=jon.pk).exists()
    page = client.get(response["Location"]).content.decode()
    assert f"Merged Jon Smith (#{jon.pk}) into John Smith." in page
    assert "Met at the fintech meetup" in page
    record = MergeRecord.objects.get()
    assert record.chosen["title"] == "other" and record.chosen["first_name"] == "survivor"


def test_the_newer_lead_can_be_the_one_that_stays(client, rep_alice, smiths):
    john, jon, candidate = smiths
    client.force_login(rep_alice)
    form = {"survivor": "right", "first_name": "left", "email": "right", "phone": "left", "title": "left"}
    response = client.post(reverse("crm:duplicate_merge", args=[candidate.pk]), {**form, "confirm": "on"})
    assert response["Location"] == reverse("crm:lead", args=[jon.pk])
    jon.refresh_from_db()
    assert (jon.first_name, jon.email, jon.phone, jon.title) == ("John", "jon@acme.example", "+442079460958", "CTO")
    assert not Lead.objects.filter(pk=john.pk).exists()


def test_merging_needs_the_confirmation(client, rep_alice, smiths):
    _john, _jon, candidate = smiths
    client.force_login(rep_alice)
    response = client.post(reverse("crm:duplicate_merge", args=[candidate.pk]), {"survivor": "left"})
    assert response.status_code == 422
    assert "Tick the box to confirm the merge." in response.content.decode()
    assert Lead.objects.count() == 2


def test_a_stale_pair_says_so_instead_of_failing(client, rep_alice, smiths):
    john, jon, candidate = smiths
    client.force_login(rep_alice)
    candidate.status = "dismissed"
    candidate.save()
    response = client.get(reverse("crm:duplicate_merge", args=[candidate.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("crm:duplicates")
    assert "That pair is no longer open" in response.content.decode()
    candidate.status = "open"
    candidate.save()
    jon.delete()  # merged or deleted elsewhere: the pair goes with it
    response = client.post(reverse("crm:duplicate_merge", args=[candidate.pk]), {"confirm": "on"}, follow=True)
    assert "That pair is no longer open" in response.content.decode()
    assert Lead.objects.filter(pk=john.pk).exists()


def test_a_rep_cannot_merge_a_pair_involving_another_reps_lead(client, rep_alice, rep_bob):
    mine, bobs = LeadFactory(owner=rep_alice), LeadFactory(owner=rep_bob)
    candidate = candidate_for(mine, bobs)
    client.force_login(rep_alice)
    response = client.post(reverse("crm:duplicate_merge", args=[candidate.pk]), {"confirm": "on"}, follow=True)
    assert "That pair is no longer open" in response.content.decode()  # not even visible to Alice
    assert Lead.objects.count() == 2


def test_the_merge_record_page_shows_what_happened(client, manager_mia, smiths):
    john, jon, _candidate = smiths
    NoteFactory(lead=jon)
    jon_pk = jon.pk
    record = lead_merge(survivor=john, other=jon, chosen={"email": "other"}, actor=manager_mia)
    client.force_login(manager_mia)
    html = client.get(reverse("crm:duplicates")).content.decode()
    assert reverse("crm:merge", args=[record.pk]) in html
    response = client.get(reverse("crm:merge", args=[record.pk]))
    html = response.content.decode()
    assert f'Jon Smith <span class="muted">#{jon_pk}</span> merged into' in html
    assert "Chief Technology Officer" in html and "jon@acme.example" in html  # the removed lead's values
    assert "removed lead&#x27;s" in html and "survivor&#x27;s" in html
    assert ("Notes", 1) in [(kind.capitalize(), count) for kind, count in response.context["moved"]]


def test_the_merge_record_is_private_to_those_who_see_the_lead(client, rep_bob, manager_mia, smiths):
    john, jon, _candidate = smiths
    record = lead_merge(survivor=john, other=jon, chosen={}, actor=manager_mia)
    client.force_login(rep_bob)
    assert client.get(reverse("crm:merge", args=[record.pk])).status_code == 404


def test_the_list_costs_the_same_queries_however_many_pairs(client, rep_alice):
    def add_pairs(count: int) -> None:
        for _ in range(count):
            candidate_for(LeadFactory(owner=rep_alice), LeadFactory(owner=None))

    client.force_login(rep_alice)
    add_pairs(2)
    lead_merge(survivor=LeadFactory(owner=rep_alice), other=LeadFactory(owner=rep_alice), chosen={}, actor=rep_alice)
    client.get(reverse("crm:duplicates"))  # warm the session and the role
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("crm:duplicates"))
    add_pairs(20)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("crm:duplicates"))
    assert len(many) == len(few)
