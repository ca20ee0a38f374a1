"""IndiaMART pushes each new enquiry to /hooks/indiamart/<source id>/?key=...: with the right key it is kept once as a
delivery (a redelivery changes nothing) and its saving is queued after the commit; a wrong key, a broken body, an
unknown source each get their answer and write nothing. The body is IndiaMART's documented push envelope
(tests/fakes/indiamart/push-enquiry.json)."""

import json

import pytest
from django.urls import reverse

from scraping.hooks_indiamart import push_key
from scraping.models import AdDelivery, Source
from scraping.sources.indiamart import INDIAMART_DELIVERY_MAPPING
from tests.fakes.indiamart_server import SELLER_KEY, indiamart_body

pytestmark = pytest.mark.django_db

PUSHED = json.dumps(indiamart_body("push-enquiry"))


@pytest.fixture
def seller(settings):
    settings.INDIAMART_CRM_KEY = ""
    return Source.objects.create(
        kind=Source.Kind.INDIAMART, name="IndiaMART seller", credentials=json.dumps({"crm_key": SELLER_KEY})
    )


def push_url(source: Source, key: str | None = None) -> str:
    return reverse("hooks:indiamart", args=[source.pk]) + f"?key={push_key(source) if key is None else key}"


def push(client, url: str, body: str = PUSHED):
    return client.post(url, data=body, content_type="application/json")


def test_a_pushed_enquiry_is_kept_once_and_its_saving_queued(client, seller, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = push(client, push_url(seller))

    assert response.status_code == 200
    delivery = AdDelivery.objects.get(source=seller)
    assert delivery.platform_lead_id == "2251234567"
    assert delivery.status == AdDelivery.Status.RECEIVED
    assert delivery.fields["SENDER_NAME"] == "Anita Desai"
    assert delivery.fields["SENDER_MOBILE"] == "+91-9822012345"
    assert delivery.fields["notes"].startswith("Enquiry about Industrial Sewing Machine: I want to buy")
    assert set(delivery.fields) == set(INDIAMART_DELIVERY_MAPPING)
    assert delivery.origin["query_type"] == "W"
    assert delivery.origin["product"] == "Industrial Sewing Machine"
    assert delivery.payload == indiamart_body("push-enquiry")
    assert len(queued) == 1


def test_a_redelivered_enquiry_changes_nothing(client, seller, django_capture_on_commit_callbacks):
    push(client, push_url(seller))

    with django_capture_on_commit_callbacks() as queued:
        response = push(client, push_url(seller))

    assert response.status_code == 200
    assert AdDelivery.objects.filter(source=seller).count() == 1
    assert queued == []


def test_a_stored_webhook_key_is_the_one_the_url_must_carry(client, seller):
    seller.credentials = json.dumps({"crm_key": SELLER_KEY, "webhook_key": "push-secret-91f3"})
    seller.save()

    assert push(client, push_url(seller, "push-secret-91f3")).status_code == 200
    assert AdDelivery.objects.count() == 1


@pytest.mark.parametrize("key", ["", "wrong-key", SELLER_KEY])
def test_a_push_without_the_right_key_is_refused_and_writes_nothing(client, seller, key):
    response = push(client, push_url(seller, key))

    assert response.status_code == 403
    assert not AdDelivery.objects.exists()


def test_a_source_with_no_key_at_all_accepts_no_push(client, seller):
    seller.credentials = ""
    seller.save()

    assert push(client, push_url(seller, "")).status_code == 403
    assert not AdDelivery.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        json.dumps({"CODE": 200, "STATUS": "SUCCESS", "RESPONSE": []}),
        json.dumps({"CODE": 200, "STATUS": "SUCCESS", "RESPONSE": {"SENDER_NAME": "No id"}}),
    ],
)
def test_a_body_that_is_not_the_envelope_is_refused_and_writes_nothing(client, seller, body):
    response = push(client, push_url(seller), body)

    assert response.status_code == 400
    assert not AdDelivery.objects.exists()


def test_an_unknown_source_is_not_found(client, seller):
    url = reverse("hooks:indiamart", args=[seller.pk + 1000]) + f"?key={push_key(seller)}"

    assert push(client, url).status_code == 404


def test_a_source_of_another_kind_is_not_found(client, seller):
    other = Source.objects.create(
        kind=Source.Kind.WEBSITE, name="Directories", credentials=json.dumps({"webhook_key": "k"})
    )

    assert push(client, push_url(other, "k")).status_code == 404
    assert not AdDelivery.objects.exists()


def test_a_paused_source_acknowledges_but_keeps_nothing(client, seller):
    seller.paused = True
    seller.save()

    assert push(client, push_url(seller)).status_code == 200
    assert not AdDelivery.objects.exists()


def test_only_post_is_answered(client, seller):
    assert client.get(push_url(seller)).status_code == 405


def test_each_source_has_its_own_derived_key(seller):
    other = Source.objects.create(
        kind=Source.Kind.INDIAMART, name="Second seller", credentials=json.dumps({"crm_key": SELLER_KEY})
    )

    assert push_key(seller) and push_key(other)
    assert push_key(seller) != push_key(other)
    assert SELLER_KEY not in push_key(seller)
