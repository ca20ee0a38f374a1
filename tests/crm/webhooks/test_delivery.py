"""Deliveries reach a real local endpoint signed the Standard Webhooks way, are retried with backoff when the
endpoint fails or hangs, are refused when a redirect points at a private address, are logged attempt by attempt,
and a subscription that keeps failing is disabled with a notice."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from crm.models import Notification, WebhookAttempt, WebhookDelivery
from crm.services.leads import lead_create
from crm.webhooks.deliver import deliveries_send_due, delivery_claim, delivery_resend, delivery_send_claimed
from crm.webhooks.events import EventType
from crm.webhooks.publish import event_publish
from crm.webhooks.subscriptions import subscription_secret_rotate, subscription_set_active
from tests.factories import default_stage
from tests.fakes.webhook_receiver import Answer

Status = WebhookDelivery.Status


def _publish_test(subscription, on_commit, **data) -> WebhookDelivery:
    with on_commit():
        event_publish(EventType.TEST, data or {"message": "test"}, subscription_ids=[subscription.pk])
    return WebhookDelivery.objects.filter(subscription=subscription).latest("pk")


def _due_now(delivery: WebhookDelivery) -> None:
    """Time passes until the delivery's next attempt is due."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_a_new_lead_is_delivered_signed_with_the_subscription_secret(receiver, subscribe, on_commit, manager_mia):
    subscription = subscribe(EventType.LEAD_CREATED)
    with on_commit():
        lead = lead_create(
            actor=manager_mia, stage=default_stage(), first_name="Ann", last_name="Lee", email="ann@acme.io"
        )

    [request] = receiver.received
    assert request.method == "POST" and request.headers["Content-Type"] == "application/json"
    # The receiver's check: Standard Webhooks' own verifier, the subscription's secret, the raw body.
    payload = Webhook(subscription.secret).verify(request.body, request.headers)
    assert payload["type"] == "lead.created" and payload["id"] == request.headers["webhook-id"]
    assert payload["data"]["lead"]["id"] == lead.pk and payload["data"]["lead"]["email"] == "ann@acme.io"
    assert payload["data"]["lead"]["stage"]["name"] == default_stage().name
    # A body changed on the way, or another secret, does not verify.
    with pytest.raises(WebhookVerificationError):
        Webhook(subscription.secret).verify(request.body.replace(b"Ann", b"Bob"), request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == Status.DELIVERED and delivery.attempts == 1 and delivery.last_status_code == 200
    [attempt] = delivery.attempt_log.all()
    assert attempt.succeeded and attempt.status_code == 200 and attempt.response_excerpt == "ok"


def test_a_rotated_secret_signs_from_then_on(receiver, subscribe, on_commit, admin_ada):
    subscription = subscribe()
    old_secret = subscription.secret
    new_secret = subscription_secret_rotate(subscription=subscription, actor=admin_ada)
    assert new_secret != old_secret and new_secret.startswith("whsec_")
    subscription.refresh_from_db()
    assert subscription.secret == new_secret  # stored encrypted, read back whole
    with on_commit():
        event_publish(EventType.TEST, {"message": "hello"}, subscription_ids=[subscription.pk])
    [request] = receiver.received
    assert Webhook(new_secret).verify(request.body, request.headers)["data"] == {"message": "hello"}
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(request.body, request.headers)


def test_the_secret_is_encrypted_in_the_database(subscribe):
    from django.db import connection

    subscription = subscribe()
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM crm_webhooksubscription WHERE id = %s", [subscription.pk])
        [(stored,)] = cursor.fetchall()
    assert subscription.secret not in stored and not stored.startswith("whsec_")


def test_a_failing_endpoint_is_retried_with_growing_waits_until_it_answers(receiver, subscribe, on_commit, settings):
    subscription = subscribe()
    receiver.answer("/hook", Answer(500, b"boom"), Answer(503, b"busy"), Answer(200, b"thanks"))
    _publish_test(subscription, on_commit)
    delivery = WebhookDelivery.objects.get()
    waits = []
    for _ in range(2):
        delivery.refresh_from_db()
        assert delivery.status == Status.PENDING
        waits.append((delivery.next_attempt_at - timezone.now()).total_seconds())
        assert deliveries_send_due() == "nothing due"  # not before its time
        _due_now(delivery)
        deliveries_send_due()
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED and delivery.attempts == 3
    # 60 s, then 120 s, each spread by ±20%.
    assert 0.8 * 60 - 1 <= waits[0] <= 1.2 * 60 and 0.8 * 120 - 1 <= waits[1] <= 1.2 * 120
    log = list(delivery.attempt_log.order_by("started_at", "pk").values_list("status_code", "response_excerpt"))
    assert log == [(500, "boom"), (503, "busy"), (200, "thanks")]
    # Every attempt carried the same message id: the receiver can drop duplicates.
    assert len({request.headers["webhook-id"] for request in receiver.received}) == 1


def test_an_endpoint_that_hangs_past_the_timeout_is_logged_and_retried(receiver, subscribe, on_commit, settings):
    settings.WEBHOOK_TIMEOUT = 0.5
    subscription = subscribe()
    receiver.answer("/hook", Answer(200, delay=2.0))
    delivery = _publish_test(subscription, on_commit)
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now()
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code is None and not attempt.succeeded
    assert attempt.error == "Timed out after 0.5 s" and attempt.duration_ms < 2000


def test_a_redirect_to_a_private_address_is_refused_logged_and_not_retried(receiver, subscribe, on_commit):
    # The endpoint is "localhost" (allowed in tests); its redirect points at 127.0.0.1, which no setting allows.
    subscription = subscribe(path="/moved")
    receiver.answer("/moved", Answer(307, location=f"http://127.0.0.1:{receiver.port}/internal"))
    delivery = _publish_test(subscription, on_commit)
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED and delivery.attempts == 1
    [attempt] = delivery.attempt_log.all()
    assert attempt.error.startswith("Refused: 127.0.0.1 resolves to a private address")
    assert [request.path for request in receiver.received] == ["/moved"]  # never reached /internal


def test_a_307_is_followed_with_the_post_and_a_302_is_not(receiver, subscribe, on_commit):
    moved = subscribe(path="/moved")
    receiver.answer("/moved", Answer(307, location="/new-home"))
    delivery = _publish_test(moved, on_commit)
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    first, second = receiver.received
    assert (second.method, second.path, second.body) == ("POST", "/new-home", first.body)
    assert Webhook(moved.secret).verify(second.body, second.headers)
    # A 302 would turn the POST into a bodiless GET: it is not followed, and counts as a client error.
    found = subscribe(path="/found")
    receiver.answer("/found", Answer(302, location="/elsewhere"))
    delivery = _publish_test(found, on_commit)
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING and delivery.last_status_code == 302
    assert delivery.last_error.startswith("Redirected to /elsewhere: only 307 and 308 are followed")
    assert "/elsewhere" not in [request.path for request in receiver.received]


def test_a_private_endpoint_is_refused(subscribe, on_commit, settings, receiver):
    settings.HTTP_ALLOW_PRIVATE_HOSTS = []
    subscription = subscribe()
    delivery = _publish_test(subscription, on_commit)
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED and "private address" in delivery.last_error
    assert receiver.received == []


def test_a_client_error_is_given_up_after_three_attempts(receiver, subscribe, on_commit):
    subscription = subscribe()
    receiver.answer("/hook", Answer(404, b"no such hook"))
    delivery = _publish_test(subscription, on_commit)
    for _ in range(2):
        _due_now(delivery)
        deliveries_send_due()
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED and delivery.attempts == 3 and delivery.last_status_code == 404
    _due_now(delivery)
    assert deliveries_send_due() == "nothing due" and len(receiver.received) == 3


def test_a_server_error_is_retried_for_a_day_then_given_up(receiver, subscribe, on_commit):
    subscription = subscribe()
    receiver.answer("/hook", Answer(500))
    delivery = _publish_test(subscription, on_commit)
    # Near the end of its day, the next wait would end past it: this failure is the last.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(hours=23, minutes=59))
    _due_now(delivery)
    assert deliveries_send_due() == "1 gave up"
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED and delivery.attempts == 2


def test_a_subscription_failing_for_a_day_is_disabled_and_its_admins_told(
    receiver, subscribe, on_commit, settings, admin_ada, manager_mia
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    subscription = subscribe()
    receiver.answer("/hook", Answer(502))
    delivery = _publish_test(subscription, on_commit)
    _due_now(delivery)
    deliveries_send_due()
    subscription.refresh_from_db()
    assert subscription.active and subscription.consecutive_failures == 2
    # Three failures in a row, but over less than a day: still on. A day later, the third one turns it off.
    subscription.failing_since = timezone.now() - timedelta(days=1, minutes=1)
    subscription.save()
    _due_now(delivery)
    deliveries_send_due()
    subscription.refresh_from_db()
    assert not subscription.active and subscription.disabled_at is not None
    assert subscription.disabled_reason.startswith("Disabled after 3 failed attempts in a row")
    [notice] = Notification.objects.filter(user=admin_ada)
    assert "was disabled" in notice.text and notice.url == f"/settings/webhooks/{subscription.pk}/"
    assert not Notification.objects.filter(user=manager_mia).exists()
    # Nothing more goes out while it is off, even when due.
    _due_now(delivery)
    assert deliveries_send_due() == "nothing due" and len(receiver.received) == 3
    # Enabled again by hand: the waiting delivery goes out at the next sweep.
    receiver.answer("/hook", Answer(200))
    subscription_set_active(subscription=subscription, actor=admin_ada, active=True)
    assert deliveries_send_due() == "1 delivered"
    subscription.refresh_from_db()
    assert subscription.active and subscription.consecutive_failures == 0


def test_resend_makes_a_new_attempt_of_a_delivered_or_given_up_delivery(receiver, subscribe, on_commit):
    subscription = subscribe()
    receiver.answer("/hook", Answer(400, b"bad"))
    delivery = _publish_test(subscription, on_commit)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=Status.FAILED)
    receiver.answer("/hook", Answer(204, b""))
    with on_commit():
        delivery_resend(delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED and delivery.attempts == 2
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] and first.body == second.body
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 2


def test_two_senders_never_send_the_same_attempt(receiver, subscribe, on_commit):
    subscription = subscribe()
    receiver.answer("/hook", Answer(500))
    delivery = _publish_test(subscription, on_commit)
    _due_now(delivery)
    # Worker A claims it; worker B's sweep (or a second claim) finds it held and sends nothing.
    sender = delivery_claim(delivery.pk)
    assert sender is not None
    assert delivery_claim(delivery.pk) is None
    assert deliveries_send_due() == "nothing due"
    assert len(receiver.received) == 1
    receiver.answer("/hook", Answer(200))
    assert delivery_send_claimed(delivery.pk, sender) == "delivered"
    assert len(receiver.received) == 2


def test_a_sender_that_died_loses_its_claim_to_the_next_sweep(receiver, subscribe, on_commit):
    subscription = subscribe()
    receiver.answer("/hook", Answer(500), Answer(200))
    delivery = _publish_test(subscription, on_commit)
    _due_now(delivery)
    dead_sender = delivery_claim(delivery.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now() - timedelta(minutes=6))
    assert deliveries_send_due() == "1 delivered"
    # The dead sender wakes up late: its attempt is logged, the delivery stays delivered.
    assert delivery_send_claimed(delivery.pk, dead_sender) == "taken over"
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED and delivery.attempts == 2


def test_slack_subscriptions_get_slack_messages_unsigned(receiver, subscribe, on_commit, manager_mia, rep_alice):
    subscribe(EventType.LEAD_CREATED, path="/slack", format="slack")
    with on_commit():
        lead_create(
            actor=manager_mia, stage=default_stage(), first_name="Ann", last_name="<Lee>", company_name="Acme & Co",
            owner=rep_alice,
        )  # fmt: skip
    [request] = receiver.received
    assert "webhook-signature" not in {name.lower() for name in request.headers}
    message = json.loads(request.body)
    assert message["text"] == "New lead *Ann &lt;Lee&gt;* (Acme &amp; Co)"
    assert message["blocks"][0] == {"type": "section", "text": {"type": "mrkdwn", "text": message["text"]}}
    assert "|Open in Leadflow>" in message["blocks"][1]["elements"][0]["text"]


def test_the_command_sends_what_is_due_and_says_so(receiver, subscribe, on_commit):
    from io import StringIO

    from django.core.management import call_command

    subscription = subscribe()
    receiver.answer("/hook", Answer(500), Answer(200))
    delivery = _publish_test(subscription, on_commit)
    out = StringIO()
    call_command("deliver_webhooks", stdout=out)
    assert out.getvalue() == "Webhook deliveries: nothing due\n"
    _due_now(delivery)
    call_command("deliver_webhooks", stdout=out)
    assert out.getvalue().endswith("Webhook deliveries: 1 delivered\n")


def test_the_sweep_is_scheduled_every_minute():
    from django_q.models import Schedule

    from leadflow.schedules import SCHEDULES

    entry = SCHEDULES["send due webhook deliveries"]
    assert entry["func"] == "crm.webhooks.deliver.deliveries_send_due"
    assert (entry["schedule_type"], entry["minutes"]) == (Schedule.MINUTES, 1)
