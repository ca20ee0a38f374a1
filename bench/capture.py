"""Capture throughput. 10,000 signed Meta leadgen notifications (5% of them replays of earlier ones) go through
Django's test client into /hooks/meta/leadgen/ while a real job cluster (`manage.py qcluster`, its own processes)
runs the tasks they queue: each fetches its leads from a local Graph API stand-in (tests/fakes/meta_graph_server) and
saves them through the import's pipeline. Then a 50,000-item Apify dataset (tests/fakes/apify_server) is captured by
a campaign run.

    .venv/bin/python bench/capture.py [--webhooks 10000] [--items 50000] [--pg-url postgres://postgres@127.0.0.1:5432/leadflow_bench_capture]

Prints webhooks accepted per second, the time from webhook to saved lead (median and p95), and Apify items per
second. Targets on a 2-core machine: 200 webhooks a second, a median under 2 s, items at least as fast as the CSV
import's rows.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import logging
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch_databases import postgres_drop, postgres_recreate  # noqa: E402 (a sibling of this script)

from tests.fakes.apify_server import TOKEN as APIFY_TOKEN  # noqa: E402
from tests.fakes.apify_server import ApifyStandIn, SyntheticPlaces  # noqa: E402
from tests.fakes.meta_graph_server import MetaGraphStandIn, meta_notification  # noqa: E402

APP_SECRET = "bench-meta-app-secret"
FIRST_LEAD_ID = 900_000_000_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=10_000)
    parser.add_argument("--replays", type=float, default=0.05, help="share of webhooks that replay an earlier one")
    parser.add_argument("--items", type=int, default=50_000, help="items in the Apify dataset")
    parser.add_argument("--pg-url", help="run on this PostgreSQL database (dropped and made again) instead of SQLite")
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request of the stand-in
    scratch = Path(tempfile.mkdtemp(prefix="leadflow-bench-capture-"))
    database = args.pg_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    if args.pg_url:
        postgres_recreate(args.pg_url)
    os.environ.update(
        {
            "DATABASE_URL": database,
            "DJANGO_SETTINGS_MODULE": "leadflow.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-never-used-to-sign-anything-real",
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
            "HTTP_ALLOW_PRIVATE_HOSTS": "localhost",
            "HTTP_RATE_PER_HOST": "0",
        }
    )
    os.environ["MEDIA_ROOT"] = str(scratch / "media")
    graph, apify = MetaGraphStandIn.started(), ApifyStandIn.started()
    os.environ.update({"APIFY_BASE_URL": apify.url, "APIFY_TOKEN": APIFY_TOKEN})
    try:
        return run(args, graph, apify)
    finally:
        graph.stop()
        apify.stop()
        if args.pg_url:
            postgres_drop(args.pg_url)


def webhooks_build(count: int, replays: float) -> list[tuple[bytes, str]]:
    """Signed notification bodies, one lead each; a share of them are byte-for-byte replays of earlier ones."""
    rng = random.Random(11)
    bodies: list[tuple[bytes, str]] = []
    for number in range(count):
        if bodies and rng.random() < replays:
            bodies.append(rng.choice(bodies))
            continue
        body = json.dumps(meta_notification(str(FIRST_LEAD_ID + number))).encode()
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        bodies.append((body, signature))
    return bodies


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


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def run(args, graph: MetaGraphStandIn, apify: ApifyStandIn) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from crm.models import User
    from scraping.models import AdDelivery, Campaign, Source
    from scraping.runs import scrape_run_execute, scrape_run_start

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user(email="rep@bench.example", password="bench-only-password")
    credentials = {"app_secret": APP_SECRET, "verify_token": "bench", "page_access_token": "EAAbench"}
    source = Source.objects.create(
        kind=Source.Kind.META, name="Meta (bench)", credentials=json.dumps(credentials), base_url=graph.base_url,
        owner=owner,
    )  # fmt: skip
    graph.answers_every_lead()
    webhooks = webhooks_build(args.webhooks, args.replays)
    client = Client()
    cluster = cluster_start()
    try:
        accepted, started = 0, time.perf_counter()
        for body, signature in webhooks:
            signed = {"X-Hub-Signature-256": signature}
            answer = client.post("/hooks/meta/leadgen/", data=body, content_type="application/json", headers=signed)
            accepted += answer.status_code == 200
        webhook_seconds = time.perf_counter() - started
        deliveries = AdDelivery.objects.filter(source=source)
        deadline = time.monotonic() + float(os.environ.get("BENCH_DEADLINE", 600))
        while deliveries.filter(status=AdDelivery.Status.RECEIVED).exists() and time.monotonic() < deadline:
            time.sleep(0.5)
            if os.environ.get("BENCH_VERBOSE"):
                print(dict(Counter(deliveries.values_list("status", flat=True))), flush=True)
        drained_seconds = time.perf_counter() - started
    finally:
        cluster_stop(cluster)
    latencies = [
        (saved - received).total_seconds()
        for received, saved in deliveries.filter(status=AdDelivery.Status.SAVED).values_list("received_at", "saved_at")
    ]

    apify.add_dataset("places", SyntheticPlaces(args.items))
    apify.add_run("compass/crawler-google-places", "bench-run", dataset_id="places")
    campaign = Campaign.objects.create(
        name="Places (bench)", source=Source.objects.create(kind="apify", name="Apify (bench)"),
        target={"actor": "compass/crawler-google-places", "region": "GB"},
    )  # fmt: skip
    started = time.perf_counter()
    capture = scrape_run_start(campaign=campaign, actor=None, queue=False)
    scrape_run_execute(capture.pk)
    capture_seconds = time.perf_counter() - started
    capture.refresh_from_db()

    print(f"database: {'PostgreSQL' if args.pg_url else 'SQLite'}; job cluster of {os.environ.get('Q_WORKERS', '2')}")
    print(
        f"webhooks: {accepted:,} of {len(webhooks):,} accepted in {webhook_seconds:.1f} s = "
        f"{accepted / webhook_seconds:,.0f} webhooks/s; {deliveries.count():,} deliveries kept "
        f"({len(webhooks) - deliveries.count():,} replays counted once)"
    )
    print(
        f"webhook to saved lead: {len(latencies):,} leads, median {statistics.median(latencies):.2f} s, "
        f"p95 {percentile(latencies, 0.95):.2f} s (all saved {drained_seconds:.1f} s after the first webhook)"
    )
    print(
        f"Apify: {capture.rows_fetched:,} items captured ({capture.leads_created:,} new leads, "
        f"{capture.leads_rejected:,} rejected) in {capture_seconds:.1f} s = "
        f"{capture.rows_fetched / capture_seconds:,.0f} items/s"
    )
    return 0 if accepted == len(webhooks) and len(latencies) == deliveries.count() else 1


if __name__ == "__main__":
    raise SystemExit(main())
