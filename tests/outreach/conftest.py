"""Fixtures of the message writer's tests: leads with facts, and the local Chat Completions stand-in."""

from __future__ import annotations

import pytest

from tests.factories import CompanyFactory, LeadFactory
from tests.fakes.openai_server import API_KEY, OpenAiStandIn


@pytest.fixture
def priya(db, rep_alice):
    """A lead of Alice's with the facts a message can be built from."""
    company = CompanyFactory(name="Acme Logistics", industry="Logistics", description="Freight forwarding in Europe.")
    return LeadFactory(
        first_name="Priya", last_name="Shah", title="Head of Operations", company=company, owner=rep_alice
    )


@pytest.fixture
def openai_stand_in(settings, db):
    stand_in = OpenAiStandIn.started()
    settings.OPENAI_BASE_URL = stand_in.url
    settings.OPENAI_API_KEY = API_KEY
    settings.OPENAI_MODEL = "gpt-4o-mini"
    settings.AI_TIMEOUT_SECONDS = 2
    settings.AI_MAX_RETRIES = 2
    settings.AI_RETRY_MAX_WAIT_SECONDS = 0.05
    yield stand_in
    stand_in.stop()
