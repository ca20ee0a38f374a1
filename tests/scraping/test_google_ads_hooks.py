"""Google Ads lead form webhook: the google_key decides, answers are mapped by column id, test leads are kept but
never saved, and a redelivered lead is kept once."""

from __future__ import annotations

import json

from django.urls import reverse

from scraping.ads import GOOGLE_FIELD_MAPPING, META_FIELD_MAPPING
from scraping.models import AdDelivery
from tests.fakes.meta_graph_server import BODIES as META_BODIES

# The fixtures (google_source) come from tests/scraping/conftest.py.

URL = "/hooks/google-ads/leadform/"
BODIES = META_BODIES.parent / "google_ads"


def google_body(name: str) -> dict:
    return json.loads((BODIES / f"{name}.json").read_text())


def post(client, lead: dict | bytes):
    body = lead if isinstance(lead, bytes) else json.dumps(lead).encode()
    return client.post(URL, data=body, content_type="application/json")


def test_the_url_is_the_one_operators_are_shown():
    assert reverse("hooks:google_ads_leadform") == URL


def test_a_lead_with_the_right_key_is_kept_with_its_answers_and_origin(
    client, google_source, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        answer = post(client, google_body("lead-full-form"))

    assert answer.status_code == 200
    delivery = AdDelivery.objects.get(source=google_source)
    assert delivery.platform_lead_id == "Lf9cWm2Q7xT4nB1vR8kZ3yH6dJ0pS5aE"
    assert delivery.status == AdDelivery.Status.RECEIVED
    assert delivery.fields == {
        "FIRST_NAME": "Priya",
        "LAST_NAME": "Raman",
        "EMAIL": "priya.raman@example.com",
        "PHONE_NUMBER": "+441632960961",
        "COMPANY_NAME": "Raman Logistics",
        "JOB_TITLE": "Operations director",
        "CITY": "Leeds",
        "POSTAL_CODE": "LS1 4AP",
        "How many vans are in your fleet?": "12",  # a custom question, under its own words
    }
    assert delivery.origin == {
        "campaign_id": "281489216452815",
        "adgroup_id": "20000000001",
        "creative_id": "30000000001",
        "form_id": "40000000001",
        "gcl_id": "EAIaIQobChMI4qL2xYvQ-AIVgQ",
        "api_version": "1.0",
    }
    assert "google_key" not in delivery.payload
    assert len(queued) == 1  # capture saves it as a lead, once committed


def test_the_documented_production_sample_is_accepted(client, google_source):
    assert post(client, google_body("lead-production")).status_code == 200
    delivery = AdDelivery.objects.get()
    assert delivery.fields == {"FULL_NAME": "John Doe", "PHONE_NUMBER": "+11234567890"}
    assert delivery.origin["campaign_id"] == "123456"


def test_each_answer_maps_to_a_lead_field_or_a_custom_one():
    fields = google_body("lead-full-form")
    mapped = {
        column["column_id"]: GOOGLE_FIELD_MAPPING.get(column["column_id"], "") for column in fields["user_column_data"]
    }

    assert mapped["FIRST_NAME"] == "first_name"
    assert mapped["PHONE_NUMBER"] == "phone"
    assert mapped["COMPANY_NAME"] == "company"
    assert mapped["JOB_TITLE"] == "title"
    assert mapped["POSTAL_CODE"] == ""
    assert META_FIELD_MAPPING["phone_number"] == "phone"
    assert META_FIELD_MAPPING["job_title"] == "title"


def test_a_wrong_key_is_refused_and_nothing_written(client, google_source, django_capture_on_commit_callbacks):
    lead = google_body("lead-production") | {"google_key": "guessed"}
    with django_capture_on_commit_callbacks() as queued:
        answer = post(client, lead)

    assert answer.status_code == 403
    assert not AdDelivery.objects.exists()
    assert queued == []


def test_a_missing_key_is_refused(client, google_source):
    lead = google_body("lead-production")
    del lead["google_key"]

    assert post(client, lead).status_code == 403
    assert not AdDelivery.objects.exists()


def test_a_source_without_a_key_accepts_no_lead(client, google_source):
    google_source.credentials = "{}"
    google_source.save()

    assert post(client, google_body("lead-production") | {"google_key": ""}).status_code == 403
    assert not AdDelivery.objects.exists()


def test_the_environment_key_wins_over_the_stored_one(client, google_source, settings):
    settings.GOOGLE_ADS_WEBHOOK_KEY = "environment-key"

    assert post(client, google_body("lead-production")).status_code == 403
    assert post(client, google_body("lead-production") | {"google_key": "environment-key"}).status_code == 200


def test_a_test_lead_is_kept_as_a_test_and_never_saved(client, google_source, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        answer = post(client, google_body("lead-test"))

    assert answer.status_code == 200
    delivery = AdDelivery.objects.get()
    assert delivery.status == AdDelivery.Status.TEST
    assert delivery.fields["EMAIL"] == "test@example.com"
    assert queued == []


def test_a_redelivered_lead_is_kept_once(client, google_source, django_capture_on_commit_callbacks):
    post(client, google_body("lead-production"))
    with django_capture_on_commit_callbacks() as queued:
        answer = post(client, google_body("lead-production"))

    assert answer.status_code == 200
    assert AdDelivery.objects.count() == 1
    assert queued == []


def test_malformed_json_is_a_bad_request(client, google_source):
    assert post(client, b'{"lead_id": "x", "user_column_data": [').status_code == 400
    assert post(client, b'["a list"]').status_code == 400
    assert not AdDelivery.objects.exists()


def test_a_lead_without_an_id_is_a_bad_request(client, google_source):
    lead = google_body("lead-production")
    del lead["lead_id"]

    assert post(client, lead).status_code == 400
    assert not AdDelivery.objects.exists()


def test_only_post_is_accepted(client, google_source):
    assert client.get(URL).status_code == 405
