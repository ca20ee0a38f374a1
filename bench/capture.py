"""Capture throughput, part 1: Meta lead webhooks. 10,000 signed leadgen notifications (5% of them replays of earlier
ones) go through Django's test client into /hooks/meta/leadgen/ on a scratch database; then the queued fetch's work
(`meta_deliveries_fetch_only`) reads every new lead from a local Graph API stand-in (tests/fakes/meta_graph_server).

    .venv/bin/python bench/capture.py [--webhooks 10000] [--replays 0.05] [--pg-url postgres://postgres@127.0.0.1:5432/leadflow_bench_capture]

Prints webhooks accepted per second and Graph leads fetched per second. Target on a 2-core machine: at least 200
webhooks a second accepted.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch_databases import postgres_drop, postgres_recreate  # noqa: E402 (a sibling of this script)

from tests.fakes.meta_graph_server import MetaGraphStandIn, meta_notification  # noqa: E402

APP_SECRET = "bench-meta-app-secret"
FIRST_LEAD_ID = 900_000_000_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=10_000)
    parser.add_argument("--replays", type=float, default=0.05, help="share of webhooks that replay an earlier one")
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
    graph = MetaGraphStandIn.started()
    try:
        return run(args, graph)
    finally:
        graph.stop()
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


def run(args, graph: MetaGraphStandIn) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django_q.models import OrmQ

    from scraping.ad_tasks import meta_deliveries_fetch_only
    from scraping.models import AdDelivery, Source

    call_command("migrate", verbosity=0)
    credentials = {"app_secret": APP_SECRET, "verify_token": "bench", "page_access_token": "EAAbench"}
    source = Source.objects.create(
        kind=Source.Kind.META, name="Meta (bench)", credentials=json.dumps(credentials), base_url=graph.base_url
    )
    graph.answers_every_lead()
    webhooks = webhooks_build(args.webhooks, args.replays)
    client = Client()

    accepted, started = 0, time.perf_counter()
    for body, signature in webhooks:
        signed = {"X-Hub-Signature-256": signature}
        answer = client.post("/hooks/meta/leadgen/", data=body, content_type="application/json", headers=signed)
        accepted += answer.status_code == 200
    webhook_seconds = time.perf_counter() - started
    deliveries = AdDelivery.objects.filter(source=source).count()

    started = time.perf_counter()
    report = meta_deliveries_fetch_only(source.pk)
    fetch_seconds = time.perf_counter() - started

    print(f"database: {'PostgreSQL' if args.pg_url else 'SQLite'}")
    print(
        f"webhooks: {accepted:,} of {len(webhooks):,} accepted in {webhook_seconds:.1f} s = "
        f"{accepted / webhook_seconds:,.0f} webhooks/s; {deliveries:,} deliveries kept "
        f"({len(webhooks) - deliveries:,} replays counted once); {OrmQ.objects.count():,} fetch tasks queued"
    )
    print(
        f"Graph fetch: {report.fetched:,} leads in {fetch_seconds:.1f} s = {report.fetched / fetch_seconds:,.0f} "
        f"leads/s (retrying {report.retrying}, failed {report.failed}, Graph requests {len(graph.requests()):,})"
    )
    return 0 if accepted == len(webhooks) and report.fetched == deliveries else 1


if __name__ == "__main__":
    raise SystemExit(main())
