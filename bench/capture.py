"""Capture throughput. 10,000 signed Meta leadgen notifications (5% of them replays of earlier ones) go through
Django's test client into /hooks/meta/leadgen/: a tenth from one process, the rest from two at once, as a deployment
with a web worker per core takes Meta's parallel deliveries. Then as many again, from one process, while a real job
cluster (`manage.py qcluster`, its own processes) runs the tasks they queue: each fetches its leads from a local
Graph API stand-in (tests/fakes/meta_graph_server) and saves them through the import's pipeline. Then a
50,000-item Apify dataset (tests/fakes/apify_server) is captured by a campaign run.

    .venv/bin/python bench/capture.py [--webhooks 10000] [--items 50000] [--pg-url postgres://postgres@127.0.0.1:5432/leadflow_bench_capture]

Prints webhooks accepted per second, the time from webhook to saved lead (median and p95), and Apify items per
second against the CSV import's rows per second (each the median of three runs, taken in turn). Targets on a 2-core
machine: 200 webhooks a second, a median under 2 s, items at least as fast as the CSV import's rows.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import json
import logging
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing.managers import BaseManager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch_databases import postgres_drop, postgres_recreate, worker_environment  # noqa: E402 (a sibling of this script)

from tests.fakes.apify_server import TOKEN as APIFY_TOKEN  # noqa: E402
from tests.fakes.apify_server import ApifyStandIn, SyntheticPlaces  # noqa: E402
from tests.fakes.meta_graph_server import MetaGraphStandIn, meta_notification  # noqa: E402

APP_SECRET = "bench-meta-app-secret"
FIRST_LEAD_ID = 900_000_000_000


class ApifyElsewhere(ApifyStandIn):
    """The Apify stand-in served from a process of its own (StandIns), as a real Apify runs on other machines: in
    the bench's process its page-serving would share the interpreter lock with the capture it feeds (a cached
    50,000-item fetch took 1.06 s there against 0.80 s from another process)."""

    @classmethod
    def started(cls, token: str = APIFY_TOKEN) -> ApifyElsewhere:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # its own process: no line per request here either
        return super().started(token)

    def address(self) -> str:
        return self.url


class StandIns(BaseManager):
    """Runs stand-ins in a spawned process and hands back proxies to them."""


StandIns.register("apify", ApifyElsewhere.started, exposed=("address", "add_dataset", "add_run", "stop"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=10_000)
    parser.add_argument("--replays", type=float, default=0.05, help="share of webhooks that replay an earlier one")
    parser.add_argument(
        "--latency-webhooks", type=int, default=10_000, help="webhooks pushed while the cluster fetches and saves"
    )
    parser.add_argument("--items", type=int, default=50_000, help="items in the Apify dataset")
    parser.add_argument("--senders", type=int, default=2, help="processes posting webhooks at once (phase 1)")
    parser.add_argument("--rounds", type=int, default=3, help="captures and CSV imports, in turn")
    parser.add_argument("--pg-url", help="run on this PostgreSQL database (dropped and made again) instead of SQLite")
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request of the stand-in
    scratch = Path(tempfile.mkdtemp(prefix="leadflow-bench-capture-"))
    database = args.pg_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    if args.pg_url:
        postgres_recreate(args.pg_url)
    os.environ.update(
        worker_environment(
            database, MEDIA_ROOT=str(scratch / "media"), HTTP_ALLOW_PRIVATE_HOSTS="localhost", HTTP_RATE_PER_HOST="0"
        )
    )
    stand_ins = StandIns(ctx=multiprocessing.get_context("spawn"))
    stand_ins.start()
    graph, apify = MetaGraphStandIn.started(), stand_ins.apify()
    os.environ.update({"APIFY_BASE_URL": apify.address(), "APIFY_TOKEN": APIFY_TOKEN})
    try:
        return run(args, graph, apify)
    finally:
        graph.stop()
        apify.stop()
        stand_ins.shutdown()
        if args.pg_url:
            postgres_drop(args.pg_url)


def webhooks_build(count: int, replays: float, *, secret: str, first_id: int) -> list[tuple[bytes, str]]:
    """Signed notification bodies, one lead each; a share of them are byte-for-byte replays of earlier ones."""
    rng = random.Random(first_id)
    bodies: list[tuple[bytes, str]] = []
    for number in range(count):
        if bodies and rng.random() < replays:
            bodies.append(rng.choice(bodies))
            continue
        body = json.dumps(meta_notification(str(first_id + number))).encode()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        bodies.append((body, signature))
    return bodies


def push(webhooks: list[tuple[bytes, str]]) -> int:
    """Post the webhooks one after another through the test client, as one web worker takes them; how many were
    accepted."""
    from django.test import Client

    client, accepted = Client(), 0
    for body, signature in webhooks:
        signed = {"X-Hub-Signature-256": signature}
        answer = client.post("/hooks/meta/leadgen/", data=body, content_type="application/json", headers=signed)
        accepted += answer.status_code == 200
    return accepted


def push_timed(webhooks: list[tuple[bytes, str]], senders: int) -> tuple[int, float]:
    """Post the webhooks from `senders` processes at once (Meta sends a page's notifications in parallel, and a
    deployment serves them with a web worker per core), each its share in turn; how many were accepted, and in how
    long. The processes are forked with no database connection open, and each opens its own."""
    from django.db import connections

    started = time.perf_counter()
    if senders == 1:
        return push(webhooks), time.perf_counter() - started
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(senders) as pool:
        accepted = sum(pool.map(push, [webhooks[first::senders] for first in range(senders)]))
    return accepted, time.perf_counter() - started


def cluster_start() -> subprocess.Popen:
    """The job cluster in its own processes, as in production (the database broker), on the bench database."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=os.environ.copy(), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=open(os.environ.get("BENCH_CLUSTER_LOG", os.devnull), "w"),
    )  # fmt: skip


def cluster_stop(cluster: subprocess.Popen) -> None:
    """SIGTERM to the cluster's sentinel, as its documentation says; its whole process group if it lingers."""
    cluster.send_signal(signal.SIGTERM)
    try:
        cluster.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(10)


def csv_reference(apify: ApifyElsewhere, settings_for, count: int, start: int) -> float:
    """As many places of the same shape (others, so none is a duplicate), as one CSV file imported the way a
    person's upload is: the rate capture is compared with. Rows per second."""
    from crm.importing.jobs import import_job_for_table, import_job_run
    from scraping.sources import apify as apify_source

    apify.add_dataset("reference", SyntheticPlaces(count, start=start, distinct_phones=True))
    fetched = apify_source.fetch(settings_for, {"actor": "compass/crawler-google-places", "dataset": "reference"}, {})
    path = Path(tempfile.mkdtemp(prefix="leadflow-bench-csv-")) / "places.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(fetched.headers)
        writer.writerows(fetched.rows)
    started = time.perf_counter()
    job = import_job_for_table(
        path=path, original_name="places.csv", columns=fetched.mapping, source="csv", region="GB"
    )
    while import_job_run(job.pk, seconds=3600) == "continues in a new task":
        pass
    job.refresh_from_db()
    return job.rows_read / (time.perf_counter() - started)


def apify_rounds(apify: ApifyElsewhere, items: int, rounds: int) -> tuple[list[float], list[float], str]:
    """Capture an Apify dataset by a campaign run, then import a CSV file of as many other places, `rounds` times
    in turn (this machine's speed wanders by a tenth or more from one minute to the next): items per second of
    each capture, rows per second of each import, and what the last capture did."""
    from scraping.models import Campaign, Source
    from scraping.runs import scrape_run_execute, scrape_run_start
    from scraping.sources import apify as apify_source
    from scraping.sources.base import SourceSettings

    campaign = Campaign.objects.create(
        name="Places (bench)", source=Source.objects.create(kind="apify", name="Apify (bench)"),
        target={"actor": "compass/crawler-google-places", "region": "GB"},
    )  # fmt: skip
    settings_for = SourceSettings(kind="apify", base_url=apify.address(), credentials={"token": APIFY_TOKEN})
    captures, imports, summary = [], [], ""
    for round_ in range(rounds):
        dataset = f"places-{round_}"
        apify.add_dataset(dataset, SyntheticPlaces(items, start=2 * round_ * items, distinct_phones=True))
        apify.add_run("compass/crawler-google-places", f"bench-run-{round_}", dataset_id=dataset)
        # The fetch alone (no database), to tell the source's share of the time from the import's. It also has the
        # stand-in render its pages: Apify serves stored items, so the capture then times our side only.
        started = time.perf_counter()
        fetched = sum(1 for _row in apify_source.fetch(settings_for, dict(campaign.target), {}).rows)
        fetch_seconds = time.perf_counter() - started
        started = time.perf_counter()
        capture = scrape_run_start(campaign=campaign, actor=None, queue=False)
        scrape_run_execute(capture.pk)
        captures.append(items / (time.perf_counter() - started))
        capture.refresh_from_db()
        summary = (
            f"{capture.rows_fetched:,} items, {capture.leads_created:,} new leads, {capture.leads_rejected:,} "
            f"rejected; the fetch alone: {fetched:,} items in {fetch_seconds:.1f} s"
        )
        imports.append(csv_reference(apify, settings_for, items, start=(2 * round_ + 1) * items))
    return captures, imports, summary


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def run(args, graph: MetaGraphStandIn, apify: ApifyElsewhere) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django_q.models import OrmQ

    from crm.models import User
    from scraping.models import AdDelivery, Source

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user(email="rep@bench.example", password="bench-only-password")
    graph.answers_every_lead()

    def meta_source(name: str, secret: str) -> Source:
        credentials = {"app_secret": secret, "verify_token": "bench", "page_access_token": "EAAbench"}
        return Source.objects.create(
            kind=Source.Kind.META, name=name, credentials=json.dumps(credentials), base_url=graph.base_url, owner=owner
        )

    # 1. How fast the endpoint takes webhooks: its own work only (the tasks they queue wait for no cluster).
    meta_source("Meta (acceptance)", APP_SECRET)
    webhooks = webhooks_build(args.webhooks, args.replays, secret=APP_SECRET, first_id=FIRST_LEAD_ID)
    one_sender = args.webhooks // 10
    # A tenth from one sender alone (what one web worker takes), the rest from several at once.
    first_accepted, one_sender_seconds = push_timed(webhooks[:one_sender], 1)
    accepted, webhook_seconds = push_timed(webhooks[one_sender:], args.senders)
    accepted += first_accepted
    kept = AdDelivery.objects.count()
    OrmQ.objects.all().delete()  # those deliveries stay received: phase 2 measures its own leads only

    # 2. Webhook to saved lead with a real cluster running beside the web process, as in production.
    second_secret = APP_SECRET + "-2"
    source = meta_source("Meta (latency)", second_secret)
    timed = webhooks_build(args.latency_webhooks, args.replays, secret=second_secret, first_id=2 * FIRST_LEAD_ID)
    cluster = cluster_start()
    try:
        time.sleep(3)  # the cluster's workers up, as they are in production before a webhook comes
        timed_accepted, timed_seconds = push_timed(timed, 1)
        deliveries = AdDelivery.objects.filter(source=source)
        deadline = time.monotonic() + float(os.environ.get("BENCH_DEADLINE", 600))
        while deliveries.filter(status=AdDelivery.Status.RECEIVED).exists() and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        cluster_stop(cluster)
    latencies = [
        (saved - received).total_seconds()
        for received, saved in deliveries.filter(status=AdDelivery.Status.SAVED).values_list("received_at", "saved_at")
    ]

    captures, imports, capture_summary = apify_rounds(apify, args.items, args.rounds)

    print(f"database: {'PostgreSQL' if args.pg_url else 'SQLite'}; job cluster of {os.environ.get('Q_WORKERS', '2')}")
    together = len(webhooks) - one_sender
    print(
        f"webhooks: {accepted:,} of {len(webhooks):,} accepted; {args.senders} senders at once: "
        f"{together:,} in {webhook_seconds:.1f} s = {together / webhook_seconds:,.0f} webhooks/s "
        f"(one sender alone, the first {one_sender:,}: {one_sender / one_sender_seconds:,.0f}/s); "
        f"{kept:,} deliveries kept ({len(webhooks) - kept:,} replays counted once)"
    )
    print(
        f"webhook to saved lead, cluster running: {timed_accepted:,} webhooks at "
        f"{timed_accepted / timed_seconds:,.0f}/s, "
        f"{len(latencies):,} leads saved; median {statistics.median(latencies):.2f} s, "
        f"p95 {percentile(latencies, 0.95):.2f} s"
    )
    rates = ", ".join(f"{capture:,.0f}/{rows:,.0f}" for capture, rows in zip(captures, imports, strict=True))
    print(
        f"Apify: {args.items:,} items captured by a campaign run, then as many CSV rows imported, {args.rounds} times "
        f"in turn (items/s / rows/s: {rates}); median {statistics.median(captures):,.0f} items/s against "
        f"{statistics.median(imports):,.0f} rows/s. Last capture: {capture_summary}"
    )
    return 0 if accepted == len(webhooks) and len(latencies) == deliveries.count() else 1


if __name__ == "__main__":
    raise SystemExit(main())
