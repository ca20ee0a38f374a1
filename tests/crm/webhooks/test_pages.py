"""Settings → Webhooks: Admins add, edit, test, disable and delete webhooks, read the delivery log and resend;
everyone else gets 403."""

from __future__ import annotations

import pytest
from django.urls import reverse
from standardwebhooks import Webhook

from crm.models import WebhookDelivery, WebhookSubscription
from crm.webhooks.events import EventType
from tests.fakes.webhook_receiver import Answer


def test_an_admin_adds_a_webhook_and_sees_its_secret(client, admin_ada, receiver):
    client.force_login(admin_ada)
    response = client.post(
        reverse("crm:webhook_create"),
        {"name": "Zapier", "url": receiver.url(), "format": "standard", "events": ["lead.created", "lead.replied"]},
    )
    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 302 and response.url == reverse("crm:webhook", args=[subscription.pk])
    assert subscription.events == ["lead.created", "lead.replied"] and subscription.created_by == admin_ada
    page = client.get(response.url).content.decode()
    assert subscription.secret in page and "Send test event" in page
    assert "Zapier" in client.get(reverse("crm:webhooks")).content.decode()


@pytest.mark.parametrize(
    ("url", "events", "error"),
    [
        ("ftp://example.com/hook", ["lead.created"], "Enter a valid URL."),
        ("https://example.com/hook", [], "Choose at least one event."),
        ("https://example.com/hook", ["lead.exploded"], "Select a valid choice."),
    ],
)
def test_a_bad_webhook_is_refused_with_a_reason(client, admin_ada, url, events, error):
    client.force_login(admin_ada)
    response = client.post(
        reverse("crm:webhook_create"), {"name": "X", "url": url, "format": "standard", "events": events}
    )
    assert response.status_code == 422 and error in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_a_slack_webhook_gets_hot_leads_and_replies_unless_told(client, admin_ada):
    client.force_login(admin_ada)
    client.post(
        reverse("crm:webhook_create"),
        {"name": "#sales", "url": "https://hooks.slack.com/services/T/B/x", "format": "slack"},
    )
    assert WebhookSubscription.objects.get().events == ["lead.replied", "lead.qualified"]


def test_an_admin_edits_tests_and_deletes_a_webhook(
    client, admin_ada, subscribe, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe()
    client.force_login(admin_ada)
    client.post(
        reverse("crm:webhook_edit", args=[subscription.pk]),
        {"name": "Renamed", "url": receiver.url("/other"), "format": "standard", "events": ["import.finished"]},
    )
    subscription.refresh_from_db()
    assert (subscription.name, subscription.url, subscription.events) == (
        "Renamed",
        receiver.url("/other"),
        ["import.finished"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("crm:webhook_test", args=[subscription.pk]))
    [request] = receiver.received
    assert request.path == "/other"
    assert Webhook(subscription.secret).verify(request.body, request.headers)["type"] == "webhook.test"
    assert "Test event from Leadflow" in client.get(reverse("crm:webhook", args=[subscription.pk])).content.decode()
    # Delete asks first, then deletes with the log.
    confirm = client.get(reverse("crm:webhook_delete", args=[subscription.pk]))
    assert "Delete webhook Renamed?" in confirm.content.decode()
    client.post(reverse("crm:webhook_delete", args=[subscription.pk]))
    assert not WebhookSubscription.objects.exists() and not WebhookDelivery.objects.exists()


def test_the_delivery_log_filters_pages_and_resends(client, admin_ada, subscribe, receiver, on_commit):
    subscription = subscribe()
    receiver.answer("/hook", Answer(500, b"down"))
    from crm.webhooks.publish import events_publish

    with on_commit():
        events_publish(EventType.TEST, [{"n": n} for n in range(30)], subscription_ids=[subscription.pk])
    # 30 deliveries (under the at-once limit) are sent at once; all fail and wait for a retry.
    assert WebhookDelivery.objects.filter(status="pending", attempts=1).count() == 30
    WebhookDelivery.objects.filter(pk=WebhookDelivery.objects.order_by("pk").first().pk).update(status="delivered")
    client.force_login(admin_ada)
    url = reverse("crm:webhook", args=[subscription.pk])
    first = client.get(url).content.decode()
    assert first.count('<tr id="delivery-') == 25 and "Page 1 of 2" in first and "HTTP 500" in first and "down" in first
    assert client.get(url, {"page": 2}).content.decode().count('<tr id="delivery-') == 5
    delivered = client.get(url, {"status": "delivered"}, headers={"HX-Request": "true"}).content.decode()
    assert delivered.count('<tr id="delivery-') == 1 and "<html" not in delivered
    # Resend (htmx): the row comes back redrawn with the new attempt.
    receiver.answer("/hook", Answer(200))
    delivery = WebhookDelivery.objects.filter(status="pending").first()
    with on_commit():
        row = client.post(
            reverse("crm:webhook_delivery_resend", args=[subscription.pk, delivery.pk]), headers={"HX-Request": "true"}
        )
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert row.status_code == 200 and f'id="delivery-{delivery.pk}"' in row.content.decode()


def test_a_disabled_webhook_says_so_and_is_enabled_by_hand(client, admin_ada, subscribe):
    subscription = subscribe()
    client.force_login(admin_ada)
    client.post(reverse("crm:webhook_active", args=[subscription.pk]), {"active": "0"})
    page = client.get(reverse("crm:webhook", args=[subscription.pk])).content.decode()
    assert 'id="disabled-note"' in page and "Disabled by ada@leadflow.test" in page
    client.post(reverse("crm:webhook_active", args=[subscription.pk]), {"active": "1"})
    subscription.refresh_from_db()
    assert subscription.active and not subscription.disabled_reason


def test_rotating_the_secret_changes_it(client, admin_ada, subscribe):
    subscription = subscribe()
    old = subscription.secret
    client.force_login(admin_ada)
    client.post(reverse("crm:webhook_secret_rotate", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert subscription.secret != old


@pytest.mark.parametrize("persona", ["manager_mia", "rep_alice", "viewer_vic"])
def test_only_admins_may_see_or_change_webhooks(client, request, persona, subscribe):
    subscription = subscribe()
    delivery_args = [subscription.pk, 1]
    client.force_login(request.getfixturevalue(persona))
    for name, args in [
        ("crm:webhooks", []),
        ("crm:webhook_create", []),
        ("crm:webhook", [subscription.pk]),
        ("crm:webhook_edit", [subscription.pk]),
        ("crm:webhook_delete", [subscription.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    for name, args in [
        ("crm:webhook_delete", [subscription.pk]),
        ("crm:webhook_secret_rotate", [subscription.pk]),
        ("crm:webhook_active", [subscription.pk]),
        ("crm:webhook_test", [subscription.pk]),
        ("crm:webhook_delivery_resend", delivery_args),
    ]:
        assert client.post(reverse(name, args=args)).status_code == 403, name
    assert WebhookSubscription.objects.filter(pk=subscription.pk, active=True).exists()


def test_odd_ids_give_404(client, admin_ada, subscribe):
    subscription = subscribe()
    client.force_login(admin_ada)
    assert client.get(reverse("crm:webhook", args=[subscription.pk + 99])).status_code == 404
    assert (
        client.get(reverse("crm:webhook", args=[subscription.pk]), {"page": "x", "status": "nonsense"}).status_code
        == 200
    )
    assert client.post(reverse("crm:webhook_delivery_resend", args=[subscription.pk, 999999])).status_code == 404


def test_the_back_office_shows_webhooks_to_admins_without_the_secret(client, admin_ada, manager_mia, subscribe):
    subscription = subscribe()
    client.force_login(admin_ada)
    for model in ("webhooksubscription", "webhookdelivery", "webhookattempt"):
        assert client.get(reverse(f"admin:crm_{model}_changelist")).status_code == 200
    page = client.get(reverse("admin:crm_webhooksubscription_change", args=[subscription.pk])).content.decode()
    assert subscription.url in page and subscription.secret not in page
    client.force_login(manager_mia)
    assert client.get(reverse("admin:crm_webhooksubscription_changelist")).status_code == 403
