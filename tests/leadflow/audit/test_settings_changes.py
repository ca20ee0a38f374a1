"""Audit: settings changed (site, AI, enrichment, scoring, mailboxes, provider keys, capture sources, webhooks,
CRM sync), each with the fields that changed, and a secret only ever as "changed"."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from crm.models import CrmConnection, WebhookSubscription
from enrichment.models import ProviderAccount
from leadflow.audit import AuditEvent
from outreach.mailboxes import mailbox_from_url
from outreach.models import Mailbox
from scraping.models import Source
from tests.fakes.hubspot_server import TOKEN, HubSpotStandIn

pytestmark = pytest.mark.django_db


def assert_nowhere(secret: str) -> None:
    """The secret is in no event, in no column."""
    for event in AuditEvent.objects.values():
        assert secret not in json.dumps(event, default=str)


def test_site_settings_changes_are_recorded(client, admin_ada, only_event):
    client.force_login(admin_ada)
    client.post(reverse("crm:settings_general"), {"currency": "EUR", "time_zone": "Europe/Paris"})

    event = only_event("settings.site_changed")
    assert event.actor == admin_ada
    assert event.changes["currency"] == ["USD", "EUR"] and event.changes["time_zone"][1] == "Europe/Paris"


def test_ai_settings_record_the_key_only_as_changed(client, admin_ada, only_event):
    client.force_login(admin_ada)
    form = {"base_url": "http://llm.internal/v1", "model": "gpt-4o", "api_key": "sk-TopSecret-123456", "prices": ""}
    client.post(reverse("ai_settings"), form)

    event = only_event("settings.ai_changed")
    assert event.changes["api_key"] == "changed"
    assert event.changes["base_url"] == ["", "http://llm.internal/v1"]
    assert event.changes["monthly_budget_usd"] == ["20.00", None]
    assert_nowhere("sk-TopSecret-123456")


def test_enrichment_settings_changes_are_recorded(client, admin_ada, only_event):
    client.force_login(admin_ada)
    form = {
        "position_phone": 4, "position_website": 3, "position_finder": 1, "position_hunter": 2,
        "enabled": ["finder", "phone"], "monthly_credit_cap": 500, "cache_days": 7,
        "threshold_email": 90, "threshold_phone": 80, "threshold_linkedin": 70, "threshold_company": 60,
    }  # fmt: skip
    client.post(reverse("enrichment:settings"), form)

    event = only_event("settings.enrichment_changed")
    assert event.changes["source_order"] == [
        ["phone", "website", "finder", "hunter"],
        ["finder", "hunter", "website", "phone"],
    ]
    assert event.changes["monthly_credit_cap"][1] == 500


def test_a_mailbox_password_change_is_recorded_without_the_password(client, admin_ada, only_event):
    sales = mailbox_from_url(
        "smtp://sales:Old-Secret-1@mail.acme.example:587?tls=1",
        address="sales@acme.example",
        name="Sales",
        postal_address="1 Dock Road",
    )
    AuditEvent.objects.expire_before(timezone.now() + timedelta(days=1))  # the set-up's own event out of the way
    client.force_login(admin_ada)
    data = {
        "name": "Sales", "address": "sales@acme.example", "transport": "smtp", "smtp_host": "mail2.acme.example",
        "smtp_port": "587", "smtp_tls": "on", "smtp_user": "sales", "smtp_password": "New-Secret-2", "api_key": "",
        "api_domain": "", "api_base_url": "", "daily_cap": "150", "time_zone": "", "window_days": ["mon", "tue"],
        "window_start": "08:00", "window_end": "18:00", "warmup_start": "", "warmup_step": "0",
        "warmup_began_on": "", "signature": "", "postal_address": "1 Dock Road", "active": "on",
    }  # fmt: skip
    assert client.post(reverse("outreach:mailbox_edit", args=[sales.pk]), data).status_code == 302

    event = only_event("mailbox.saved")
    assert (event.actor, event.object_id) == (admin_ada, str(sales.pk))
    assert event.changes["smtp_password"] == "changed"
    assert event.changes["smtp_host"] == ["mail.acme.example", "mail2.acme.example"]
    assert_nowhere("Old-Secret-1")
    assert_nowhere("New-Secret-2")


def test_a_provider_key_saved_and_deleted_in_the_admin_is_recorded_without_the_key(client, admin_ada, only_event):
    client.force_login(admin_ada)
    client.post(
        reverse("admin:enrichment_provideraccount_add"),
        {"provider": "hunter", "api_key": "hunter-Key-987654", "enabled": "on"},
    )
    account = ProviderAccount.objects.get()
    client.post(reverse("admin:enrichment_provideraccount_delete", args=[account.pk]), {"post": "yes"})

    saved = only_event("provider_account.saved")
    assert (saved.actor, saved.changes["api_key"], saved.changes["provider"]) == (
        admin_ada,
        "changed",
        [None, "hunter"],
    )
    assert only_event("provider_account.deleted").object_id == str(account.pk)
    assert_nowhere("hunter-Key-987654")


def test_a_capture_source_key_is_recorded_as_changed(client, manager_mia, only_event):
    client.force_login(manager_mia)
    client.post(
        reverse("scraping:source_new"), {"kind": "phantombuster", "name": "PB", "secret_api_key": "pb-secret-123456"}
    )

    event = only_event("capture_source.saved")
    assert (event.actor, event.object_id) == (manager_mia, str(Source.objects.get(name="PB").pk))
    assert event.changes["credentials"] == "changed" and event.changes["name"] == [None, "PB"]
    assert_nowhere("pb-secret-123456")


def test_webhook_subscriptions_created_changed_rotated_and_deleted_are_recorded(client, admin_ada, only_event):
    client.force_login(admin_ada)
    client.post(
        reverse("crm:webhook_create"),
        {"name": "Zap", "url": "https://hooks.example.com/a", "format": "standard", "events": ["lead.created"]},
    )
    subscription = WebhookSubscription.objects.get()
    client.post(
        reverse("crm:webhook_edit", args=[subscription.pk]),
        {"name": "Zap", "url": "https://hooks.example.com/b", "format": "standard", "events": ["lead.created"]},
    )
    client.post(reverse("crm:webhook_secret_rotate", args=[subscription.pk]))
    secret = WebhookSubscription.objects.get().secret
    client.post(reverse("crm:webhook_delete", args=[subscription.pk]))

    assert only_event("webhook.created").details == {
        "url": "https://hooks.example.com/a",
        "events": ["lead.created"],
        "format": "standard",
    }
    assert only_event("webhook.changed").changes == {
        "url": ["https://hooks.example.com/a", "https://hooks.example.com/b"]
    }
    assert only_event("webhook.secret_rotated").changes == {"secret": "changed"}
    assert only_event("webhook.deleted").object_label == "Zap"
    assert_nowhere(secret)


@pytest.fixture
def hubspot(local_stand_ins, settings):
    stand_in = HubSpotStandIn.started()
    settings.HUBSPOT_BASE_URL = stand_in.base_url
    settings.HUBSPOT_TOKEN = ""
    yield stand_in
    stand_in.stop()


def test_a_crm_connection_is_recorded_without_its_token(client, admin_ada, hubspot, only_event):
    client.force_login(admin_ada)
    data = {
        "name": "hub",
        "kind": "hubspot",
        "token": TOKEN,
        "direction": "both",
        "conflict_rule": "newest",
        "schedule": "off",
        "acting_user": admin_ada.pk,
    }
    client.post(reverse("crm:settings_crm"), data)

    event = only_event("crm_connection.saved")
    assert (event.actor, event.object_id) == (admin_ada, str(CrmConnection.objects.get().pk))
    assert event.changes["token"] == "changed" and event.changes["kind"] == [None, "hubspot"]
    assert_nowhere(TOKEN)


def test_a_mailbox_added_by_the_command_and_deleted_in_the_admin(client, admin_ada, only_event):
    call_command(
        "mailbox",
        "add",
        "sam@acme.example",
        "--name",
        "Sam",
        "--url",
        "smtp://sam:Cmd-Secret-5@mail.acme.example:587",
        stdout=io.StringIO(),
    )
    mailbox = Mailbox.objects.get()
    client.force_login(admin_ada)
    client.post(reverse("admin:outreach_mailbox_delete", args=[mailbox.pk]), {"post": "yes"})

    saved = only_event("mailbox.saved")
    assert (saved.actor, saved.channel, saved.changes["smtp_password"]) == (None, "command", "changed")
    deleted = only_event("mailbox.deleted")
    assert (deleted.actor, deleted.object_id, deleted.object_label) == (admin_ada, str(mailbox.pk), str(mailbox))
    assert not Mailbox.objects.exists()
    assert_nowhere("Cmd-Secret-5")


def test_scoring_settings_changes_are_recorded(client, manager_mia, only_event):
    form = {"weight_fit": "10", "weight_completeness": "0", "weight_engagement": "90", "weight_recency": "0",
            "weight_ai": "0", "mql_threshold": "20", "sql_threshold": "60", "promote_at_mql": "on", "stage": "",
            "save_settings": "1"}  # fmt: skip
    client.force_login(manager_mia)
    assert client.post(reverse("crm:settings_scoring"), form).status_code == 302

    event = only_event("settings.scoring_changed")
    assert (event.actor, event.changes["weight_engagement"][1], event.changes["sql_threshold"][1]) == (
        manager_mia,
        90,
        60,
    )
