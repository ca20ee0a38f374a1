"""Fixtures of the message writer's tests: leads with facts, and the local Chat Completions stand-in."""

from __future__ import annotations

import pytest

from tests.crm.webhooks.fixtures import fresh_listeners, on_commit, receiver, subscribe  # noqa: F401 (webhooks)
from tests.factories import CompanyFactory, LeadFactory
from tests.fakes.openai_server import stand_in_serving
from tests.outreach.reply_world import world  # noqa: F401 (the reply tests' leads and their sent messages)
from tests.outreach.sending import mail_sink, mailbox, sequence  # noqa: F401 (the sending tests' fixtures)
from tests.outreach.twilio import priya_wa, twilio  # noqa: F401 (the Twilio tests' fixtures)


@pytest.fixture
def priya(db, rep_alice):
    """A lead of Alice's with the facts a message can be built from."""
    company = CompanyFactory(name="Acme Logistics", industry="Logistics", description="Freight forwarding in Europe.")
    return LeadFactory(
        first_name="Priya", last_name="Shah", title="Head of Operations", company=company, owner=rep_alice
    )


@pytest.fixture
def openai_stand_in(settings, db):
    yield from stand_in_serving(settings)
