"""Enriching from the leads table: tick leads, see what it will cost, start, watch the job end, and find each value
on the lead's page with its source and confidence. The finder asks a local DNS and SMTP server."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import CompanyFactory, LeadFactory
from tests.fakes.dns_server import FakeDnsServer
from tests.fakes.smtp_server import FakeSmtpServer

pytestmark = pytest.mark.browser


@pytest.fixture
def mail_servers(settings):
    dns, smtp = FakeDnsServer().start(), FakeSmtpServer().start()
    dns.zone["acme.test"] = {"MX": [(10, "mx.acme.test")]}
    dns.zone["mx.acme.test"] = {"A": ["127.0.0.1"]}
    smtp.domains["acme.test"] = {"jane.smith"}
    settings.ENRICHMENT_NAMESERVERS = [f"127.0.0.1:{dns.port}"]
    settings.ENRICHMENT_SMTP_PORT = smtp.port
    settings.ENRICHMENT_ALLOW_PRIVATE_MX = True
    yield dns, smtp
    dns.stop()
    smtp.stop()


def test_a_manager_enriches_leads_from_the_table_and_sees_where_values_came_from(
    page: Page, log_in, manager_mia, mail_servers
):
    acme = CompanyFactory(name="Acme Widgets", domain="acme.test", website="")
    LeadFactory(first_name="Jane", last_name="Smith", email="", phone="+442079460958", time_zone="", company=acme)
    LeadFactory(first_name="Omar", last_name="Haddad", email="", company=acme)
    log_in(manager_mia)
    page.get_by_role("link", name="Leads", exact=True).click()
    table = page.locator("#lead-table")
    table.get_by_label("Select Jane Smith").check()
    table.get_by_role("button", name="Enrich…").click()

    expect(page.get_by_role("heading", name="Enrich 1 lead")).to_be_visible()
    expect(page.locator("#credit-estimate")).to_contain_text("No paid credits")
    expect(page.get_by_label("Hunter.io")).not_to_be_checked()
    page.get_by_label("Email finder (built-in)").check()
    page.get_by_label("Phone facts (built-in)").check()
    page.get_by_role("button", name="Start enrichment").click()

    expect(page.locator("#job-status")).to_have_text("Done")
    expect(page.locator("#emails-verified")).to_have_text("1")
    expect(page.locator("#phones-found")).to_have_text("1")
    page.locator(".outcomes").get_by_role("link", name="Jane Smith").click()

    facts = page.locator("#facts")
    expect(facts).to_contain_text("jane.smith@acme.test")
    expect(facts).to_contain_text("Europe/London")
    sources = page.locator("#field-sources")
    email_row = sources.locator("tr", has_text="jane.smith@acme.test")
    expect(email_row).to_contain_text("finder")
    expect(email_row).to_contain_text("95%")
    expect(email_row).to_contain_text("valid")
    expect(email_row).to_contain_text("in use")
    expect(sources.locator("tr", has_text="+442079460958")).to_contain_text("fixed_line")
    expect(page.locator(".timeline")).to_contain_text("Enriched")
