"""Sequence email through an email service's API (Mailgun's messages endpoint on a local stand-in): the provider's
id is kept for its webhooks; a service that cannot be reached is asked again later; one that took the request and
never answered may have sent it, so the message is left for a person, never sent again on its own."""

from __future__ import annotations

import time

import pytest

from outreach.models import Mailbox, Message
from outreach.scheduler import tick
from tests.fakes.mailgun_server import MailgunStandIn
from tests.fakes.smtp_server import free_port
from tests.outreach.sending import NOW, enrolled, sequence_create

DOMAIN = "mg.acme.example"
API_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"


@pytest.fixture
def mailgun():
    stand_in = MailgunStandIn.started(domain=DOMAIN, api_key=API_KEY)
    yield stand_in
    stand_in.stop()


@pytest.fixture
def api_mailbox(mailbox, mailgun, local_stand_ins) -> Mailbox:
    mailbox.transport = Mailbox.Transport.MAILGUN
    mailbox.api_key, mailbox.api_domain, mailbox.api_base_url = API_KEY, DOMAIN, mailgun.base_url
    mailbox.save()
    return mailbox


def test_a_message_sent_through_mailgun_keeps_its_id_for_the_webhooks(api_mailbox, mailgun):
    enrolled(sequence_create(api_mailbox), email="ana@northwind.example", first_name="Ana", last_name="Silva")

    assert tick(now=NOW).sent == 1

    [sent] = mailgun.sent
    message = Message.objects.get()
    assert sent["to"] == "Ana Silva <ana@northwind.example>"
    assert sent["subject"] == "Quick question, Ana"
    assert message.status == Message.Status.SENT
    assert message.provider_message_id == f"<{sent['id']}>"  # Mailgun's id as its API answered it
    assert sent["h:List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_email_service_that_cannot_be_reached_is_asked_again_later(api_mailbox):
    api_mailbox.api_base_url = f"http://localhost:{free_port()}/v3"  # nothing listens there
    api_mailbox.save()
    enrolled(sequence_create(api_mailbox), email="ana@northwind.example")

    report = tick(now=NOW)

    message = Message.objects.get()
    assert (report.sent, report.retrying, report.uncertain) == (0, 1, 0)
    assert (message.status, message.attempts) == (Message.Status.QUEUED, 1)
    assert message.next_attempt_at is not None


def test_a_request_the_service_never_answered_is_left_for_a_person_not_resent(api_mailbox, mailgun, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "REQUESTS_TIMEOUT": 0.5}  # anymail's own timeout for its calls
    mailgun.delay = 1.5  # it takes the message, then answers too late
    enrolled(sequence_create(api_mailbox), email="ana@northwind.example")

    report = tick(now=NOW)

    message = Message.objects.get()
    assert (report.sent, report.retrying, report.uncertain) == (0, 0, 1)
    assert message.status == Message.Status.UNCERTAIN
    assert "no answer from the email service" in message.error
    mailgun.delay = 0
    deadline = time.monotonic() + 10
    while not mailgun.sent and time.monotonic() < deadline:  # the service keeps the message once it answers
        time.sleep(0.05)
    assert tick(now=NOW.replace(hour=15)).sent == 0  # never sent again on its own
    assert len(mailgun.sent) == 1
