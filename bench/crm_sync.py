"""The CRM sync against the local HubSpot stand-in (tests/fakes/hubspot_server): leads pushed a second (first push:
all new, batch creates), a rerun (nothing changed: no request beyond the reads), and people pulled a second (all new
to Leadflow, made leads through the services).

    .venv/bin/python bench/crm_sync.py [--leads 500] [--pg-url postgres://postgres@127.0.0.1:5432/leadflow_bench_sync]

The figures are Leadflow's own work: the stand-in answers at once, where HubSpot takes tens of milliseconds a call.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch_databases import postgres_drop, postgres_recreate, worker_environment  # noqa: E402 (a sibling of this script)

from tests.fakes.hubspot_server import TOKEN, HubSpotStandIn  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=500)
    parser.add_argument("--pg-url", help="run on this PostgreSQL database (dropped and made again) instead of SQLite")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    scratch = Path(tempfile.mkdtemp(prefix="leadflow-bench-sync-"))
    database = args.pg_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    if args.pg_url:
        postgres_recreate(args.pg_url)
    stand_in = HubSpotStandIn.started()
    os.environ.update(
        worker_environment(
            database, HUBSPOT_BASE_URL=stand_in.base_url, HUBSPOT_TOKEN=TOKEN, HTTP_ALLOW_PRIVATE_HOSTS="localhost"
        )
    )
    try:
        return run(args, stand_in)
    finally:
        stand_in.stop()
        if args.pg_url:
            postgres_drop(args.pg_url)


def run(args, stand_in: HubSpotStandIn) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    from crm.models import CrmConnection, Lead, User
    from crm.services.pipelines import pipeline_default
    from crm.sync.connections import mapping_default
    from crm.sync.jobs import sync_run_execute, sync_run_start

    call_command("migrate", verbosity=0)
    admin = User.objects.create_superuser("bench@leadflow.test", "x")
    stage = pipeline_default().stages.first()
    Lead.objects.bulk_create(
        Lead(first_name=f"P{n}", last_name="Bench", email=f"p{n}@bench.example", title="CTO", stage=stage, owner=admin)
        for n in range(args.leads)
    )
    connection = CrmConnection(name="bench", kind="hubspot", acting_user=admin)
    connection.mapping, _ = mapping_default(connection)
    connection.save()

    def timed(direction: str) -> tuple[float, object]:
        run_ = sync_run_start(connection=connection, actor=None, direction=direction, enqueue=False)
        started = time.perf_counter()
        sync_run_execute(run_.pk)
        seconds = time.perf_counter() - started
        run_.refresh_from_db()
        return seconds, run_

    for label, direction in (("push, all new", "push"), ("push again, nothing changed", "push")):
        before = len(stand_in.server.log)
        seconds, run_ = timed(direction)
        requests = len(stand_in.server.log) - before
        print(
            f"{label}: {args.leads} leads in {seconds:.2f} s = {args.leads / seconds:.0f} leads/s, "
            f"{run_.created} created, {run_.updated} updated, {requests} requests"
        )
    for n in range(args.leads):
        stand_in.add(email=f"new{n}@crm.example", firstname=f"N{n}", lastname="Pulled", jobtitle="VP")
    connection.refresh_from_db()
    seconds, run_ = timed("pull")
    print(f"pull, all new: {run_.pulled} people in {seconds:.2f} s = {run_.pulled / seconds:.0f} people/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
