"""The leads table on a large CRM: a capped, briefly kept count; keyset pages past the cap; ranked search."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.filters import LeadFilter
from crm.models import Lead
from crm.selectors import leads_visible_to
from tests.factories import CompanyFactory, LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_pages(settings):
    """Two leads a page, counted up to five: from the fourth page on, pages are keyset ones."""
    settings.LEADS_PAGE_SIZE = 2
    settings.LEADS_COUNT_CAP = 5
    return settings


def _leads_with_ties() -> list[Lead]:
    """Thirteen leads whose sort columns repeat and are sometimes empty, all updated at one of three moments."""
    now = timezone.now()
    companies = [CompanyFactory(name="Acme"), CompanyFactory(name="Binary"), None]
    leads = []
    for index in range(13):
        leads.append(
            LeadFactory(
                last_name=f"Name{index % 4}",
                score=None if index % 5 == 0 else index % 3 * 10,
                deal_value=None if index % 4 == 0 else Decimal(index % 2 * 500),
                company=companies[index % 3],
            )
        )
    for index, lead in enumerate(leads):
        Lead.objects.filter(pk=lead.pk).update(updated_at=now - timedelta(hours=index % 3))
    return leads


def _walk(client, params: dict, direction: str = "next_query", start: str = "") -> list[tuple[int, list[int]]]:
    """Follow the table's Next (or Previous) links from the first page (or `start`): each page's number and ids."""
    response = client.get(f"{reverse('crm:leads')}?{start}" if start else reverse("crm:leads"), params)
    pages = []
    while True:
        pages.append((response.context["page"].number, [lead.pk for lead in response.context["page"]]))
        link = response.context[direction]
        if not link:
            return pages
        response = client.get(f"{reverse('crm:leads')}?{link}")


def test_a_count_past_the_cap_shows_as_cap_plus(client, manager_mia, small_pages):
    for _ in range(6):
        LeadFactory()
    client.force_login(manager_mia)
    html = client.get(reverse("crm:leads")).content.decode()
    assert "<strong>5+</strong> leads" in html
    assert "Select all 5+ leads matching this filter" in html
    assert "Page 1</span>" in html  # no "of N": the number of pages is not known
    small_pages.LEADS_COUNT_CAP = 1000
    html = client.get(reverse("crm:leads")).content.decode()
    assert "<strong>6</strong> leads" in html and "Page 1 of 3" in html


@pytest.mark.parametrize("sort", ["", "-updated", "name", "company", "-score", "score", "-value", "value", "created"])
def test_keyset_pages_hold_every_lead_once_in_the_tables_order(client, manager_mia, small_pages, sort):
    _leads_with_ties()
    client.force_login(manager_mia)
    params = {"sort": sort} if sort else {}
    pages = _walk(client, params)

    walked = [pk for _, ids in pages for pk in ids]
    small_pages.LEADS_COUNT_CAP = 1000  # everything on OFFSET pages: the order the table always had
    small_pages.LEADS_PAGE_SIZE = 50
    expected = [lead.pk for lead in client.get(reverse("crm:leads"), params).context["page"]]
    assert walked == expected
    assert [number for number, _ in pages] == list(range(1, 8))
    assert all(len(ids) == 2 for _, ids in pages[:-1])
    # Deep pages came by cursor; walking back from the last one gives the same pages in reverse.
    small_pages.LEADS_COUNT_CAP, small_pages.LEADS_PAGE_SIZE = 5, 2
    last_link = client.get(reverse("crm:leads"), params).context["next_query"]
    for _ in range(5):
        last_link = client.get(f"{reverse('crm:leads')}?{last_link}").context["next_query"]
    assert "after=" in last_link
    backwards = _walk(client, {}, direction="previous_query", start=last_link)
    assert backwards == pages[::-1]


def test_a_keyset_page_shows_no_lead_twice_when_leads_arrive_in_front(client, manager_mia, small_pages):
    _leads_with_ties()
    client.force_login(manager_mia)
    page_four = client.get(reverse("crm:leads"), {"page": 3}).context["next_query"]
    before = [lead.pk for lead in client.get(f"{reverse('crm:leads')}?{page_four}").context["page"]]
    LeadFactory()  # the most recently updated: first in the table
    assert [lead.pk for lead in client.get(f"{reverse('crm:leads')}?{page_four}").context["page"]] == before


def test_a_rep_pages_through_only_the_leads_they_see(client, rep_alice, rep_bob, small_pages):
    mine = {LeadFactory(owner=rep_alice).pk for _ in range(5)} | {LeadFactory(owner=None).pk for _ in range(3)}
    for _ in range(6):
        LeadFactory(owner=rep_bob)
    client.force_login(rep_alice)
    walked = [pk for _, ids in _walk(client, {}) for pk in ids]
    assert sorted(walked) == sorted(mine)


def test_an_edited_cursor_starts_again_from_the_top(client, manager_mia, small_pages):
    _leads_with_ties()
    client.force_login(manager_mia)
    for cursor in ["not-a-cursor", "WyJub3QgYSBkYXRlIiwgMV0", "WzEsMiwzXQ"]:
        response = client.get(reverse("crm:leads"), {"page": 9, "after": cursor})
        assert response.status_code == 200
        assert response.context["page"].number == 3  # the last page OFFSET reaches


def test_the_count_is_kept_briefly_and_forgotten_after_a_bulk_change(client, manager_mia, rep_bob, settings):
    settings.LEADS_COUNT_CACHE_SECONDS = 60
    leads = [LeadFactory() for _ in range(3)]
    client.force_login(manager_mia)
    assert "<strong>3</strong> leads" in client.get(reverse("crm:leads")).content.decode()
    LeadFactory()
    # Within the minute the same filter's count is read back, not counted again.
    assert "<strong>3</strong> leads" in client.get(reverse("crm:leads")).content.decode()
    assert "<strong>4</strong> leads" in client.get(reverse("crm:leads"), {"owner": "none"}).content.decode()
    client.post(
        reverse("crm:leads_bulk"),
        {"action": "assign", "leads": [leads[0].pk], "to_owner": rep_bob.pk},
        HTTP_HX_REQUEST="true",
    )
    assert "<strong>4</strong> leads" in client.get(reverse("crm:leads")).content.decode()
    assert "<strong>3</strong> leads" in client.get(reverse("crm:leads"), {"owner": "none"}).content.decode()


def test_search_ranks_names_first_then_beginnings_then_the_rest(client, manager_mia):
    now = timezone.now()
    ranked = [
        LeadFactory(first_name="Ann", last_name="Fraser"),
        LeadFactory(first_name="Fraser", last_name="Doe"),
        LeadFactory(first_name="Bo", last_name="Frasermann"),
        LeadFactory(first_name="Cy", last_name="Lee", email="cy.fraser@example.com"),
        LeadFactory(first_name="Di", last_name="Moe", company=CompanyFactory(name="Fraser Holdings")),
    ]
    LeadFactory(first_name="Ed", last_name="Unrelated")
    # The weakest matches were updated last: the ranking, not recency, puts the names first.
    for age, lead in enumerate(ranked):
        Lead.objects.filter(pk=lead.pk).update(updated_at=now - timedelta(hours=10 - age))
    client.force_login(manager_mia)
    found = [lead.pk for lead in client.get(reverse("crm:leads"), {"q": "fraser"}).context["page"]]
    # Names that are the word (the more recent first), a name that starts with it, then the rest by recency.
    assert found == [ranked[1].pk, ranked[0].pk, ranked[2].pk, ranked[4].pk, ranked[3].pk]
    # A chosen sort still wins over the ranking.
    by_name = [
        lead.last_name for lead in client.get(reverse("crm:leads"), {"q": "fraser", "sort": "name"}).context["page"]
    ]
    assert by_name == sorted(by_name)


def test_a_common_names_first_page_is_read_from_the_names_index_in_the_ranked_order(
    client, rep_alice, rep_bob, small_pages
):
    """Enough leads named the word to fill the page: the first page comes from the name indexes (first_page_ids),
    and it and the pages after it are the ones the full ranking gives, for what the rep may see."""
    now = timezone.now()
    ann = LeadFactory(first_name="Ann", last_name="Fraser", owner=rep_alice)
    doe = LeadFactory(first_name="fraser", last_name="Doe", owner=None)
    cy = LeadFactory(first_name="Cy", last_name="FRASER", owner=rep_alice)  # as recent as Doe: the newer id first
    di = LeadFactory(first_name="Di", last_name="Fraser", owner=None)
    bobs = LeadFactory(first_name="Ed", last_name="Fraser", owner=rep_bob)  # not hers to see
    flo = LeadFactory(first_name="Flo", last_name="Frasermann", owner=rep_alice)  # starts with it: ranked after
    gus = LeadFactory(first_name="Gus", last_name="Lee", email="gus.fraser@example.com", owner=None)
    hal = LeadFactory(first_name="Hal", last_name="Fraser", owner=rep_alice)
    for lead, hours in [(ann, 5), (doe, 3), (cy, 3), (di, 8), (bobs, 0), (flo, 0), (gus, 1), (hal, 2)]:
        Lead.objects.filter(pk=lead.pk).update(updated_at=now - timedelta(hours=hours))
    client.force_login(rep_alice)

    params = {"q": "fraser"}
    request = client.get(reverse("crm:leads"), params).wsgi_request
    lead_filter = LeadFilter(params, queryset=leads_visible_to(rep_alice), request=request)
    assert lead_filter.first_page_ids(3) == [hal.pk, cy.pk, doe.pk]  # five she sees are named Fraser: a page's worth
    walked = [pk for _, ids in _walk(client, params) for pk in ids]

    small_pages.LEADS_PAGE_SIZE = 50  # one page, more than the names fill: the full ranking
    assert LeadFilter(params, queryset=leads_visible_to(rep_alice), request=request).first_page_ids(51) is None
    ranked = [lead.pk for lead in client.get(reverse("crm:leads"), params).context["page"]]
    assert ranked == [hal.pk, cy.pk, doe.pk, ann.pk, di.pk, flo.pk, gus.pk]
    assert walked == ranked

    # Two words, or a sort of the user's choosing: the ranking of all matches, as before.
    for other in ({"q": "ann fraser"}, {"q": "fraser", "sort": "name"}):
        assert LeadFilter(other, queryset=leads_visible_to(rep_alice), request=request).first_page_ids(3) is None


def test_the_sort_by_company_reads_pages_of_leads_with_a_company_as_an_inner_join(client, rep_alice, small_pages):
    """Pages whose leads all have a company come from the quicker road (company_page_ids), in the order the full
    sort gives; the page that reaches the leads without one, from the full sort: either way, every lead once."""
    acme, binary = CompanyFactory(name="Acme"), CompanyFactory(name="Binary")
    with_company = [LeadFactory(owner=rep_alice, company=company) for company in (binary, acme, binary, acme)]
    without = [LeadFactory(owner=rep_alice, company=None) for _ in range(2)]
    client.force_login(rep_alice)
    request = client.get(reverse("crm:leads")).wsgi_request
    for sort, names in (("company", [acme, acme, binary, binary]), ("-company", [binary, binary, acme, acme])):
        params = {"sort": sort}
        lead_filter = LeadFilter(params, queryset=leads_visible_to(rep_alice), request=request)
        # Newest first among a company's leads.
        expected = sorted(with_company, key=lambda lead: (names.index(lead.company), -lead.pk))
        expected = [lead.pk for lead in expected] + sorted((lead.pk for lead in without), reverse=True)
        assert lead_filter.page_ids(0, 3) == expected[:3]
        assert lead_filter.page_ids(2, 3) is None  # the fifth lead has no company
        assert [pk for _, ids in _walk(client, params) for pk in ids] == expected
    assert LeadFilter({"sort": "name"}, queryset=leads_visible_to(rep_alice), request=request).page_ids(0, 3) is None


def test_a_searchs_count_reads_the_trigram_indexes_not_the_table(client, rep_alice):
    """PostgreSQL overestimates what LIKE '%word%' matches and, under the count's LIMIT, reads the table in order
    instead of the indexes: the search's count is made with table scans off, for that count alone."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for name in ("Fraser", "Frasermann", "Lee"):
        LeadFactory(last_name=name, owner=rep_alice)
    client.force_login(rep_alice)
    with CaptureQueriesContext(connection) as indexed:
        page = client.get(reverse("crm:leads"), {"q": "fraser"}).context["page"]
    with CaptureQueriesContext(connection) as short:
        short_page = client.get(reverse("crm:leads"), {"q": "ee"}).context["page"]

    assert str(page.count) == "2"
    assert str(short_page.count) == "1"
    settings_changed = [query["sql"] for query in indexed if "enable_seqscan" in query["sql"]]
    if connection.vendor == "postgresql":
        assert settings_changed == ["SET LOCAL enable_seqscan = off", "SET LOCAL enable_seqscan TO DEFAULT"]
        sql = [query["sql"] for query in indexed]
        assert "COUNT(*)" in sql[sql.index(settings_changed[0]) + 1]
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_seqscan")
            assert cursor.fetchone() == ("on",)
    else:
        assert settings_changed == []
    # A word shorter than a trigram cannot use the indexes: its count is planned as usual.
    assert not [query for query in short if "enable_seqscan" in query["sql"]]
