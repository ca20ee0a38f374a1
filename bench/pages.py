"""Server time of the busiest pages on a large CRM, on SQLite and PostgreSQL.

    .venv/bin/python bench/pages.py [--db sqlite|postgres|both] [--leads 50000] [--repeat 30]

For each database it builds a fresh one (SQLite: a temporary file; PostgreSQL: the `leadflow_bench`
database, dropped and created again), migrates it, and seeds N leads with `bench/crm_world.py` (companies, owners,
every stage, tags, lists, activities, tasks, and one lead with a long history). Seeding is not measured.
It then times requests through Django's test client, in-process, so the figures are the server's own time
(middleware, views, queries, templates) without a network or a browser. Each page is opened as a manager, who sees every
lead, and as a rep, who sees their own and unassigned ones:

    leads table  /leads/                       search  /leads/?q=<a last name that exists>
    filter       /leads/?stage=<id>&owner=<id>  lead    /leads/<pk>/           board  /pipeline/

It prints the median and 95th percentile of `--repeat` timed requests per page (after a few warm-up
ones), the number of queries each makes, and flags every p95 over the 100 ms target. Each database runs
in its own subprocess so that settings (read from the environment) are fresh. After seeding, the database
is analysed by Leadflow's daily maintenance job (`leadflow.maintenance.database_optimize`), as it would
have been on a live install (`--no-maintenance` shows the figures without planner statistics), and the
collector is frozen as `leadflow/wsgi.py` does at start-up. `--show-queries` prints
each page's slowest queries; `--keep` leaves the bench databases behind for EXPLAIN;
`--db postgres --reuse` times a PostgreSQL database kept that way again, without seeding it anew.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from crm_world import seed, world_find
from scratch_databases import worker_figures

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 100.0
WARM_UP = 3
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/leadflow_bench"
PAGES = ["leads table", "search", "filter", "lead page", "board"]
PERSONAS = ["manager", "rep"]


# ---------------------------------------------------------------------------------------------------
# The parent: prepares each database, runs one worker per database, prints the summary.
# ---------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--leads", type=int, default=50_000, help="how many leads to seed (default 50000)")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL database to drop, create and use")
    parser.add_argument("--show-queries", action="store_true", help="print each page's slowest queries")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="time the PostgreSQL database at --pg-url as a --keep run left it"
    )
    parser.add_argument("--no-maintenance", action="store_true", help="skip the daily statistics job after seeding")
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    if args.reuse and args.db != "postgres":
        parser.error("--reuse times a kept PostgreSQL database: add --db postgres")

    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results: dict[str, list[dict]] = {}
    for database in databases:
        print(f"\n== {database}: {args.leads:,} leads, {args.repeat} timed requests per page ==", flush=True)
        results[database] = run_worker(database, args)
    print_summary(results, args)
    return 0


def run_worker(database: str, args: argparse.Namespace) -> list[dict]:
    """Run the seeding and timing for one database in a fresh interpreter, and return its figures."""
    options = ["--leads", str(args.leads), "--repeat", str(args.repeat)]
    options += ["--show-queries"] if args.show_queries else []
    options += ["--no-maintenance"] if args.no_maintenance else []
    options += ["--reuse"] if args.reuse else []
    return worker_figures(__file__, database, options, pg_url=args.pg_url, keep=args.keep, fresh=not args.reuse)


def print_summary(results: dict[str, list[dict]], args: argparse.Namespace) -> None:
    databases = list(results)
    setup = f"{args.leads:,} leads, {args.repeat} requests" + (", no maintenance job" if args.no_maintenance else "")
    print(f"\n== Server time per request, ms ({setup}; target p95 <= 100) ==")
    header = f"{'page':<12} {'as':<8}" + "".join(f" | {db:>8} median {'p95':>7} {'q':>3}" for db in databases)
    print(header)
    print("-" * len(header))
    over = []
    for page in PAGES:
        for persona in PERSONAS:
            line = f"{page:<12} {persona:<8}"
            for database in databases:
                row = next(r for r in results[database] if r["page"] == page and r["persona"] == persona)
                flag = "!" if row["p95"] > TARGET_MS else " "
                line += f" | {'':>8} {row['median']:6.1f} {row['p95']:7.1f}{flag}{row['queries']:3d}"
                if row["p95"] > TARGET_MS:
                    over.append(f"{database} {page} as {persona}: p95 {row['p95']:.1f} ms ({row['path']})")
            print(line)
    print("(q = queries per request; ! = p95 over the 100 ms target)")
    if over:
        print("\nOver the 100 ms target:")
        for item in over:
            print(f"  {item}")
    else:
        print("\nEvery page is within the 100 ms target.")


# ---------------------------------------------------------------------------------------------------
# The worker: runs inside one database's subprocess, with Django set up from the environment.
# ---------------------------------------------------------------------------------------------------


def worker(args: argparse.Namespace) -> int:
    def seeded() -> tuple[dict, str]:
        if args.reuse:
            return world_reused(), "nothing (reused)"
        return seed(args.leads, maintenance=not args.no_maintenance), f"{args.leads:,} leads"

    return pages_measured(args.out, seeded, lambda world: measure(world, args.repeat, args.show_queries))


def world_reused() -> dict:
    """The bench world of a database seeded by an earlier run, or exit saying there is none."""
    world = world_find()
    if world is None:
        raise SystemExit("--reuse: this database was not seeded by a bench (run once with --keep first)")
    return world


def pages_measured(out: str, seeded: Callable[[], tuple[dict, str]], measured: Callable[[dict], list]) -> int:
    """A database subprocess's work: Django set up from the environment, the database migrated and seeded
    (`seeded` gives the ids the pages need and what it made), the pages measured; the rows written to `out`."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    static_root = tempfile.mkdtemp(prefix="leadflow-bench-static-")
    # Production serves hashed static names from a collected manifest; collect one so pages render as there.
    override_settings(STATIC_ROOT=static_root).enable()
    try:
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        world, made = seeded()
        print(f"seeded {made} in {time.perf_counter() - started:.1f} s", flush=True)
        # Other work on the machine shows up in the figures; the load average says how much there was.
        print("load average before timing: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()), flush=True)
        # As leadflow/wsgi.py does once the application is loaded.
        gc.freeze()
        rows = measured(world)
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
    Path(out).write_text(json.dumps(rows))
    return 0


def measure(world: dict, repeat: int, show_queries: bool) -> list[dict]:
    """Time every page for every persona, printing each result as it comes."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from crm.models import User

    rep_id = world["users"]["rep"]
    paths = {
        "leads table": "/leads/",
        "search": f"/leads/?q={world['search']}",
        "filter": f"/leads/?stage={world['stage']}&owner={rep_id}",
        "lead page": f"/leads/{world['page_lead']}/",
        "board": "/pipeline/",
    }
    rows = []
    for persona in PERSONAS:
        client = Client()
        client.force_login(User.objects.get(pk=world["users"][persona]))
        for page in PAGES:
            path = paths[page]
            for _ in range(WARM_UP):
                response = client.get(path)
                if response.status_code != 200:
                    raise SystemExit(f"{path} as {persona} answered {response.status_code}")
            with CaptureQueriesContext(connection) as captured:
                client.get(path)
            # Read them now: the next request clears the connection's query log.
            queries = captured.captured_queries
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                client.get(path)
                samples.append((time.perf_counter() - started) * 1000)
            row = {
                "page": page,
                "persona": persona,
                "path": path,
                "median": statistics.median(samples),
                "p95": percentile(samples, 95),
                "queries": len(queries),
            }
            rows.append(row)
            flag = "  OVER TARGET" if row["p95"] > TARGET_MS else ""
            print(
                f"{connection.vendor:<10} {persona:<8} {page:<12} median {row['median']:7.1f} ms"
                f"  p95 {row['p95']:7.1f} ms  {row['queries']:3d} queries  {path}{flag}",
                flush=True,
            )
            if show_queries:
                for query in sorted(queries, key=lambda q: -float(q["time"]))[:5]:
                    print(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:400]}", flush=True)
    return rows


def percentile(samples: list[float], percent: float) -> float:
    """The nearest-rank percentile: the smallest sample with at least `percent`% of samples at or below it."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[int(rank) - 1]


if __name__ == "__main__":
    sys.exit(main())
