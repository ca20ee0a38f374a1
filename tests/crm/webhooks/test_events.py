"""Every event type is published by the action that causes it (the real services, the real unsubscribe page, the
real import and enrichment jobs), reaches the local endpoint signed, and publishing costs nothing when no one
listens and never breaks the action."""

from __future__ import annotations

import csv
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse
from standardwebhooks import Webhook

from crm.importing.jobs import import_job_create, import_job_run, import_job_start
from crm.models import Activity, Lead, ScoringSettings, WebhookDelivery, WebhookEvent
from crm.rescoring import leads_rescore
from crm.services.leads import lead_create, lead_move_stage, lead_update, leads_bulk_move_stage
from crm.webhooks.events import EventType
from crm.webhooks.publish import event_publish
from enrichment.jobs import enrichment_job_create
from outreach.conversations import conversation_open, message_received, reply_received
from outreach.models import ConversationChannel
from outreach.tracking import unsubscribe_headers
from tests.factories import LeadFactory, MessageFactory, default_stage


def _events(receiver, subscription) -> list[dict]:
    """What the endpoint received, each checked against the subscription's secret."""
    verifier = Webhook(subscription.secret)
    return [verifier.verify(request.body, request.headers) for request in receiver.received]


def test_lead_created_and_updated(receiver, subscribe, on_commit, manager_mia):
    subscription = subscribe(EventType.LEAD_CREATED, EventType.LEAD_UPDATED)
    with on_commit():
        lead = lead_create(actor=manager_mia, stage=default_stage(), first_name="Ann", email="ann@acme.io")
    with on_commit():
        lead_update(lead=lead, actor=manager_mia, title="CTO", email="ann@acme.com")
    created, updated = _events(receiver, subscription)
    assert created["type"] == "lead.created" and created["data"]["lead"]["email"] == "ann@acme.io"
    assert updated["type"] == "lead.updated" and updated["data"]["lead"]["title"] == "CTO"
    assert updated["data"]["changes"] == {
        "title": {"from": "", "to": "CTO"},
        "email": {"from": "ann@acme.io", "to": "ann@acme.com"},
    }


def test_lead_stage_changed_single_and_bulk(receiver, subscribe, on_commit, manager_mia):
    subscription = subscribe(EventType.LEAD_STAGE_CHANGED)
    new, contacted = default_stage(0), default_stage(1)
    one, two = LeadFactory(stage=new), LeadFactory(stage=new)
    with on_commit():
        lead_move_stage(lead=one, stage=contacted, actor=manager_mia)
    one.refresh_from_db()
    with on_commit():
        leads_bulk_move_stage(leads=[one, two], stage=default_stage(2), actor=manager_mia)
    events = _events(receiver, subscription)
    assert [
        (event["data"]["lead"]["id"], event["data"]["from_stage"], event["data"]["to_stage"]) for event in events
    ] == [
        (one.pk, new.name, contacted.name),
        (one.pk, contacted.name, default_stage(2).name),
        (two.pk, new.name, default_stage(2).name),
    ]
    assert {event["type"] for event in events} == {"lead.stage_changed"}


def test_lead_replied_from_the_conversation_service(receiver, subscribe, on_commit, rep_alice):
    subscription = subscribe(EventType.LEAD_REPLIED)
    lead = LeadFactory(owner=rep_alice, first_name="Priya", email="priya@northwind.example")
    with on_commit():
        conversation = conversation_open(lead, ConversationChannel.EMAIL, peer=lead.email)
        message = message_received(conversation, text="Yes, let's talk on Tuesday.", subject="Re: hello")
        reply_received(message)
    [event] = _events(receiver, subscription)
    assert event["type"] == "lead.replied" and event["data"]["lead"]["id"] == lead.pk
    assert event["data"]["text"] == "Yes, let's talk on Tuesday." and event["data"]["channel"] == "email"
    # The reply moved the lead to Replied before the event was made: the payload shows it.
    assert event["data"]["lead"]["stage"]["name"] == Lead.objects.get(pk=lead.pk).stage.name
    conversation_path = reverse("outreach:conversation", args=[conversation.pk])
    assert event["data"]["conversation_url"] == f"{settings.SITE_URL}{conversation_path}"


def test_lead_unsubscribed_from_the_one_click_unsubscribe(receiver, subscribe, on_commit):
    subscription = subscribe(EventType.LEAD_UNSUBSCRIBED)
    message = MessageFactory(to_email="priya@prospect.example")
    url = unsubscribe_headers(message)["List-Unsubscribe"].strip("<>")
    with on_commit():
        response = Client().post(
            urlsplit(url).path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 200
    [event] = _events(receiver, subscription)
    assert event["type"] == "lead.unsubscribed" and event["data"]["lead"]["id"] == message.lead_id
    assert event["data"]["via"] == "one-click" and event["data"]["channel"] == "email"
    # A second unsubscribe of the same message changes nothing and sends nothing.
    with on_commit():
        Client().post(
            urlsplit(url).path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
    assert len(receiver.received) == 1


def test_lead_qualified_when_the_score_crosses_sql(receiver, subscribe, on_commit):
    subscription = subscribe(EventType.LEAD_QUALIFIED, path="/hot")
    slack = subscribe(EventType.LEAD_QUALIFIED, path="/slack", format="slack")
    # Only engagement counts: a reply (25) stays under SQL 60, a meeting with it (65) crosses it.
    weights = {"weight_fit": 0, "weight_completeness": 0, "weight_engagement": 100, "weight_recency": 0}
    ScoringSettings(pk=ScoringSettings.SINGLETON_PK, mql_threshold=20, sql_threshold=60, **weights).save()
    lead = LeadFactory(first_name="Hot", last_name="Prospect", company=None)
    Activity.objects.create(lead=lead, kind=Activity.Kind.REPLIED, summary="Replied")
    with on_commit():
        leads_rescore([lead.pk])
    assert receiver.received == []
    Activity.objects.create(lead=lead, kind=Activity.Kind.MEETING_BOOKED, summary="Meeting booked")
    with on_commit():
        leads_rescore([lead.pk])
    [event] = [Webhook(subscription.secret).verify(r.body, r.headers) for r in receiver.received if r.path == "/hot"]
    assert event["type"] == "lead.qualified" and event["data"]["lead"]["id"] == lead.pk
    assert event["data"]["score"] == 65 and event["data"]["threshold"] == 60 and event["data"]["grade"] == "hot"
    [slack_request] = [r for r in receiver.received if r.path == "/slack"]
    assert ':fire: Hot lead: *Hot Prospect* scored 65"' in slack_request.body.decode()
    assert slack.pk != subscription.pk


def test_import_finished_once_with_counts_not_a_lead_created_per_row(
    receiver, subscribe, on_commit, manager_mia, tmp_path
):
    subscription = subscribe(EventType.IMPORT_FINISHED, EventType.LEAD_CREATED)
    path = tmp_path / "people.csv"
    with path.open("w", newline="") as handle:
        rows = [["First Name", "Email"], ["Ada", "ada@one.example"], ["Bo", "bo@two.example"], ["Cy", "not an email"]]
        csv.writer(handle).writerows(rows)
    job = import_job_create(actor=manager_mia, path=path, original_name="people.csv")
    import_job_start(job=job, actor=manager_mia, mapping=job.mapping, on_duplicate="skip", queue=False)
    with on_commit():
        assert import_job_run(job.pk) == "done"
    [event] = _events(receiver, subscription)
    assert event["type"] == "import.finished"
    data = event["data"]["import"]
    assert (data["id"], data["file_name"], data["status"]) == (job.pk, "people.csv", "done")
    assert data["rows_imported"] == Lead.objects.count() >= 2 and data["started_by"] == manager_mia.email


def test_enrichment_finished(receiver, subscribe, on_commit, manager_mia):
    subscription = subscribe(EventType.ENRICHMENT_FINISHED)
    lead = LeadFactory(phone="+442079460958", time_zone="")
    with on_commit():
        job = enrichment_job_create(
            actor=manager_mia, leads=Lead.objects.filter(pk=lead.pk), sources=["phone"], fields=["phone"]
        )
    [event] = _events(receiver, subscription)
    assert event["type"] == "enrichment.finished"
    data = event["data"]["enrichment"]
    assert (data["id"], data["status"], data["leads"], data["failed"]) == (job.pk, "done", 1, 0)
    assert data["breakdown"] == {"phones_found": 1} and data["started_by"] == manager_mia.email


def test_a_subscription_gets_only_the_events_it_chose(receiver, subscribe, on_commit, manager_mia):
    subscribe(EventType.LEAD_REPLIED)
    with on_commit():
        lead_create(actor=manager_mia, stage=default_stage(), first_name="Ann")
    assert receiver.received == [] and not WebhookEvent.objects.exists()


def test_publishing_costs_no_query_when_no_one_listens(db, django_assert_num_queries):
    event_publish(EventType.LEAD_CREATED, {"x": 1})  # reads the (empty) list of listeners once
    with django_assert_num_queries(0):
        for _ in range(100):
            event_publish(EventType.LEAD_CREATED, {"x": 1})


def test_a_failing_publish_never_breaks_the_action(subscribe, on_commit, manager_mia, monkeypatch):
    subscribe(EventType.LEAD_CREATED)

    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(WebhookEvent.objects, "bulk_create", broken)
    with on_commit():
        lead = lead_create(actor=manager_mia, stage=default_stage(), first_name="Ann")
    assert Lead.objects.filter(pk=lead.pk).exists()
    assert lead.activities.filter(kind=Activity.Kind.CREATED).exists()
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("event_type", ["lead.created", "import.finished"])
def test_a_rolled_back_action_sends_nothing(
    receiver, subscribe, manager_mia, event_type, django_capture_on_commit_callbacks
):

    subscribe(event_type)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        lead_create(actor=manager_mia, stage=default_stage(), first_name="Ann")
        raise RuntimeError("the action failed after publishing")
    assert receiver.received == [] and not WebhookEvent.objects.exists()
