"""Reading Meta leads from the Graph API (against a local stand-in replaying Meta's documented bodies), and the
queued fetch that fills each delivery: one lead's failure is retried and then recorded, and the others still land."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scraping.ad_tasks import MAX_ATTEMPTS, meta_deliveries_fetch_only
from scraping.models import AdDelivery
from scraping.sources.meta_graph import GraphError, appsecret_proof, graph_lead
from tests.fakes.meta_graph_server import meta_body, meta_lead
from tests.scraping.conftest import APP_SECRET, PAGE_ACCESS_TOKEN

# The fixtures (graph, meta_source) come from tests/scraping/conftest.py.


def test_a_lead_is_read_with_the_page_token_and_the_fields_asked_for(graph):
    graph.answers_lead("123123123123")

    lead = graph_lead(graph.base_url, "page-token", "123123123123", app_secret="app-secret")

    assert lead["id"] == "123123123123"
    assert {"name": "full_name", "values": ["Joe Example"]} in lead["field_data"]
    (request,) = graph.requests("123123123123")
    assert request.args["access_token"] == "page-token"
    assert "field_data" in request.args["fields"].split(",")
    assert "campaign_id" in request.args["fields"].split(",")
    assert request.args["appsecret_proof"] == appsecret_proof("page-token", "app-secret")


def test_an_expired_token_is_not_worth_retrying(graph):
    graph.answers_error("1", "error-190-token-expired")

    with pytest.raises(GraphError) as failure:
        graph_lead(graph.base_url, "page-token", "1")

    assert failure.value.retry is False
    assert failure.value.token_unusable
    assert "Error validating access token" in str(failure.value)


def test_a_throttle_is_worth_retrying(graph):
    graph.answers_error("1", "error-4-application-request-limit")

    with pytest.raises(GraphError) as failure:
        graph_lead(graph.base_url, "page-token", "1")

    assert failure.value.retry is True
    assert failure.value.code == 4
    assert "Application request limit reached" in str(failure.value)


def test_a_server_failure_that_outlasts_the_retries_is_worth_retrying_later(graph, slept):
    graph.answers_error("1", "error-2-service-unavailable")

    with pytest.raises(GraphError) as failure:
        graph_lead(graph.base_url, "page-token", "1")

    assert failure.value.retry is True
    assert len(graph.requests("1")) > 1  # the outbound session asked again before giving up
    assert slept  # and paused between


def test_an_unknown_lead_is_not_worth_retrying(graph):
    graph.answers_error("1", "error-100-no-such-lead")

    with pytest.raises(GraphError) as failure:
        graph_lead(graph.base_url, "page-token", "1")

    assert failure.value.retry is False
    assert "does not exist" in str(failure.value)


def test_an_answer_that_is_not_json_fails_clearly(graph):
    graph.server.expect_request("/v21.0/1").respond_with_data("<html>Sorry</html>", content_type="text/html")

    with pytest.raises(GraphError, match="no JSON object"):
        graph_lead(graph.base_url, "page-token", "1")


def test_a_refused_address_is_not_retried(settings):
    settings.HTTP_ALLOW_PRIVATE_HOSTS = []

    with pytest.raises(GraphError, match="private address") as failure:
        graph_lead("http://127.0.0.1:9/v21.0", "page-token", "1")

    assert failure.value.retry is False


def test_no_token_no_request():
    with pytest.raises(GraphError, match="No page access token"):
        graph_lead("http://localhost:9/v21.0", "", "1")


# ---- the queued fetch ----


def delivery(source, leadgen_id: str, **extra) -> AdDelivery:
    return AdDelivery.objects.create(
        source=source, platform_lead_id=leadgen_id, origin={"page_id": "153125381133", "ad_id": "555"}, **extra
    )


def test_each_pending_lead_is_fetched_once_with_the_sources_token(graph, meta_source):
    first, second = delivery(meta_source, "1001"), delivery(meta_source, "1002")
    graph.answers_lead("1001", meta_lead("1001", full_name="Ana Lima", favourite_colour="Teal"))
    graph.answers_lead("1002", meta_lead("1002", full_name="Ben Ode"))

    report = meta_deliveries_fetch_only(meta_source.pk)
    again = meta_deliveries_fetch_only(meta_source.pk)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (report.fetched, again.fetched) == (2, 0)
    assert first.fields["full_name"] == "Ana Lima"
    assert first.fields["favourite_colour"] == "Teal"
    assert first.origin == {
        "page_id": "153125381133",
        "ad_id": "12312312312",
        "adset_id": "23842501234567890",
        "campaign_id": "23842501234567891",
        "form_id": "12312312312",
        "is_organic": "False",
        "platform": "fb",
    }
    assert second.fields["full_name"] == "Ben Ode"
    assert first.status == second.status == AdDelivery.Status.RECEIVED  # saving them is capture's job
    assert len(graph.requests()) == 2
    assert graph.requests("1001")[0].args["access_token"] == PAGE_ACCESS_TOKEN
    assert graph.requests("1001")[0].args["appsecret_proof"] == appsecret_proof(PAGE_ACCESS_TOKEN, APP_SECRET)


def test_a_throttled_lead_is_retried_by_a_later_run_while_the_others_land(graph, meta_source):
    throttled, fine = delivery(meta_source, "2001"), delivery(meta_source, "2002")
    graph.answers_error("2001", "error-4-application-request-limit", once=True)
    graph.answers_lead("2001")
    graph.answers_lead("2002")

    report = meta_deliveries_fetch_only(meta_source.pk)

    throttled.refresh_from_db()
    fine.refresh_from_db()
    assert (report.fetched, report.retrying) == (1, 1)
    assert fine.fields["full_name"] == "Joe Example"
    assert throttled.fields == {}
    assert throttled.status == AdDelivery.Status.RECEIVED
    assert "Application request limit reached" in throttled.error

    # Not before its pause is over ...
    assert meta_deliveries_fetch_only(meta_source.pk).fetched == 0
    # ... and then it is asked again, and lands.
    AdDelivery.objects.filter(pk=throttled.pk).update(received_at=throttled.received_at - timedelta(minutes=1))
    assert meta_deliveries_fetch_only(meta_source.pk).fetched == 1
    throttled.refresh_from_db()
    assert throttled.fields["email"] == "joe@example.com"
    assert throttled.error == ""
    assert throttled.attempts == 2


def test_a_lead_that_keeps_failing_is_marked_failed_with_the_graph_message(graph, meta_source, slept):
    stuck = delivery(meta_source, "3001", attempts=MAX_ATTEMPTS - 1)
    AdDelivery.objects.filter(pk=stuck.pk).update(received_at=stuck.received_at - timedelta(days=1))
    fine = delivery(meta_source, "3002")
    graph.answers_error("3001", "error-2-service-unavailable")
    graph.answers_lead("3002")

    report = meta_deliveries_fetch_only(meta_source.pk)

    stuck.refresh_from_db()
    fine.refresh_from_db()
    assert (report.fetched, report.failed) == (1, 1)
    assert stuck.status == AdDelivery.Status.FAILED
    assert stuck.attempts == MAX_ATTEMPTS
    assert "Graph API" in stuck.error
    assert fine.fields["full_name"] == "Joe Example"


def test_a_lead_graph_does_not_know_fails_at_once(graph, meta_source):
    unknown = delivery(meta_source, "4001")
    graph.answers_error("4001", "error-100-no-such-lead")

    report = meta_deliveries_fetch_only(meta_source.pk)

    unknown.refresh_from_db()
    assert report.failed == 1
    assert unknown.status == AdDelivery.Status.FAILED
    assert "does not exist" in unknown.error


def test_an_expired_token_fails_no_lead_and_stops_the_run(graph, meta_source):
    leads = [delivery(meta_source, str(5000 + number)) for number in range(40)]
    for lead in leads:
        graph.answers_error(lead.platform_lead_id, "error-190-token-expired")

    report = meta_deliveries_fetch_only(meta_source.pk)

    assert report.waiting_for_token > 0
    assert len(graph.requests()) < len(leads)  # stopped after the first batch
    assert report.problems == ["The page access token no longer works; fetching stopped."]
    assert set(AdDelivery.objects.values_list("status", flat=True)) == {AdDelivery.Status.RECEIVED}
    assert set(AdDelivery.objects.values_list("attempts", flat=True)) == {0}
    assert "Error validating access token" in AdDelivery.objects.get(pk=leads[0].pk).error


def test_a_delivery_another_worker_claimed_is_left_to_it(graph, meta_source):
    lead = delivery(meta_source, "6001")
    graph.answers_lead("6001")
    # Another worker took the first attempt a moment ago.
    AdDelivery.objects.filter(pk=lead.pk).update(attempts=1)

    assert meta_deliveries_fetch_only(meta_source.pk).fetched == 0
    assert graph.requests() == []


def test_deliveries_of_a_paused_source_wait(graph, meta_source):
    delivery(meta_source, "7001")
    meta_source.paused = True
    meta_source.save()

    assert meta_deliveries_fetch_only(meta_source.pk).fetched == 0
    assert graph.requests() == []


def test_the_documented_webhook_body_is_what_the_stand_in_replays():
    change = meta_body("webhook-leadgen")["entry"][0]["changes"][0]

    assert change["field"] == "leadgen"
    assert set(change["value"]) == {"leadgen_id", "page_id", "form_id", "adgroup_id", "ad_id", "created_time"}
