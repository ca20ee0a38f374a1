"""Queued work behind the ad webhooks: read each notified Meta lead from the Graph API, then save the deliveries as
leads (scraping.capture).

Runs at least once and maybe twice at a time (one task per webhook), so each delivery is claimed before it is
fetched: the claim is a conditional update of its attempt count, and only the worker whose update changed the row
fetches it. A fetch that fails for a reason that may pass is tried again by a later run, after a pause that doubles
with each attempt, and after MAX_ATTEMPTS the delivery is marked failed with Graph's message; one that cannot pass
(no such lead, no permission) fails at once. A page access token that stopped working fails no lead: the leads wait,
their attempts not counted, for a run after the token is replaced.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from leadflow.queue_once import queued_run_started
from scraping.ads import meta_lead_fields, meta_lead_origin
from scraping.models import AdDelivery, Source
from scraping.sources.meta_graph import GraphError, graph_lead

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# The pause before attempt n+1 is BACKOFF_SECONDS * 2**(n-1) after attempt n: 30 s, 1, 2, 4 minutes.
BACKOFF_SECONDS = 30
# Graph calls in flight at once: the network wait dominates, and Graph allows far more.
FETCH_THREADS = 4
# Deliveries claimed and fetched together; a token that stopped working ends the run after one batch.
BATCH_SIZE = 16


@dataclass
class FetchReport:
    fetched: int = 0
    retrying: int = 0
    failed: int = 0
    # Left for a run after the page access token is replaced (their attempt not counted).
    waiting_for_token: int = 0
    problems: list[str] = field(default_factory=list)


def fetch_due_at(received_at: datetime, attempts: int) -> datetime:
    """When a delivery's next fetch may start: at once the first time, then after each pause in turn."""
    return received_at + timedelta(seconds=BACKOFF_SECONDS * (2**attempts - 1))


def meta_deliveries_fetch(source_id: int) -> None:
    """The task Meta webhooks queue (one run for a burst: scraping.queueing): fetch the notified leads, then save
    every delivery that has its fields."""
    queued_run_started(f"{__name__}.meta_deliveries_fetch", source_id)
    meta_deliveries_fetch_only(source_id)
    from scraping.deliveries import deliveries_save

    deliveries_save(source_id)


def meta_deliveries_fetch_only(source_id: int) -> FetchReport:
    """Fetch from the Graph API every due Meta delivery of the source still without fields; store its answers as
    `fields` ({question: first value}) and its ad set and campaign in `origin`."""
    report = FetchReport()
    source = Source.objects.filter(pk=source_id, kind=Source.Kind.META).first()
    if source is None or source.paused:
        return report
    access_token, app_secret = source.credential("page_access_token"), source.credential("app_secret")
    now = timezone.now()
    pending = (
        AdDelivery.objects.filter(source=source, status=AdDelivery.Status.RECEIVED, attempts__lt=MAX_ATTEMPTS)
        .filter(fields={})
        .order_by("received_at", "pk")
        .values_list("pk", "platform_lead_id", "attempts", "received_at", "origin")
    )
    due = [row for row in pending if fetch_due_at(row[3], row[2]) <= now]
    with ThreadPoolExecutor(max_workers=FETCH_THREADS, thread_name_prefix="graph-fetch") as pool:
        for start in range(0, len(due), BATCH_SIZE):
            claimed = [row for row in due[start : start + BATCH_SIZE] if _claim(row[0], row[2])]
            # Threads do only HTTP; every database write stays on this thread (no connections opened in threads).
            answers = pool.map(
                lambda row: _graph_answer(source.api_base_url, access_token, app_secret, row[1]), claimed
            )
            token_unusable = False
            for row, answer in zip(claimed, answers, strict=True):
                _record(row, answer, report)
                token_unusable |= isinstance(answer, GraphError) and answer.token_unusable
            if token_unusable:
                # Every other lead would fail the same way: leave them for a run after the token is replaced.
                report.problems.append("The page access token no longer works; fetching stopped.")
                break
    return report


def _claim(pk: int, attempts: int) -> bool:
    """Take one attempt at a delivery; False when another worker took it (or it moved on) first."""
    claimed = AdDelivery.objects.filter(pk=pk, status=AdDelivery.Status.RECEIVED, attempts=attempts).update(
        attempts=attempts + 1
    )
    return claimed == 1


def _graph_answer(base_url: str, access_token: str, app_secret: str, leadgen_id: str) -> dict | GraphError:
    try:
        return graph_lead(base_url, access_token, leadgen_id, app_secret=app_secret)
    except GraphError as exc:
        return exc


def _record(row: tuple, answer: dict | GraphError, report: FetchReport) -> None:
    pk, leadgen_id, attempts_before, _, origin = row
    still_ours = AdDelivery.objects.filter(pk=pk, status=AdDelivery.Status.RECEIVED)
    if isinstance(answer, dict):
        fields = meta_lead_fields(answer)
        merged_origin = {**(origin or {}), **meta_lead_origin(answer)}
        if not fields:
            # A lead with no answers at all: nothing to save, and asking again gives the same.
            still_ours.update(status=AdDelivery.Status.FAILED, origin=merged_origin, error="the form sent no answers")
            report.failed += 1
            return
        still_ours.update(fields=fields, origin=merged_origin, error="")
        report.fetched += 1
        return
    attempts = attempts_before + 1
    logger.warning("Meta lead %s not fetched (attempt %s): %s", leadgen_id, attempts, answer)
    if answer.token_unusable:
        # Not this lead's fault: it waits, its attempt given back, until the source has a token that works.
        still_ours.update(error=str(answer), attempts=attempts_before)
        report.waiting_for_token += 1
    elif answer.retry and attempts < MAX_ATTEMPTS:
        still_ours.update(error=str(answer))
        report.retrying += 1
    else:
        still_ours.update(status=AdDelivery.Status.FAILED, error=str(answer))
        report.failed += 1


def meta_sources_fetch_due() -> None:
    """For a periodic schedule: fetch (and save) what is due for every enabled Meta source, so a lead whose fetch
    failed is retried even when no new webhook arrives."""
    for source_id in Source.objects.filter(kind=Source.Kind.META, paused=False).values_list("pk", flat=True):
        meta_deliveries_fetch(source_id)
