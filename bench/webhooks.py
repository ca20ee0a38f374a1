"""Outgoing webhooks: what publishing adds to creating a lead (no webhook listening, then one listening), and how
many deliveries a second one sweep signs, sends to a local endpoint (tests/fakes/webhook_receiver) and records.

    .venv/bin/python bench/webhooks.py [--leads 500] [--pg-url postgres://postgres@127.0.0.1:5432/leadflow_bench_hooks]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch_databases import postgres_drop, postgres_recreate, worker_environment  # noqa: E402 (a sibling of this script)

from tests.fakes.webhook_receiver import WebhookReceiver  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=500)
    parser.add_argument("--pg-url", help="run on this PostgreSQL database (dropped and made again) instead of SQLite")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="leadflow-bench-hooks-"))
    database = args.pg_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    if args.pg_url:
        postgres_recreate(args.pg_url)
    receiver = WebhookReceiver().start()
    os.environ.update(worker_environment(database, HTTP_ALLOW_PRIVATE_HOSTS="localhost", HTTP_RATE_PER_HOST="0"))
    try:
        return run(args, receiver)
    finally:
        receiver.stop()
        if args.pg_url:
            postgres_drop(args.pg_url)


def run(args, receiver: WebhookReceiver) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    from crm.models import User
    from crm.services.leads import lead_create
    from crm.services.pipelines import pipeline_default
    from crm.webhooks.deliver import deliveries_send_due
    from crm.webhooks.events import EventType
    from crm.webhooks.subscriptions import subscription_create

    call_command("migrate", verbosity=0)
    actor = User.objects.create_superuser(email="bench@leadflow.test", password="x" * 20)
    stage = pipeline_default().stages.first()

    def create_leads(label: str) -> float:
        started = time.perf_counter()
        for number in range(args.leads):
            lead_create(
                actor=actor, stage=stage, first_name=f"{label} {number}", email=f"{label}{number}@bench.example"
            )
        return (time.perf_counter() - started) / args.leads * 1000

    quiet = create_leads("quiet")
    print(f"lead_create, no webhook listening: {quiet:.2f} ms a lead")
    subscription_create(
        actor=actor, name="bench", url=receiver.url(), events=[EventType.LEAD_CREATED], format="standard"
    )
    heard = create_leads("heard")
    extra = heard - quiet
    print(f"lead_create, one webhook listening: {heard:.2f} ms a lead (+{extra:.2f} ms: event, delivery, queued task)")
    started = time.perf_counter()
    outcome = deliveries_send_due(seconds=3600)
    seconds = time.perf_counter() - started
    received = len(receiver.received)
    print(f"sweep: {outcome} in {seconds:.2f} s = {received / seconds:.0f} deliveries/s ({received} received)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
