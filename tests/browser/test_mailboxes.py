"""A manager adds an SMTP mailbox in the browser, sends a test through it and sees the answer in place; then writes a
template, is told which field is unknown, fixes it and previews it for a lead."""

import pytest
from playwright.sync_api import Page, expect

from outreach.models import Mailbox
from tests.factories import CompanyFactory, LeadFactory
from tests.fakes.mail_sink import MailSink

pytestmark = pytest.mark.browser


@pytest.fixture
def sink():
    sink = MailSink().start()
    yield sink
    sink.stop()


def test_a_manager_adds_a_mailbox_and_sends_a_test(page: Page, log_in, manager_mia, sink):
    log_in(manager_mia)
    page.get_by_role("link", name="Sequences").click()  # mailboxes, templates and suppression are found there
    page.get_by_role("link", name="Mailboxes").click()
    page.get_by_role("link", name="Add a mailbox").click()
    page.get_by_label("Sender name").fill("Acme Sales")
    page.get_by_label("Sender address").fill("sales@acme.example")
    page.get_by_label("SMTP host").fill(sink.host)
    page.get_by_label("SMTP port").fill(str(sink.port))
    page.get_by_label("Postal address").fill("1 Dock Road, Rotterdam")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Sales <sales@acme.example>")
    assert Mailbox.objects.get().smtp_port == sink.port

    page.get_by_label("Send a test to").fill("mia@leadflow.test")
    page.get_by_role("button", name="Send test").click()
    expect(page.locator("#test-result")).to_contain_text("Test sent: Sent a test message to mia@leadflow.test")
    assert len(sink.received_by("mia@leadflow.test")) == 1

    sink.refusals["nobody@leadflow.test"] = "550 5.1.1 No such user"
    page.get_by_label("Send a test to").fill("nobody@leadflow.test")
    page.get_by_role("button", name="Send test").click()
    expect(page.locator("#test-result")).to_contain_text("550 5.1.1 No such user")


def test_a_rep_writes_a_template_and_previews_it(page: Page, log_in, rep_alice):
    LeadFactory(first_name="Priya", title="", email="priya@acme.example", owner=rep_alice,
                company=CompanyFactory(name="Acme Logistics"))  # fmt: skip
    log_in(rep_alice)
    page.goto("/outreach/message-templates/new/")
    page.get_by_label("Name").fill("Intro")
    page.get_by_label("Subject").fill("Quick question, {{ frist_name }}")
    page.get_by_label("Body").fill("Hi {{ first_name }}, I saw {{ company }} is hiring {{ title }}s.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".errorlist")).to_contain_text("Unknown merge field in the subject: {{ frist_name }}")

    page.get_by_label("Subject").fill("Quick question, {{ first_name|default:'there' }}")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Preview for a lead").click()
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("main")).to_contain_text("Quick question, Priya")
    expect(page.locator("main")).to_contain_text("no value and no fallback for title")
