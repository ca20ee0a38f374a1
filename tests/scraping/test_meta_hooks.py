"""Meta Lead Ads webhook: the subscription handshake, signed leadgen notifications kept once each, and forged,
unsigned or malformed ones refused with nothing written."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse
from django_q.models import OrmQ

from scraping.ad_tasks import meta_deliveries_fetch, meta_deliveries_fetch_only
from scraping.models import AdDelivery
from tests.fakes.meta_graph_server import meta_body, meta_notification
from tests.scraping.conftest import VERIFY_TOKEN, meta_signature

# The fixtures (graph, meta_source, google_source) come from tests/scraping/conftest.py.

URL = "/hooks/meta/leadgen/"


def post_signed(client, body: bytes, signature: str | None = None, url: str = URL):
    headers = {"X-Hub-Signature-256": meta_signature(body) if signature is None else signature}
    return client.post(url, data=body, content_type="application/json", headers=headers)


def test_the_url_is_the_one_operators_are_shown():
    assert reverse("hooks:meta_leadgen") == URL


def test_meta_verifies_the_subscription_with_our_token(client, meta_source):
    answer = client.get(URL, {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": VERIFY_TOKEN})

    assert answer.status_code == 200
    assert answer.content == b"1158201444"
    assert answer["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("token", ["not-our-token", ""])
def test_a_wrong_verify_token_is_refused(client, meta_source, token):
    answer = client.get(URL, {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": token})

    assert answer.status_code == 403
    assert b"1158201444" not in answer.content


def test_the_environment_verify_token_wins_over_the_stored_one(client, meta_source, settings):
    settings.META_VERIFY_TOKEN = "from-the-environment"
    challenge = {"hub.mode": "subscribe", "hub.challenge": "42"}

    assert client.get(URL, {**challenge, "hub.verify_token": VERIFY_TOKEN}).status_code == 403
    assert client.get(URL, {**challenge, "hub.verify_token": "from-the-environment"}).content == b"42"


def test_a_signed_notification_is_kept_and_its_lead_fetched_from_the_graph_api(
    client, meta_source, graph, django_capture_on_commit_callbacks
):
    body = json.dumps(meta_body("webhook-leadgen")).encode()
    with django_capture_on_commit_callbacks() as queued:
        answer = post_signed(client, body)

    assert answer.status_code == 200
    delivery = AdDelivery.objects.get(source=meta_source)
    assert delivery.platform_lead_id == "123123123123"
    assert delivery.status == AdDelivery.Status.RECEIVED
    assert delivery.origin == {
        "ad_id": "12312312312",
        "form_id": "12312312312",
        "page_id": "153125381133",
        "adgroup_id": "12312312312",
        "created_time": "1440120384",
    }
    assert delivery.payload["value"]["leadgen_id"] == "123123123123"
    assert len(queued) == 1  # the Graph fetch, queued once the delivery is committed

    graph.answers_lead("123123123123")
    meta_deliveries_fetch_only(meta_source.pk)

    delivery.refresh_from_db()
    assert delivery.fields["full_name"] == "Joe Example"
    assert delivery.fields["email"] == "joe@example.com"
    assert delivery.fields["car_make"] == "Honda"  # a custom question, under its own name
    assert delivery.origin["adset_id"] == "23842501234567890"
    assert delivery.origin["campaign_id"] == "23842501234567891"
    assert delivery.origin["page_id"] == "153125381133"
    assert delivery.attempts == 1


def test_one_notification_may_carry_several_leads(client, meta_source):
    body = json.dumps(meta_notification("1001", "1002", "1003")).encode()

    assert post_signed(client, body).status_code == 200
    assert sorted(AdDelivery.objects.values_list("platform_lead_id", flat=True)) == ["1001", "1002", "1003"]


def test_a_forged_signature_is_refused_and_nothing_written(client, meta_source, django_capture_on_commit_callbacks):
    body = json.dumps(meta_body("webhook-leadgen")).encode()
    with django_capture_on_commit_callbacks() as queued:
        answer = post_signed(client, body, signature=meta_signature(body, secret="someone-elses-secret"))

    assert answer.status_code == 403
    assert not AdDelivery.objects.exists()
    assert queued == []


def test_a_signature_over_another_body_is_refused(client, meta_source):
    signed = json.dumps(meta_notification("1001")).encode()
    tampered = json.dumps(meta_notification("6666")).encode()

    assert post_signed(client, tampered, signature=meta_signature(signed)).status_code == 403
    assert not AdDelivery.objects.exists()


def test_a_notification_without_a_signature_is_refused(client, meta_source):
    body = json.dumps(meta_body("webhook-leadgen")).encode()

    answer = client.post(URL, data=body, content_type="application/json")

    assert answer.status_code == 403
    assert not AdDelivery.objects.exists()


def test_the_signature_is_checked_on_the_raw_bytes(client, meta_source):
    # Same JSON, other spacing: re-serialising the parsed body would change the signature.
    body = b'{"object":"page","entry":[{"id":"1","time":1,"changes":[{"field":"leadgen","value":{"leadgen_id":77}}]}]}'

    assert post_signed(client, body).status_code == 200
    assert AdDelivery.objects.get().platform_lead_id == "77"


def test_a_replayed_notification_is_kept_once_and_queues_nothing_more(
    client, meta_source, django_capture_on_commit_callbacks
):
    body = json.dumps(meta_body("webhook-leadgen")).encode()
    post_signed(client, body)
    with django_capture_on_commit_callbacks() as queued:
        answer = post_signed(client, body)

    assert answer.status_code == 200
    assert AdDelivery.objects.count() == 1
    assert queued == []


def test_a_burst_of_notifications_queues_one_fetch_until_it_starts(client, meta_source, graph, broker_queued):
    """A busy campaign notifies many times a second: one fetch run takes every lead kept before it starts."""
    fetch = "scraping.ad_tasks.meta_deliveries_fetch"
    answers = [post_signed(client, json.dumps(meta_notification(str(1000 + n))).encode()) for n in range(6)]
    assert [answer.status_code for answer in answers] == [200] * 6
    assert AdDelivery.objects.filter(source=meta_source).count() == 6
    assert broker_queued() == [fetch]
    for number in range(6):
        graph.answers_lead(str(1000 + number))
    meta_deliveries_fetch(meta_source.pk)  # the queued run, as a worker runs it
    assert not AdDelivery.objects.filter(source=meta_source, status=AdDelivery.Status.RECEIVED).exists()
    assert post_signed(client, json.dumps(meta_notification("2000")).encode()).status_code == 200
    assert broker_queued().count(fetch) == 2


def test_malformed_json_with_a_good_signature_is_a_bad_request(client, meta_source):
    body = b'{"object": "page", "entry": [{"changes": [{"field": "leadgen", "value": '

    assert post_signed(client, body).status_code == 400
    assert not AdDelivery.objects.exists()


def test_a_leadgen_change_without_a_lead_id_is_a_bad_request(client, meta_source):
    body = json.dumps({"object": "page", "entry": [{"changes": [{"field": "leadgen", "value": {}}]}]}).encode()

    assert post_signed(client, body).status_code == 400
    assert not AdDelivery.objects.exists()


def test_other_fields_of_the_page_are_acknowledged_and_ignored(client, meta_source):
    body = json.dumps({"object": "page", "entry": [{"changes": [{"field": "feed", "value": {"item": "post"}}]}]})

    assert post_signed(client, body.encode()).status_code == 200
    assert not AdDelivery.objects.exists()


def test_a_paused_source_accepts_nothing(client, meta_source):
    meta_source.paused = True
    meta_source.save()
    body = json.dumps(meta_body("webhook-leadgen")).encode()

    assert post_signed(client, body).status_code == 403
    assert not AdDelivery.objects.exists()


def test_the_source_parameter_pins_the_webhook_to_one_source(client, meta_source, google_source):
    body = json.dumps(meta_body("webhook-leadgen")).encode()

    # A Google Ads source is no Meta source, so nothing signs for it.
    assert post_signed(client, body, url=f"{URL}?source={google_source.pk}").status_code == 403
    assert post_signed(client, body, url=f"{URL}?source={meta_source.pk}").status_code == 200
    assert AdDelivery.objects.get().source == meta_source


@pytest.mark.django_db(transaction=True)
def test_a_replay_racing_its_original_is_kept_once_without_an_error(client, meta_source):
    """The original's insert is not committed yet when the replay looks for it: the replay's insert waits on the
    unique index, fails once the original commits, and is then answered as the replay it is."""
    body = json.dumps(meta_notification("4242")).encode()
    inserted, replay_done = threading.Event(), threading.Event()
    answers = []

    def original():
        with transaction.atomic():
            AdDelivery.objects.create(source=meta_source, platform_lead_id="4242")
            inserted.set()
            replay_done.wait(timeout=1.0)  # the replay is blocked on our row (PostgreSQL) or on the write lock
        connections.close_all()

    def replay():
        inserted.wait(timeout=10)
        answers.append(post_signed(Client(), body).status_code)
        replay_done.set()
        connections.close_all()

    threads = [threading.Thread(target=original), threading.Thread(target=replay)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert answers == [200]
    assert AdDelivery.objects.filter(source=meta_source, platform_lead_id="4242").count() == 1
    assert OrmQ.objects.count() == 0  # nothing new: nothing queued
