"""The company-website source reads real pages from a local web server (tests/fakes/company_sites.py): company facts,
the lead's own contact details, the other people of the team page, one read per site within the cache days, and a
clear failure for every site it must not or cannot read."""

import socket

import pytest

from enrichment.models import ProviderAnswer
from enrichment.providers import website
from enrichment.providers.base import COMPANY, EMAIL, LINKEDIN, PHONE, LeadFacts, ProviderFailed
from leadflow.http import RobotsCache
from leadflow.rendering import PageRenderer
from tests.fakes.company_sites import CompanySites

EVERYTHING = frozenset({COMPANY, EMAIL, PHONE, LINKEDIN})


@pytest.fixture(autouse=True)
def outbound_settings(local_stand_ins, monkeypatch):
    """The stand-in is reached as "localhost" only; robots.txt read afresh per test."""
    settings = local_stand_ins
    settings.ENRICHMENT_RENDER_JS = False
    monkeypatch.setattr("leadflow.http._robots_cache", RobotsCache())
    return settings


@pytest.fixture
def sites():
    server = CompanySites().start()
    yield server
    server.stop()


def jane_at_acme(sites, **facts) -> LeadFacts:
    return LeadFacts(
        first_name="Jane",
        last_name="Doe",
        company="Acme",
        domain="acme-widgets.com",
        website=sites.url("acme/"),
        **facts,
    )


def by_field(findings) -> dict:
    return {finding.field: finding for finding in findings if finding.field != "person"}


def test_it_reads_an_ordinary_company_site_for_the_companys_facts(db, sites):
    found = by_field(website.find(jane_at_acme(sites), EVERYTHING))

    assert (found["company.name"].value, found["company.name"].confidence) == ("Acme Widgets Inc.", 90)
    assert found["company.description"].value == "Industrial widgets for factories since 1952."
    assert found["company.phone"].value == "+16145550100"
    assert found["company.email"].value == "info@acme-widgets.com"
    assert found["company.linkedin_url"].value == "https://www.linkedin.com/company/acme-widgets"
    assert found["company.location"].value == "100 Main Street, 43215, Columbus, OH, US"
    assert found["company.location"].detail["addressLocality"] == "Columbus"
    assert found["company.size"].value == "51-200"
    assert found["company.industry"].value == "Industrial Machinery"
    assert found["company.technologies"].detail["technologies"] == ["WordPress", "HubSpot", "Google Analytics", "Nginx"]
    assert found["company.technologies"].value == "WordPress, HubSpot, Google Analytics, Nginx"
    assert found["company.social"].detail == {
        "x": "https://x.com/acmewidgets",
        "facebook": "https://www.facebook.com/acmewidgets",
        "instagram": "https://www.instagram.com/acmewidgets",
        "youtube": "https://www.youtube.com/@acmewidgets",
    }
    assert {finding.source for finding in found.values()} == {"website"}


def test_it_finds_the_leads_own_email_phone_and_profile_on_the_team_page(db, sites):
    found = by_field(website.find(jane_at_acme(sites), EVERYTHING))

    email = found["email"]
    # Named on the site, not verified: no status, so the waterfall treats it as a guess.
    assert (email.value, email.confidence, email.status) == ("jane.doe@acme-widgets.com", 70, "")
    assert found["phone"].value == "+16145550111"
    assert (found["linkedin_url"].value, found["linkedin_url"].confidence) == (
        "https://www.linkedin.com/in/jane-doe-acme",
        80,
    )


def test_the_other_people_of_the_team_page_become_person_findings(db, sites):
    people = [finding for finding in website.find(jane_at_acme(sites), EVERYTHING) if finding.field == "person"]

    assert [person.value for person in people] == ["Bob Smith", "Carla Gómez"]  # not Jane, the lead herself
    bob, carla = people
    assert bob.detail["title"] == "Head of Engineering"
    assert bob.detail["linkedin_url"] == "https://www.linkedin.com/in/bobsmith42"
    assert bob.detail["page_url"] == sites.url("acme/team")
    assert (carla.detail["first_name"], carla.detail["last_name"]) == ("Carla", "Gómez")
    assert carla.detail["email"] == "carla.gomez@acme-widgets.com"


def test_it_reads_the_home_page_and_the_likely_pages_only(db, sites):
    website.find(jane_at_acme(sites), EVERYTHING)

    assert sorted(sites.requested_paths()) == sorted(
        ["/robots.txt", "/acme/", "/acme/team", "/acme/about", "/acme/contact", "/acme/impressum"]
    )  # the imprint is missing (404) and skipped; the blog and the PDF are not read


def test_the_site_is_read_once_for_all_the_leads_of_a_company(db, sites):
    website.find(jane_at_acme(sites), EVERYTHING)
    requests_before = len(sites.server.log)

    bob = LeadFacts(first_name="Bob", last_name="Smith", domain="acme-widgets.com", website=sites.url("acme/"))
    findings = website.find(bob, EVERYTHING)

    assert len(sites.server.log) == requests_before
    found = by_field(findings)
    assert found["linkedin_url"].value == "https://www.linkedin.com/in/bobsmith42"
    assert "Jane Doe" in [finding.value for finding in findings if finding.field == "person"]
    answer = ProviderAnswer.objects.get(source="website", kind="site")
    assert found["company.name"].answer == answer
    assert answer.key == f"localhost:{sites.port}/acme"


def test_microdata_gives_a_companys_facts_and_its_people(db, sites):
    priya = LeadFacts(
        first_name="Priya", last_name="Patel", domain="brightledger.co.uk", website=sites.url("catchall/")
    )
    findings = website.find(priya, EVERYTHING)
    found = by_field(findings)

    assert found["company.name"].value == "Bright Ledger Ltd"
    # A national number read in the region of the domain (.co.uk).
    assert found["company.phone"].value == "+441134960000"
    assert found["company.email"].value == "hello@brightledger.co.uk"
    assert found["company.size"].value == "12"
    assert (found["company.industry"].value, found["company.industry"].confidence) == ("Accounting service", 50)
    assert found["email"].value == "priya@brightledger.co.uk"
    assert found["linkedin_url"].value == "https://www.linkedin.com/in/priya-patel-ledger"
    (tom,) = [finding for finding in findings if finding.field == "person"]
    assert (tom.value, tom.detail["title"], tom.confidence) == ("Tom O'Neill", "Tax Adviser", 70)


def test_only_the_wanted_fields_are_given(db, sites):
    findings = website.find(jane_at_acme(sites), frozenset({EMAIL}))
    assert [finding.field for finding in findings] == ["email"]  # no company facts, no new people


def test_a_lead_without_a_website_or_domain_has_nothing_to_read(db, sites):
    assert website.find(LeadFacts(first_name="Jane", last_name="Doe", company="Acme"), EVERYTHING) == []
    assert website.find(jane_at_acme(sites), frozenset({"time_zone"})) == []
    assert sites.requested_paths() == []


def test_broken_html_is_read_as_far_as_it_goes(db, sites):
    karl = LeadFacts(first_name="Karl", last_name="Krumm", domain="krumm-soehne.de", website=sites.url("broken/"))
    found = by_field(website.find(karl, EVERYTHING))

    assert found["company.name"].value == "Krumm & Söhne GmbH"
    assert found["company.phone"].value == "+49301234567"
    assert found["company.email"].value == "info@krumm-soehne.de"
    assert found["company.description"].value == "Werkzeugbau seit 1907"


def test_a_site_redirecting_to_a_private_address_is_refused(db, sites):
    lead = LeadFacts(first_name="Eve", last_name="Mallory", website=sites.url("redirecting-co/"))
    with pytest.raises(ProviderFailed, match="refused: the site redirects to a private address"):
        website.find(lead, EVERYTHING)
    # The redirect pointed at this same server as 127.0.0.1: it was never asked.
    assert "/acme/" not in sites.requested_paths()

    # The refusal lasts: the next lead of that company is refused without asking the site again.
    requests_before = len(sites.server.log)
    with pytest.raises(ProviderFailed, match="private address"):
        website.find(lead, EVERYTHING)
    assert len(sites.server.log) == requests_before


def test_a_site_at_a_private_address_is_refused(db, sites):
    lead = LeadFacts(first_name="Eve", last_name="Mallory", website=f"http://127.0.0.1:{sites.port}/acme/")
    with pytest.raises(ProviderFailed, match="private address"):
        website.find(lead, EVERYTHING)
    assert sites.requested_paths() == []


def test_a_20_mb_page_is_refused_by_the_size_cap(db, sites, settings):
    settings.HTTP_MAX_BYTES = 1_000_000
    lead = LeadFacts(first_name="Hugh", last_name="Mann", website=sites.url("huge-co/"))
    with pytest.raises(ProviderFailed, match="larger than 1,000,000 bytes"):
        website.find(lead, EVERYTHING)


def test_a_missing_home_page_fails_for_that_lead(db, sites):
    lead = LeadFacts(first_name="Nora", last_name="Body", website=sites.url("missing-co/"))
    with pytest.raises(ProviderFailed, match="answered 404"):
        website.find(lead, EVERYTHING)


def test_a_site_that_is_down_fails_for_that_lead_after_its_retries(db, sites, slept):
    lead = LeadFacts(first_name="Nora", last_name="Body", website=sites.url("down-co/"))
    with pytest.raises(ProviderFailed, match="kept answering with server errors"):
        website.find(lead, EVERYTHING)
    assert sites.requested_paths().count("/down-co/") == 4  # the first try and three retries
    assert ProviderAnswer.objects.get(source="website").expires_at is None  # asked again for the next lead


def test_a_site_that_refuses_connections_fails_for_that_lead(db, sites, slept):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    lead = LeadFacts(first_name="Nora", last_name="Body", website=f"http://localhost:{port}/")
    # Its robots.txt is the first thing that cannot be read.
    with pytest.raises(ProviderFailed, match="could not be read"):
        website.find(lead, EVERYTHING)
    # A passing error is kept in the history but not as the cache: the next lead asks again.
    answer = ProviderAnswer.objects.get(source="website")
    assert answer.expires_at is None
    assert "could not be read" in answer.body["error"]


def test_a_site_with_no_address_fails_for_that_lead(db):
    lead = LeadFacts(first_name="Nora", last_name="Body", website="http://no-such-host.invalid/")
    with pytest.raises(ProviderFailed, match=r"no-such-host\.invalid has no address"):
        website.find(lead, EVERYTHING)


def test_a_site_whose_robots_txt_disallows_reading_is_not_read(db, sites):
    lead = LeadFacts(first_name="Pia", last_name="Vate", website=sites.url("private-co/"))
    with pytest.raises(ProviderFailed, match=r"robots\.txt of localhost disallows reading the site"):
        website.find(lead, EVERYTHING)
    assert sites.requested_paths() == ["/robots.txt"]


def test_a_javascript_only_page_gives_little_without_rendering(db, sites):
    lead = LeadFacts(first_name="Nia", last_name="Bus", domain="nimbus-backup.io", website=sites.url("jsonly/"))
    found = by_field(website.find(lead, EVERYTHING))
    assert (found["company.name"].value, found["company.name"].confidence) == ("Nimbus", 50)
    assert "company.email" not in found
    assert "/jsonly/app.js" not in sites.requested_paths()


def test_a_javascript_only_page_is_rendered_in_chromium_when_rendering_is_on(db, sites, settings):
    settings.ENRICHMENT_RENDER_JS = True
    lead = LeadFacts(first_name="Nia", last_name="Bus", domain="nimbus-backup.io", website=sites.url("jsonly/"))
    found = by_field(website.find(lead, EVERYTHING))

    assert found["company.email"].value == "hello@nimbus-backup.io"
    assert found["company.phone"].value == "+14155550199"
    assert found["company.linkedin_url"].value == "https://www.linkedin.com/company/nimbus-backup"
    assert "/jsonly/app.js" in sites.requested_paths()
    # The page's script asked http://127.0.0.1:PORT/ for a beacon: the browser's guard refused it.
    assert "/jsonly/beacon" not in sites.requested_paths()


def test_the_browser_refuses_what_the_guard_refuses(settings, sites):
    with PageRenderer() as renderer:
        html = renderer.render(sites.url("jsonly/"))
    assert "hello@nimbus-backup.io" in html
    assert renderer.refused == [f"http://127.0.0.1:{sites.port}/jsonly/beacon"]
    assert "/jsonly/beacon" not in sites.requested_paths()
