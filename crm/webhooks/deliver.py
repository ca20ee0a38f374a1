"""Sending deliveries: signed with Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature), posted
through leadflow.http (the private-address guard checks the URL and every redirect; only 307 and 308 are followed,
as they repeat the POST), each attempt logged.

A 2xx answer is delivered. Timeouts, connection errors, 408, 429 and 5xx are retried with exponential backoff and
jitter until WEBHOOK_RETRY_SECONDS after the event; another 4xx is retried CLIENT_ERROR_ATTEMPTS times in all (a
wrong URL or a refused signature does not mend itself quickly); an address the guard refuses is given up at once.
A subscription whose attempts keep failing is disabled (see health.py)."""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task
from standardwebhooks import Webhook

from crm.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from crm.webhooks.health import subscription_health_record
from crm.webhooks.slack import slack_message
from leadflow.http import BlockedAddress, ResponseTooLarge, http_session

Status = WebhookDelivery.Status
# A 4xx other than these means the endpoint refuses this request: a few tries, not a day of them.
RETRIED_CLIENT_ERRORS = {408, 429}
CLIENT_ERROR_ATTEMPTS = 3
# A sender silent this long after claiming a delivery died: the next sweep takes the delivery over.
CLAIM_SECONDS = 300
# The sweep stops picking new deliveries after this long, so a tick ends before the next one is due.
SWEEP_SECONDS = 50.0
SWEEP_BATCH = 500


@dataclass
class AttemptResult:
    status_code: int | None = None
    excerpt: str = ""
    error: str = ""
    duration_ms: int = 0
    refused: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def attempts_allowed(self) -> int | None:
        """How many attempts in all a delivery failing like this gets (None: as many as its retry window holds)."""
        if self.refused:
            return 1
        code = self.status_code
        if code is not None and 300 <= code < 500 and code not in RETRIED_CLIENT_ERRORS:
            return CLIENT_ERROR_ATTEMPTS
        return None


def request_body(subscription: WebhookSubscription, event: WebhookEvent) -> str:
    payload = slack_message(event.payload) if subscription.format == subscription.Format.SLACK else event.payload
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def request_headers(subscription: WebhookSubscription, event: WebhookEvent, body: str, at: datetime) -> dict:
    headers = {"Content-Type": "application/json"}
    if subscription.format == subscription.Format.STANDARD:
        headers |= {
            "webhook-id": event.message_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(subscription.secret).sign(event.message_id, at, body),
        }
    return headers


def _read_excerpt(response: requests.Response) -> str:
    limit = settings.WEBHOOK_RESPONSE_EXCERPT
    read = b""
    for chunk in response.iter_content(1024):
        read += chunk
        if len(read) >= limit:
            break
    return read[:limit].decode("utf-8", errors="replace")


def _post_following(session, url: str, body: str, headers: dict) -> requests.Response:
    """POST, following only 307 and 308 redirects, which repeat the POST with its body (requests would turn a
    301-303 into a GET without it, and a receiver answering that GET would look like a delivery). Each hop opens a
    new connection, checked by the guard."""
    for _ in range(settings.HTTP_MAX_REDIRECTS + 1):
        response = session.post(
            url, data=body.encode(), headers=headers, timeout=settings.WEBHOOK_TIMEOUT, stream=True,
            allow_redirects=False,
        )  # fmt: skip
        location = response.headers.get("Location")
        if response.status_code not in (307, 308) or not location:
            return response
        response.close()
        url = urljoin(url, location)
    raise requests.TooManyRedirects(f"More than {settings.HTTP_MAX_REDIRECTS} redirects")


def post(subscription: WebhookSubscription, event: WebhookEvent) -> AttemptResult:
    """One attempt over the network; never raises for what the endpoint or the network does."""
    body = request_body(subscription, event)
    headers = request_headers(subscription, event, body, timezone.now())
    started = time.monotonic()
    result = AttemptResult()
    try:
        with http_session() as session, _post_following(session, subscription.url, body, headers) as response:
            result.status_code = response.status_code
            result.excerpt = _read_excerpt(response)
            if response.is_redirect:
                location = response.headers.get("Location", "")
                result.error = f"Redirected to {location}: only 307 and 308 are followed (they keep the POST and body)"
    except BlockedAddress as exc:
        result.error, result.refused = str(exc), True
    except requests.Timeout:
        result.error = f"Timed out after {settings.WEBHOOK_TIMEOUT:g} s"
    except (requests.RequestException, ResponseTooLarge) as exc:
        result.error = f"{exc.__class__.__name__}: {exc}"
    result.duration_ms = int((time.monotonic() - started) * 1000)
    result.error = result.error[:300]
    return result


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: doubling from WEBHOOK_RETRY_FIRST_SECONDS up to
    WEBHOOK_RETRY_MAX_SECONDS, each spread by ±20% so endpoints that failed together are not hit together again."""
    base = min(settings.WEBHOOK_RETRY_FIRST_SECONDS * 2 ** min(attempts - 1, 30), settings.WEBHOOK_RETRY_MAX_SECONDS)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not a secret


def _due() -> Q:
    now = timezone.now()
    stalled = Q(status=Status.SENDING, claimed_at__lt=now - timedelta(seconds=CLAIM_SECONDS))
    return Q(status=Status.PENDING, next_attempt_at__lte=now) | stalled


def delivery_claim(delivery_id: int) -> str | None:
    """Claim a due delivery of an active subscription for one sender (a conditional update: two workers never send
    the same attempt); the sender's id, or None when it is not due or someone else holds it."""
    sender = uuid.uuid4().hex
    claimed = WebhookDelivery.objects.filter(_due(), pk=delivery_id, subscription__active=True).update(
        status=Status.SENDING, claimed_by=sender, claimed_at=timezone.now()
    )
    return sender if claimed == 1 else None


def delivery_send_claimed(delivery_id: int, sender: str) -> str:
    """Post a delivery this sender claimed and record the attempt: "delivered", "retrying", "gave up"."""
    delivery = WebhookDelivery.objects.select_related("subscription", "event").get(pk=delivery_id)
    result = post(delivery.subscription, delivery.event)
    return _attempt_record(delivery_id, sender, result)


def delivery_send(delivery_id: int) -> str:
    """Claim and send one delivery; "skipped" when it is not due or held by another sender."""
    sender = delivery_claim(delivery_id)
    if sender is None:
        return "skipped"
    return delivery_send_claimed(delivery_id, sender)


@transaction.atomic
def _attempt_record(delivery_id: int, sender: str, result: AttemptResult) -> str:
    now = timezone.now()
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    WebhookAttempt.objects.create(
        delivery=delivery,
        started_at=now - timedelta(milliseconds=result.duration_ms),
        duration_ms=result.duration_ms,
        status_code=result.status_code,
        response_excerpt=result.excerpt,
        error=result.error,
        succeeded=result.succeeded,
    )
    if delivery.status != Status.SENDING or delivery.claimed_by != sender:
        return "taken over"  # this sender stalled past its claim and another one went on: its attempt is logged
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = result.status_code, result.error
    delivery.claimed_by = ""
    if result.succeeded:
        delivery.status, delivery.delivered_at = Status.DELIVERED, now
        outcome = "delivered"
    else:
        next_at = now + retry_delay(delivery.attempts)
        allowed = result.attempts_allowed()
        out_of_time = next_at > delivery.created_at + timedelta(seconds=settings.WEBHOOK_RETRY_SECONDS)
        if out_of_time or (allowed is not None and delivery.attempts >= allowed):
            delivery.status, outcome = Status.FAILED, "gave up"
        else:
            delivery.status, delivery.next_attempt_at, outcome = Status.PENDING, next_at, "retrying"
    delivery.save()
    subscription_health_record(delivery.subscription_id, succeeded=result.succeeded, at=now)
    return outcome


def deliveries_send(delivery_ids: list[int]) -> str:
    """The task queued when events are published: send these deliveries now."""
    return _summary([delivery_send(pk) for pk in delivery_ids])


def deliveries_send_due(seconds: float = SWEEP_SECONDS) -> str:
    """The sweep (every minute, and `manage.py deliver_webhooks`): send what is due, retries and deliveries whose
    sender died included, for up to `seconds`; what it did, in words."""
    deadline = time.monotonic() + seconds
    due = list(
        WebhookDelivery.objects.filter(_due(), subscription__active=True)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    outcomes = []
    for pk in due:
        if time.monotonic() > deadline:
            break
        outcomes.append(delivery_send(pk))
    return _summary(outcomes)


def _summary(outcomes: list[str]) -> str:
    if not outcomes:
        return "nothing due"
    counts = {outcome: outcomes.count(outcome) for outcome in dict.fromkeys(outcomes)}
    return ", ".join(f"{count} {outcome}" for outcome, count in counts.items())


@transaction.atomic
def delivery_resend(*, delivery: WebhookDelivery) -> None:
    """Make a new attempt of a delivery (delivered or given up too) now; the same message id, a fresh signature."""
    updated = WebhookDelivery.objects.filter(pk=delivery.pk).exclude(status=Status.SENDING)
    if updated.update(status=Status.PENDING, next_attempt_at=timezone.now()) == 1:
        transaction.on_commit(lambda: _enqueue([delivery.pk]))


def _enqueue(delivery_ids: list[int]) -> None:
    async_task("crm.webhooks.deliver.deliveries_send", delivery_ids)
