"""Fixtures of the webhook tests (used by tests/crm/webhooks and tests/outreach): a local endpoint, and subscriptions
pointing at it."""

from __future__ import annotations

import pytest

from crm.webhooks.events import EventType
from crm.webhooks.publish import listeners_forget
from crm.webhooks.subscriptions import subscription_create
from tests.fakes.webhook_receiver import WebhookReceiver


@pytest.fixture(autouse=True)
def fresh_listeners():
    # Each test's subscriptions are rolled back with it: no test may see the last one's list of listeners.
    listeners_forget()
    yield
    listeners_forget()


@pytest.fixture
def receiver(local_stand_ins):
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def subscribe(receiver, admin_ada):
    """subscribe(*events, path="/hook", format="standard"): an active subscription at the local endpoint."""

    def make(*events: str, path: str = "/hook", format: str = "standard"):
        return subscription_create(
            actor=admin_ada,
            name=f"Endpoint {path}",
            url=receiver.url(path),
            events=list(events or [EventType.LEAD_CREATED]),
            format=format,
        )

    return make


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what the block left for after its commit (the queued sends run synchronously in tests)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
