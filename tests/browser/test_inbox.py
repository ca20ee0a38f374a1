"""A rep keeps the inbox open; a lead's answer to a sequence email comes in through the email intake and shows up
without a reload; the rep answers in the page; the answer reaches the SMTP server threaded under the lead's message;
the lead is "Replied" on the board, and the menu's and header's counts told the rep on the way."""

from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from outreach.conversations import conversation_open, message_received, reply_received
from outreach.models import Conversation, Mailbox
from outreach.replies import email_received
from tests.factories import CompanyFactory, EnrollmentFactory, LeadFactory, MessageFactory, default_stage
from tests.fakes.mail_sink import MailSink

pytestmark = pytest.mark.browser
POLL_MS = 12_000  # the inbox asks every 5 seconds; a loaded machine may take longer to draw the answer


def priya_answer(answered_id: str) -> bytes:
    """Priya's answer to our email, as her mail client sends it: threaded under it, our text quoted below hers."""
    mail = EmailMessage()
    mail["From"] = "Priya Shah <priya@northwind.example>"
    mail["To"] = "Alice at Acme <alice@acme.example>"
    mail["Subject"] = "Re: Routes for Northwind"
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = "<CAF-priya@mail.northwind.example>"
    mail["In-Reply-To"] = answered_id
    mail["References"] = answered_id
    mail.set_content(
        "Interesting. Can you do Thursday at 10?\n\nOn Tue, Alice at Acme <alice@acme.example> wrote:\n"
        "> Hi Priya, a short note.\n"
    )
    return bytes(mail)


@pytest.fixture
def sink():
    sink = MailSink().start()
    yield sink
    sink.stop()


def test_a_reply_appears_the_rep_answers_it_and_the_answer_arrives_threaded(page: Page, log_in, rep_alice, sink):
    mailbox = Mailbox.objects.create(
        name="Alice at Acme", address="alice@acme.example", smtp_host=sink.host, smtp_port=sink.port,
        postal_address="1 Dock Road, Rotterdam",
    )  # fmt: skip
    lead = LeadFactory(
        first_name="Priya", last_name="Shah", email="priya@northwind.example", owner=rep_alice,
        company=CompanyFactory(name="Northwind Freight"), stage=default_stage(1),
    )  # fmt: skip
    sent = MessageFactory(
        enrollment=EnrollmentFactory(lead=lead, sequence__mailbox=mailbox), mailbox=mailbox,
        subject="Routes for Northwind", message_id="<seq-42@acme.example>",
    )  # fmt: skip
    log_in(rep_alice)
    page.get_by_role("link", name="Inbox").click()
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    expect(page.locator("#inbox-list")).to_contain_text("No conversations here.")

    # Priya answers, and the email intake reads her email (as the IMAP poller hands it over), the page still open.
    assert email_received(priya_answer(sent.message_id), via="imap", mailbox=mailbox) is not None
    conversation = Conversation.objects.get(lead=lead, channel="email")

    row = page.locator(".conversation-row", has_text="Priya Shah")
    expect(row).to_be_visible(timeout=POLL_MS)
    expect(row.locator(".unread-count")).to_have_text("1")
    row.get_by_role("link").click()
    expect(page.locator("#thread-lines")).to_contain_text("Interesting. Can you do Thursday at 10?")
    expect(page.locator("#thread-lines")).to_contain_text("Sequence email")  # our email it answers, above it
    expect(page).to_have_url(f"{page.url.split('/inbox/')[0]}/inbox/{conversation.pk}/")

    page.get_by_label("Your answer").fill("Thursday 10:00 works, talk then.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#conversation")).to_contain_text("Sent to priya@northwind.example")
    expect(page.locator("#thread-lines .thread-line.out", has_text="Thursday 10:00 works")).to_contain_text("Sent")

    [email] = sink.received_by("priya@northwind.example")
    assert email["In-Reply-To"] == "<CAF-priya@mail.northwind.example>"
    assert email["References"].split() == ["<seq-42@acme.example>", "<CAF-priya@mail.northwind.example>"]
    assert email["Subject"] == "Re: Routes for Northwind"

    expect(page.get_by_role("link", name="Notifications: 1 unread")).to_be_visible()  # reply_received told Alice
    page.get_by_role("link", name="Pipeline").click()
    replied = page.get_by_role("region", name="Replied", exact=True)
    expect(replied.locator(".card", has_text="Priya Shah")).to_be_visible()


@pytest.mark.parametrize(("persona", "width"), [("admin_ada", 1440), ("rep_alice", 1366)])
def test_the_menu_with_its_counts_stays_one_line_on_a_laptop(page: Page, log_in, request, persona, width):
    """An admin's menu is the longest (Sources, Settings, Admin): it fits 1440 px; a rep's fits 1366."""
    user = request.getfixturevalue(persona)
    lead = LeadFactory(owner=user)
    conversation = conversation_open(lead, "email", peer=lead.email)
    for number in range(12):
        reply_received(message_received(conversation, sender=lead.email, text=f"Message {number}"))
    page.set_viewport_size({"width": width, "height": 800})
    log_in(user)
    expect(page.locator("#menu-inbox-count")).to_have_text("1")
    expect(page.locator("#menu-notifications")).to_have_text("12")
    items = page.locator(".topbar nav a, .topbar .me a, .topbar .me button")
    boxes = [items.nth(index).bounding_box() for index in range(items.count())]
    # One line: every item's middle at the same height, and the last one (Sign out) inside the window.
    middles = [box["y"] + box["height"] / 2 for box in boxes]
    assert max(middles) - min(middles) < 6, f"the menu wraps at {width} px: {boxes}"
    assert max(box["x"] + box["width"] for box in boxes) <= width, f"the menu overflows at {width} px: {boxes}"
