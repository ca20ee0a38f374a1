"""The leads table: search, filters, sort, pagination and bulk actions."""

import pytest
from django.urls import reverse

from crm.models import Lead, StageChange
from crm.services.lists import list_add_leads
from tests.factories import CompanyFactory, LeadFactory, LeadListFactory, default_stage

pytestmark = pytest.mark.django_db


def _names(response) -> set[str]:
    return {lead.full_name for lead in response.context["page"].object_list}


def test_it_searches_name_email_and_company(client, manager_mia):
    ada = LeadFactory(first_name="Ada", last_name="Lovelace", email="ada@engines.example")
    grace = LeadFactory(first_name="Grace", last_name="Hopper", company=CompanyFactory(name="Cobol Works"))
    LeadFactory(first_name="Alan", last_name="Turing")
    client.force_login(manager_mia)
    assert _names(client.get(reverse("crm:leads"), {"q": "lovelace"})) == {ada.full_name}
    assert _names(client.get(reverse("crm:leads"), {"q": "engines.example"})) == {ada.full_name}
    assert _names(client.get(reverse("crm:leads"), {"q": "cobol"})) == {grace.full_name}
    assert _names(client.get(reverse("crm:leads"), {"q": "grace cobol"})) == {grace.full_name}
    assert _names(client.get(reverse("crm:leads"), {"q": "ada cobol"})) == set()


def test_it_filters_by_each_field(client, manager_mia, rep_alice):
    tagged = LeadFactory(source="linkedin", grade="hot", lifecycle="lead", owner=rep_alice, stage=default_stage(2))
    other = LeadFactory(source="csv_import", grade="cold")
    lead_list = LeadListFactory()
    list_add_leads(lead_list=lead_list, leads=[tagged], actor=manager_mia)
    tagged.tags.create(name="fintech")
    client.force_login(manager_mia)
    url = reverse("crm:leads")
    for params in [
        {"source": "linkedin"},
        {"grade": "hot"},
        {"lifecycle": "lead"},
        {"owner": rep_alice.pk},
        {"stage": default_stage(2).pk},
        {"list": lead_list.pk},
        {"tag": "fintech"},
    ]:
        assert _names(client.get(url, params)) == {tagged.full_name}, params
    assert _names(client.get(url, {"owner": "none"})) == {other.full_name}


def test_it_sorts_and_paginates(client, manager_mia, settings):
    settings.LEADS_PAGE_SIZE = 2
    for score in (10, 30, 20):
        LeadFactory(score=score, last_name=f"Score{score}")
    client.force_login(manager_mia)
    first = client.get(reverse("crm:leads"), {"sort": "-score"})
    assert [lead.score for lead in first.context["page"]] == [30, 20]
    second = client.get(reverse("crm:leads"), {"sort": "-score", "page": 2})
    assert [lead.score for lead in second.context["page"]] == [10]
    assert "Page 2 of 2" in second.content.decode()


def test_htmx_gets_only_the_table(client, manager_mia):
    LeadFactory(last_name="Partial")
    client.force_login(manager_mia)
    response = client.get(reverse("crm:leads"), {"q": "partial"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Partial" in html
    assert "<html" not in html and 'id="bulk-form"' in html


def test_bulk_assign_move_and_add_to_list_update_the_table(client, manager_mia, rep_bob):
    leads = [LeadFactory() for _ in range(3)]
    lead_list = LeadListFactory(name="Webinar")
    client.force_login(manager_mia)
    url = reverse("crm:leads_bulk")
    ids = [lead.pk for lead in leads[:2]]
    response = client.post(url, {"action": "assign", "leads": ids, "to_owner": rep_bob.pk}, HTTP_HX_REQUEST="true")
    assert "Assigned 2 lead(s)" in response.content.decode()
    assert Lead.objects.filter(owner=rep_bob).count() == 2
    contacted = default_stage(1)
    response = client.post(url, {"action": "move", "leads": ids, "to_stage": contacted.pk}, HTTP_HX_REQUEST="true")
    assert "Moved 2 lead(s) to Contacted" in response.content.decode()
    assert StageChange.objects.filter(to_stage=contacted).count() == 2
    response = client.post(
        url, {"action": "add_to_list", "leads": ids, "to_list": lead_list.pk}, HTTP_HX_REQUEST="true"
    )
    assert "Added 2 lead(s) to Webinar" in response.content.decode()
    assert set(lead_list.members.values_list("pk", flat=True)) == set(ids)


def test_bulk_delete_asks_for_confirmation_first(client, manager_mia):
    lead = LeadFactory(last_name="Doomed")
    client.force_login(manager_mia)
    url = reverse("crm:leads_bulk")
    response = client.post(url, {"action": "delete", "leads": [lead.pk]})
    assert "cannot be undone" in response.content.decode()
    assert Lead.objects.filter(pk=lead.pk).exists()
    response = client.post(url, {"action": "delete", "leads": [lead.pk], "confirmed": "on"}, HTTP_HX_REQUEST="true")
    assert "Deleted 1 lead(s)" in response.content.decode()
    assert not Lead.objects.filter(pk=lead.pk).exists()


def test_bulk_move_skips_leads_a_rep_does_not_own(client, rep_alice, rep_bob):
    mine = LeadFactory(owner=rep_alice)
    unassigned = LeadFactory(owner=None)
    theirs = LeadFactory(owner=rep_bob)
    client.force_login(rep_alice)
    response = client.post(
        reverse("crm:leads_bulk"),
        {"action": "move", "leads": [mine.pk, unassigned.pk], "to_stage": default_stage(1).pk},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "Moved 1 lead(s)" in html and "1 lead(s) were left alone" in html
    mine.refresh_from_db()
    unassigned.refresh_from_db()
    assert mine.stage == default_stage(1) and unassigned.stage == default_stage(0)
    # Another rep's lead is not even a valid choice.
    response = client.post(
        reverse("crm:leads_bulk"),
        {"action": "move", "leads": [theirs.pk], "to_stage": default_stage(1).pk},
        follow=True,
    )
    assert "Select a valid choice" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.stage == default_stage(0)


def test_bulk_without_selection_says_so(client, manager_mia):
    client.force_login(manager_mia)
    response = client.post(reverse("crm:leads_bulk"), {"action": "move"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Select leads first." in html
    assert "Choose where to put the selected leads." in html


def test_create_a_lead_with_a_new_company(client, rep_alice):
    client.force_login(rep_alice)
    response = client.post(
        reverse("crm:lead_create"),
        {
            "first_name": "Linus",
            "last_name": "Pauling",
            "email": "linus@chem.example",
            "company_name": "Chem Labs",
            "stage": default_stage(0).pk,
            "lifecycle": "contact",
            "tags": "Science, vip",
        },
    )
    lead = Lead.objects.get(email="linus@chem.example")
    assert response["Location"] == reverse("crm:lead", args=[lead.pk])
    assert lead.company.name == "Chem Labs"
    assert lead.owner == rep_alice
    assert sorted(lead.tags.values_list("name", flat=True)) == ["science", "vip"]
    assert lead.activities.get().kind == "created"


def test_create_form_keeps_input_and_shows_errors(client, rep_alice):
    client.force_login(rep_alice)
    response = client.post(
        reverse("crm:lead_create"),
        {"email": "not-an-email", "title": "CFO", "stage": default_stage(0).pk, "lifecycle": "contact"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid email address." in html
    assert 'value="CFO"' in html
    assert not Lead.objects.exists()


def test_bulk_all_matching_acts_on_every_page_of_the_filter(client, manager_mia, settings):
    settings.LEADS_PAGE_SIZE = 2
    new, contacted = default_stage(0), default_stage(1)
    matching = [LeadFactory(stage=new, source="linkedin") for _ in range(5)]
    other_source = LeadFactory(stage=new, source="csv_import")
    client.force_login(manager_mia)
    html = client.get(reverse("crm:leads"), {"source": "linkedin"}).content.decode()
    assert "Select all 5 leads matching this filter" in html

    response = client.post(
        reverse("crm:leads_bulk"),
        # The ticked ids of page one travel too; "all matching" is found again from the filter instead.
        {
            "action": "move",
            "to_stage": contacted.pk,
            "leads": [matching[0].pk],
            "all_matching": "on",
            "matching": "source=linkedin&sort=-score",
        },
        HTTP_HX_REQUEST="true",
    )

    assert "Moved 5 lead(s) to Contacted." in response.content.decode()
    assert set(Lead.objects.filter(stage=contacted)) == set(matching)
    other_source.refresh_from_db()
    assert other_source.stage == new


def test_bulk_all_matching_trusts_no_ids_and_changes_only_what_the_user_may(client, rep_alice, rep_bob):
    mine = [LeadFactory(owner=rep_alice, last_name=f"Mine{index}") for index in range(2)]
    unassigned = LeadFactory(owner=None)
    bobs = LeadFactory(owner=rep_bob)
    client.force_login(rep_alice)

    response = client.post(
        reverse("crm:leads_bulk"),
        {"action": "delete", "confirmed": "on", "all_matching": "on", "matching": "", "leads": [bobs.pk]},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert "Deleted 2 lead(s)." in html and "1 lead(s) were left alone" in html
    assert not Lead.objects.filter(pk__in=[lead.pk for lead in mine]).exists()
    assert Lead.objects.filter(pk__in=[unassigned.pk, bobs.pk]).count() == 2


def test_bulk_all_matching_with_a_filter_no_longer_valid_changes_nothing(client, manager_mia):
    lead = LeadFactory()
    client.force_login(manager_mia)
    response = client.post(
        reverse("crm:leads_bulk"),
        {"action": "delete", "confirmed": "on", "all_matching": "on", "matching": "stage=99999999999999999999"},
        HTTP_HX_REQUEST="true",
    )
    assert "The filter is no longer valid; select the leads again." in response.content.decode()
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_bulk_delete_of_all_matching_without_javascript_confirms_the_count_first(client, manager_mia):
    doomed = [LeadFactory(grade="cold") for _ in range(3)]
    kept = LeadFactory(grade="hot")
    client.force_login(manager_mia)
    url = reverse("crm:leads_bulk")

    page = client.post(url, {"action": "delete", "all_matching": "on", "matching": "grade=cold"}).content.decode()

    assert "Delete all 3 leads matching this filter?" in page
    assert 'name="matching" value="grade=cold"' in page and 'name="leads"' not in page
    assert Lead.objects.count() == 4
    client.post(url, {"action": "delete", "confirmed": "on", "all_matching": "on", "matching": "grade=cold"})
    assert list(Lead.objects.all()) == [kept]
    assert not Lead.objects.filter(pk__in=[lead.pk for lead in doomed]).exists()


def test_the_source_filter_offers_each_source_once_in_order(client, manager_mia):
    for source in ("website", "csv_import", "", "website", "linkedin", "csv_import"):
        LeadFactory(source=source)
    client.force_login(manager_mia)

    form = client.get(reverse("crm:leads")).context["filter"].form

    assert list(form.fields["source"].choices)[1:] == [
        ("csv_import", "Csv import"),
        ("linkedin", "Linkedin"),
        ("website", "Website"),
    ]
