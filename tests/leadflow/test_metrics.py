"""/metrics: Prometheus figures for allowed scrapers only; requests and latencies, and Leadflow's own figures."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ, Task

from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db


def _metric_lines(response) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in response.content.decode().splitlines()
        if line and not line.startswith("#")
    }


def test_a_scrape_from_an_address_not_allowed_is_refused(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    response = client.get(reverse("metrics"), REMOTE_ADDR="192.168.1.5")
    assert response.status_code == 403
    assert b"leadflow_" not in response.content


def test_a_scrape_from_an_allowed_network_is_answered(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get(reverse("metrics"), REMOTE_ADDR="10.1.2.3").status_code == 200


def test_the_token_opens_it_from_anywhere_and_a_wrong_one_does_not(client, settings):
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = "scrape-secret-123"
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer scrape-secret-123").status_code == 200
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer scrape-secret-12").status_code == 403
    assert client.get(reverse("metrics")).status_code == 403


def test_it_counts_requests_and_leadflows_queue_failures_sends_and_bounces(client, settings):
    settings.METRICS_CACHE_SECONDS = 0
    MessageFactory()
    MessageFactory(bounced_at=timezone.now(), bounce_kind="hard")
    MessageFactory(status="queued", sent_at=None)
    Task.objects.create(
        id="f" * 32,
        name="failed-one",
        func="crm.webhooks.deliver.delivery_send",
        started=timezone.now(),
        stopped=timezone.now(),
        success=False,
    )
    OrmQ.objects.create(key="leadflow", payload="x", lock=timezone.now() - timezone.timedelta(seconds=90))
    client.get(reverse("healthz"))

    figures = _metric_lines(client.get(reverse("metrics")))
    assert figures["leadflow_queue_depth"] == 1
    assert figures["leadflow_queue_oldest_seconds"] >= 90
    assert figures["leadflow_clusters_running"] == 0
    assert figures['leadflow_job_failures_total{func="crm.webhooks.deliver.delivery_send"}'] == 1
    assert figures["leadflow_messages_sent_total"] == 2
    assert figures['leadflow_messages_bounced_total{kind="hard"}'] == 1
    assert figures['leadflow_messages{status="queued"}'] == 1
    assert figures['leadflow_messages{status="sent"}'] == 2
    # django-prometheus's own request figures are there too.
    assert any(name.startswith("django_http_requests_latency_seconds_by_view_method") for name in figures)
    assert any(name.startswith("django_http_responses_total_by_status_total") for name in figures)
