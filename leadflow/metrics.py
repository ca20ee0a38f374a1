"""`/metrics` for Prometheus: django-prometheus's requests and latencies (summed over every gunicorn worker), and
Leadflow's own figures (queue, clusters, job failures, sends, bounces), read from the database and the job broker
when scraped, so they hold for every web and job process on every machine."""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_q.models import Task
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from leadflow.health import queue_figures
from outreach.models import Message

FIGURES_CACHE_KEY = "leadflow:metrics:figures"


def _database_figures() -> dict:
    """Counts over the whole database, kept briefly in the shared cache (a scrape every few seconds from several
    Prometheus servers must not count the message table each time)."""
    return {
        "failures": list(Task.objects.filter(success=False).values_list("func").annotate(n=Count("id"))),
        "sent": Message.objects.filter(sent_at__isnull=False).count(),
        "bounces": list(
            Message.objects.filter(bounced_at__isnull=False).values_list("bounce_kind").annotate(n=Count("id"))
        ),
        "by_status": list(Message.objects.order_by().values_list("status").annotate(n=Count("id"))),
    }


class LeadflowCollector:
    """Leadflow's figures, as Prometheus metric families."""

    def collect(self) -> Iterator[Metric]:
        queue = queue_figures()
        yield GaugeMetricFamily("leadflow_queue_depth", "Tasks waiting in the job queue.", value=queue["queued"])
        yield GaugeMetricFamily(
            "leadflow_clusters_running", "Job clusters with a live heartbeat.", value=queue["clusters"]
        )
        if queue["oldest_seconds"] is not None:
            yield GaugeMetricFamily(
                "leadflow_queue_oldest_seconds", "Age of the oldest waiting task.", value=queue["oldest_seconds"]
            )
        figures = cache.get_or_set(FIGURES_CACHE_KEY, _database_figures, settings.METRICS_CACHE_SECONDS)
        failures = CounterMetricFamily("leadflow_job_failures", "Failed job tasks kept, by function.", labels=["func"])
        for func, count in figures["failures"]:
            failures.add_metric([func], count)
        yield failures
        yield CounterMetricFamily("leadflow_messages_sent", "Messages sent.", value=figures["sent"])
        bounces = CounterMetricFamily("leadflow_messages_bounced", "Messages bounced, by kind.", labels=["kind"])
        for kind, count in figures["bounces"]:
            bounces.add_metric([kind or "unknown"], count)
        yield bounces
        by_status = GaugeMetricFamily("leadflow_messages", "Outreach messages by status.", labels=["status"])
        for status, count in figures["by_status"]:
            by_status.add_metric([status], count)
        yield by_status


# Its own registry, read only when scraped (no describe(): registering it runs no query).
leadflow_registry = CollectorRegistry(auto_describe=False)
leadflow_registry.register(LeadflowCollector())


def metrics_access_allowed(request: HttpRequest) -> bool:
    """A scrape from an allowed address (the direct peer: behind a proxy, that is the proxy), or with the token."""
    token = settings.METRICS_TOKEN
    offered = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_IPS)


@login_not_required
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_access_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        # gunicorn's workers each count their own requests into files there (leadflow/gunicorn.conf.py): summed here.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    body += generate_latest(leadflow_registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
