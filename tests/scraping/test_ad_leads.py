"""Ad-form leads end to end: a signed webhook, the queued Graph fetch, and the lead saved through the import's pipeline
as a lead (not a contact) with its owner told, once however often the platform redelivers."""

import json
from pathlib import Path

import pytest

from crm.models import Lead, Task
from scraping.ad_tasks import meta_deliveries_fetch
from scraping.deliveries import deliveries_save
from scraping.models import AdDelivery
from tests.factories import LeadFactory, LeadListFactory
from tests.fakes.meta_graph_server import meta_lead, meta_notification
from tests.scraping.conftest import GOOGLE_KEY, meta_signature

pytestmark = pytest.mark.django_db


def _post_meta(client, body: dict):
    raw = json.dumps(body).encode()
    headers = {"X-Hub-Signature-256": meta_signature(raw)}
    return client.post("/hooks/meta/leadgen/", data=raw, content_type="application/json", headers=headers)


@pytest.fixture
def meta(meta_source, rep_alice):
    meta_source.owner = rep_alice
    meta_source.lead_list = LeadListFactory(name="Spring campaign")
    meta_source.save()
    return meta_source


def test_a_meta_lead_becomes_a_lead_with_its_owner_told(client, meta, graph, rep_alice):
    graph.answers_lead("5001", meta_lead("5001", full_name="Ines Moreau", email="ines@atelier.example",
                                         phone_number="+33612345678", company_name="Atelier Moreau"))  # fmt: skip
    assert _post_meta(client, meta_notification("5001")).status_code == 200
    meta_deliveries_fetch(meta.pk)

    delivery = AdDelivery.objects.get(platform_lead_id="5001")
    lead = delivery.lead
    assert delivery.status == "saved" and lead is not None
    assert (lead.first_name, lead.last_name, lead.email, lead.phone) == (
        "Ines",
        "Moreau",
        "ines@atelier.example",
        "+33612345678",
    )
    assert lead.company.name == "Atelier Moreau" and lead.lifecycle == "lead" and lead.source == "meta"
    assert lead.owner == rep_alice and set(lead.lists.values_list("name", flat=True)) == {"Spring campaign"}
    task = Task.objects.get(lead=lead)
    assert task.assignee == rep_alice and "Meta lead ads" in task.title and task.due_at is not None


def test_a_redelivered_webhook_saves_nothing_twice(client, meta, graph):
    graph.answers_lead("5001", meta_lead("5001", full_name="Ines Moreau", email="ines@atelier.example"))
    for _ in range(3):
        assert _post_meta(client, meta_notification("5001")).status_code == 200
    meta_deliveries_fetch(meta.pk)
    meta_deliveries_fetch(meta.pk)
    assert AdDelivery.objects.count() == 1
    assert Lead.objects.filter(email="ines@atelier.example").count() == 1


def test_an_ad_lead_that_is_already_a_contact_is_found_and_becomes_a_lead(client, meta, graph):
    known = LeadFactory(first_name="Ines", last_name="Moreau", email="ines@atelier.example", lifecycle="contact")
    graph.answers_lead("5001", meta_lead("5001", full_name="Ines Moreau", email="ines@atelier.example"))
    _post_meta(client, meta_notification("5001"))
    meta_deliveries_fetch(meta.pk)
    delivery = AdDelivery.objects.get()
    assert delivery.lead_id == known.pk
    known.refresh_from_db()
    assert known.lifecycle == "lead"
    assert Lead.objects.filter(email="ines@atelier.example").count() == 1


def test_a_graph_error_for_one_lead_leaves_the_others_saved(client, meta, graph):
    graph.answers_lead("5001", meta_lead("5001", full_name="Ines Moreau", email="ines@atelier.example"))
    graph.answers_error("5002", "error-100-no-such-lead")
    _post_meta(client, meta_notification("5001", "5002"))
    meta_deliveries_fetch(meta.pk)
    statuses = dict(AdDelivery.objects.values_list("platform_lead_id", "status"))
    assert statuses == {"5001": "saved", "5002": "failed"}


def test_a_google_lead_is_saved_as_soon_as_it_arrives(client, google_source, django_capture_on_commit_callbacks):
    payload = json.loads((Path(__file__).parents[1] / "fakes/google_ads/lead-production.json").read_text())
    payload["google_key"] = GOOGLE_KEY
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/hooks/google-ads/leadform/", data=json.dumps(payload), content_type="application/json")
    assert answer.status_code == 200
    delivery = AdDelivery.objects.get(source=google_source)
    assert delivery.status == "saved" and delivery.lead is not None
    assert delivery.lead.lifecycle == "lead" and delivery.lead.source == "google_ads"
    assert delivery.origin.get("gcl_id") or delivery.origin.get("campaign_id")


def test_the_same_person_twice_is_one_lead_and_both_deliveries_point_at_it(client, meta, graph):
    graph.answers_lead("5001", meta_lead("5001", full_name="Ines Moreau", email="ines@atelier.example"))
    graph.answers_lead("5002", meta_lead("5002", full_name="Ines Moreau", email="ines@atelier.example",
                                         job_title="Owner", notes_for_us="Call after 5pm,\nnot before"))  # fmt: skip
    _post_meta(client, meta_notification("5001"))
    meta_deliveries_fetch(meta.pk)
    _post_meta(client, meta_notification("5002"))
    meta_deliveries_fetch(meta.pk)
    first, second = AdDelivery.objects.order_by("platform_lead_id")
    assert first.lead_id == second.lead_id and second.status == "saved"
    assert Lead.objects.count() == 1


def test_a_save_that_fails_hands_its_deliveries_back(meta):
    from django.core.exceptions import ValidationError

    AdDelivery.objects.create(source=meta, platform_lead_id="7", fields={"a": "x@y.example", "b": "z@y.example"})
    with pytest.raises(ValidationError):  # two columns claiming one field: the import refuses the table
        deliveries_save(meta.pk, columns={"a": "email", "b": "email"})
    assert AdDelivery.objects.get().status == "received"


def test_a_claim_whose_worker_died_is_saved_by_the_periodic_job(meta):
    from datetime import timedelta

    from django.utils import timezone

    from scraping.deliveries import deliveries_save_due

    stale = timezone.now() - timedelta(hours=1)
    AdDelivery.objects.create(source=meta, platform_lead_id="8", status="saving", saved_at=stale,
                              fields={"full_name": "Ada Byron", "email": "ada@engines.example"})  # fmt: skip
    assert deliveries_save_due() == 1
    delivery = AdDelivery.objects.get()
    assert delivery.status == "saved" and delivery.lead.email == "ada@engines.example"


def test_a_lead_the_import_refuses_is_kept_as_the_person_gave_it(
    client, google_source, django_capture_on_commit_callbacks
):
    payload = json.loads((Path(__file__).parents[1] / "fakes/google_ads/lead-production.json").read_text())
    payload.update(google_key=GOOGLE_KEY, lead_id="placeholder-phone",
                   user_column_data=[{"column_id": "FULL_NAME", "string_value": "John Doe"},
                                     {"column_id": "PHONE_NUMBER", "string_value": "+11234567890"}])  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/hooks/google-ads/leadform/", data=json.dumps(payload), content_type="application/json")
    delivery = AdDelivery.objects.get()
    assert delivery.status == "saved" and delivery.error.startswith("kept as given; the import said: No email")
    assert (delivery.lead.first_name, delivery.lead.custom_fields["PHONE_NUMBER (as given)"]) == (
        "John",
        "+11234567890",
    )


@pytest.mark.parametrize("odd", ["²", "1e9", "9" * 30, "-1"])
def test_an_odd_source_id_on_the_webhook_address_names_no_source(client, meta, odd):
    raw = json.dumps(meta_notification("5001")).encode()
    headers = {"X-Hub-Signature-256": meta_signature(raw)}
    answer = client.post(
        f"/hooks/meta/leadgen/?source={odd}", data=raw, content_type="application/json", headers=headers
    )
    assert answer.status_code == 403 and not AdDelivery.objects.exists()


def test_a_full_batch_of_deliveries_queues_the_rest_as_a_run_of_its_own(meta, monkeypatch, broker_queued):
    """Webhooks queue one save for a burst (leadflow.queue_once), so a run that saved a whole batch queues the next."""
    monkeypatch.setattr("scraping.deliveries.BATCH", 2)
    for number in range(3):
        fields = {"full_name": f"Person {number}", "email": f"p{number}@firm.example"}
        AdDelivery.objects.create(source=meta, platform_lead_id=str(7000 + number), fields=fields)
    assert deliveries_save(meta.pk) == 2
    assert broker_queued() == ["scraping.deliveries.deliveries_save"]
    assert deliveries_save(meta.pk) == 1  # the queued run, as a worker runs it: the last one, nothing more queued
    assert broker_queued() == ["scraping.deliveries.deliveries_save"]
    assert not AdDelivery.objects.filter(status=AdDelivery.Status.RECEIVED).exists()
