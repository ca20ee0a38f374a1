"""Reading one page of a company website: meta tags, schema.org data, contact details, social links, technology
hints and the people of a team page, from the sites in tests/data/sites (no network)."""

from pathlib import Path

import pytest

from crm.normalize import NormalizeError
from crm.normalize.web import linkedin_company_canonical
from enrichment.providers.technologies import technologies_detected
from enrichment.providers.website_extract import extract_page, likely_page_links, social_link

SITES = Path(__file__).resolve().parent.parent / "data" / "sites"


def page(name: str, url_path: str, **options):
    return extract_page((SITES / name).read_bytes(), f"https://acme-widgets.example{url_path}", **options)


def test_it_reads_the_title_and_descriptions_of_a_home_page():
    home = page("acme/index.html", "/")
    assert home.title == "Home | Acme Widgets"
    assert home.description == "Acme Widgets makes industrial widgets for factories across North America."
    assert home.og_description == "Industrial widgets, made in Ohio."
    assert home.site_name == "Acme Widgets"


def test_a_json_ld_organization_gives_the_company_facts():
    (organization,) = page("acme/index.html", "/").organizations
    assert organization["name"] == "Acme Widgets Inc."
    assert organization["telephone"] == "+1 (614) 555-0100"
    assert organization["email"] == "info@acme-widgets.com"
    assert organization["employees"] == "51-200"
    assert organization["industry"] == "Industrial Machinery"
    assert organization["address"]["addressLocality"] == "Columbus"
    assert organization["address"]["line"] == "100 Main Street, 43215, Columbus, OH, US"
    assert "https://www.linkedin.com/company/acme-widgets/" in organization["same_as"]


def test_microdata_gives_a_local_business_and_its_people():
    home = page("catchall/index.html", "/")
    (organization,) = home.organizations
    assert organization["name"] == "Bright Ledger Ltd"
    assert organization["telephone"] == "0113 496 0000"
    assert organization["employees"] == "12"
    assert organization["type_industry"] == "Accounting service"
    assert organization["address"]["postalCode"] == "LS1 5HD"

    people = page("catchall/people.html", "/people", region="GB").people
    assert [(p["full_name"], p["title"], p["how"]) for p in people] == [
        ("Priya Patel", "Managing Partner", "schema"),
        ("Tom O'Neill", "Tax Adviser", "schema"),
    ]
    assert people[0]["email"] == "priya@brightledger.co.uk"
    assert people[0]["linkedin_url"] == "https://www.linkedin.com/in/priya-patel-ledger"


def test_emails_come_from_mailto_links_and_from_text_written_to_fool_robots():
    contact = page("acme/contact.html", "/contact")
    assert contact.emails == [
        {"email": "sales@acme-widgets.com", "how": "mailto"},
        {"email": "press@acme-widgets.com", "how": "text"},
    ]  # and not logo@2x.png
    shop = page("shop/index.html", "/")
    assert [entry["email"] for entry in shop.emails] == ["shop@fernandmoss.co.uk", "support@fernandmoss.com"]


def test_phones_come_from_tel_links_and_text_read_in_the_sites_region():
    assert page("acme/contact.html", "/contact", region="US").phones == [{"phone": "+16145550123", "how": "tel"}]
    assert page("acme/index.html", "/", region="US").phones == [{"phone": "+16145550100", "how": "text"}]


def test_social_links_are_kept_in_their_canonical_forms_and_share_buttons_are_not():
    home = page("acme/index.html", "/")
    assert home.company_linkedin == ["https://www.linkedin.com/company/acme-widgets"]
    assert home.social == {
        "x": "https://x.com/acmewidgets",
        "instagram": "https://www.instagram.com/acmewidgets",
        "youtube": "https://www.youtube.com/@acmewidgets",
    }
    assert page("shop/index.html", "/").social == {}  # a post, a tweet intent and an unlisted network


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://uk.linkedin.com/company/Acme-Widgets/about/", ("linkedin_company", "https://www.linkedin.com/company/acme-widgets")),
        ("https://www.linkedin.com/in/Jane-Doe/", ("linkedin_person", "https://www.linkedin.com/in/jane-doe")),
        ("https://twitter.com/AcmeWidgets", ("x", "https://x.com/acmewidgets")),
        ("https://www.facebook.com/acmewidgets/", ("facebook", "https://www.facebook.com/acmewidgets")),
        ("https://www.facebook.com/sharer/sharer.php?u=x", ("", "")),
        ("https://www.youtube.com/channel/UC123/videos", ("youtube", "https://www.youtube.com/channel/UC123")),
        ("https://acme-widgets.example/about", ("", "")),
    ],
)  # fmt: skip
def test_social_link_names_the_network_and_the_canonical_page(url, expected):
    assert social_link(url) == expected


def test_a_linkedin_company_page_has_one_canonical_form_and_a_profile_is_not_one():
    assert (
        linkedin_company_canonical("linkedin.com/company/acme-widgets")
        == "https://www.linkedin.com/company/acme-widgets"
    )
    assert linkedin_company_canonical("https://www.linkedin.com/school/MIT/") == "https://www.linkedin.com/company/mit"
    assert linkedin_company_canonical("") == ""
    with pytest.raises(NormalizeError):
        linkedin_company_canonical("https://www.linkedin.com/in/jane-doe")
    with pytest.raises(NormalizeError):
        linkedin_company_canonical("https://acme.com/company/acme")


def test_technology_hints_come_from_the_generator_scripts_and_inline_snippets():
    assert page("acme/index.html", "/").technologies == ["WordPress", "HubSpot", "Google Analytics"]
    assert page("shop/index.html", "/").technologies == [
        "Shopify", "Salesforce Pardot", "Marketo", "Google Tag Manager", "Intercom", "Drift", "Zendesk", "Stripe",
    ]  # fmt: skip


def test_technology_hints_come_from_response_headers_and_cookies_too():
    shop = page(
        "shop/index.html", "/", headers={"Server": "cloudflare", "CF-RAY": "8a1b-LHR"}, cookie_names=["_shopify_y"]
    )
    assert "Cloudflare" in shop.technologies
    assert technologies_detected(cookie_names=["_ga", "hubspotutk"]) == ["HubSpot", "Google Analytics"]
    assert technologies_detected(headers={"X-Powered-By": "PHP/8.2"}, cookie_names=["_hjSession_1"]) == [
        "Hotjar",
        "PHP",
    ]
    assert technologies_detected(generators=["Wix.com Website Builder"]) == ["Wix"]


def test_a_team_page_names_its_people_with_their_titles_and_their_own_contacts():
    people = page("acme/team.html", "/team", region="US").people
    assert [(p["first_name"], p["last_name"], p["title"]) for p in people] == [
        ("Jane", "Doe", "Chief Executive Officer"),
        ("Bob", "Smith", "Head of Engineering"),
        ("Carla", "Gómez", "Sales Director"),
    ]
    jane = people[0]
    assert jane["email"] == "jane.doe@acme-widgets.com"
    assert jane["phone"] == "+16145550111"
    assert jane["linkedin_url"] == "https://www.linkedin.com/in/jane-doe-acme"
    assert people[1]["linkedin_url"] == "https://www.linkedin.com/in/bobsmith42"
    assert people[2]["email"] == "carla.gomez@acme-widgets.com"


def test_headings_on_pages_that_are_not_about_people_are_not_people():
    features = b"""<html><body><h1>Why us</h1>
    <div class="feature"><h3>Fast Delivery</h3><p>Ships in two days</p></div>
    <div class="feature"><h3>Great Support</h3><p>Always there</p></div></body></html>"""
    assert extract_page(features, "https://acme.example/").people == []
    assert page("acme/index.html", "/").people == []


def test_broken_html_still_gives_what_it_can():
    broken = page("broken/index.html", "/", region="DE")
    assert broken.title == "Krumm & Söhne GmbH"
    assert broken.description == "Werkzeugbau seit 1907"
    assert broken.emails == [{"email": "info@krumm-soehne.de", "how": "mailto"}]
    assert broken.phones == [{"phone": "+49301234567", "how": "tel"}]
    # The broken JSON-LD block is skipped; the good one after it is read.
    assert [organization["name"] for organization in broken.organizations] == ["Krumm & Söhne GmbH"]


def test_a_page_drawn_by_javascript_is_recognised():
    assert page("jsonly/index.html", "/").needs_javascript
    assert not page("acme/index.html", "/").needs_javascript
    assert not page("catchall/index.html", "/").needs_javascript


def test_the_likely_pages_are_team_about_contact_and_imprint_on_the_same_site():
    home = page("acme/index.html", "/")
    assert likely_page_links(home.links, home.url) == [
        "https://acme-widgets.example/team",
        "https://acme-widgets.example/about",
        "https://acme-widgets.example/contact",
        "https://acme-widgets.example/impressum",
    ]  # not the blog, the PDF catalogue or the partner's contact page
    assert likely_page_links(home.links, home.url, limit=2) == [
        "https://acme-widgets.example/team",
        "https://acme-widgets.example/about",
    ]


def test_a_site_without_a_registered_domain_keeps_to_its_own_host():
    links = [["http://localhost:8000/acme/team", "Team"], ["http://localhost:9000/team", "Team"]]
    assert likely_page_links(links, "http://localhost:8000/acme/") == ["http://localhost:8000/acme/team"]


def test_links_no_parser_can_read_are_left_out_not_fatal():
    html = '<html><body><a href="http://[oops/">broken</a><a href="https://acme.test/team">Team</a></body></html>'
    facts = extract_page(html, "https://acme.test/", headers={}, cookie_names=[])
    assert [link for link, _text in facts.links] == ["https://acme.test/team"]
