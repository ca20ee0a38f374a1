"""REST API throughput and server time on a large CRM, on SQLite and PostgreSQL.

    .venv/bin/python bench/api.py [--db sqlite|postgres|both] [--leads 50000] [--repeat 50] [--creates 300]
                                  [--pg-url postgres://...] [--keep] [--sql-seed] [--reuse]

Each database is built, migrated and seeded exactly as bench/pages.py does (its `seed`: leads, companies, owners,
stages, tags, lists, tasks), in a subprocess of its own; on PostgreSQL, `--sql-seed` seeds in SQL (a million leads
in minutes) and `--reuse` times a database `bench/pages.py --keep` or an earlier `--keep` left (the leads created
here stay in it). Requests go through DRF's test client in-process with a
personal token in `Authorization: Bearer`, so the figures are the server's own time (token lookup, throttle,
filters, serialisation, queries) without a network. As a manager (every lead) and a rep (their own and unassigned):

    list    /api/v1/leads/                  search  /api/v1/leads/?q=<a last name that exists>
    filter  /api/v1/leads/?stage=<id>&owner=<id>    next page: the list's second cursor page
    lead    /api/v1/leads/<pk>/

It prints median and p95 per request (target p95 <= 100 ms for the lead list), the queries each makes, list
requests per second, and lead creations per second (POST /api/v1/leads/, one lead per request, and
POST /api/v1/leads/bulk/ with 100 leads per request).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from pages import pages_measured, percentile, seed, seeded_world
from scratch_databases import worker_figures

TARGET_MS = 100.0
WARM_UP = 3
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/leadflow_bench_api"
READS = ["list", "search", "filter", "next page", "lead"]
PERSONAS = ["manager", "rep"]
BULK_SIZE = 100


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--leads", type=int, default=50_000, help="how many leads to seed (default 50000)")
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per read (default 50)")
    parser.add_argument("--creates", type=int, default=300, help="leads created one per request (default 300)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL database to drop, create and use")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases afterwards")
    parser.add_argument("--reuse", action="store_true", help="time the kept PostgreSQL database without reseeding it")
    parser.add_argument("--sql-seed", action="store_true", help="PostgreSQL: seed in SQL (minutes at a million leads)")
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    if (args.reuse or args.sql_seed) and args.db != "postgres":
        parser.error("--reuse and --sql-seed need --db postgres")
    results = {}
    for database in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        print(f"\n== {database}: {args.leads:,} leads ==", flush=True)
        results[database] = run_worker(database, args)
    print_summary(results, args)
    return 0


def run_worker(database: str, args: argparse.Namespace) -> dict:
    options = ["--repeat", str(args.repeat), "--leads", str(args.leads), "--creates", str(args.creates)]
    options += ["--reuse"] if args.reuse else []
    options += ["--sql-seed"] if args.sql_seed else []
    # The throttle runs (its cache reads and writes are part of every request) but never refuses the bench.
    return worker_figures(
        __file__, database, options, pg_url=args.pg_url, keep=args.keep, reuse=args.reuse,
        API_THROTTLE_RATE="1000000/min",
    )  # fmt: skip


def print_summary(results: dict[str, dict], args: argparse.Namespace) -> None:
    databases = list(results)
    print(
        f"\n== API server time per request, ms ({args.leads:,} leads, {args.repeat} requests;"
        " list target p95 <= 100) =="
    )
    header = f"{'read':<10} {'as':<8}" + "".join(f" | {db:>8} median {'p95':>7} {'q':>3}" for db in databases)
    print(header)
    print("-" * len(header))
    over = []
    for read in READS:
        for persona in PERSONAS:
            line = f"{read:<10} {persona:<8}"
            for database in databases:
                row = next(r for r in results[database]["reads"] if r["read"] == read and r["persona"] == persona)
                flag = "!" if row["p95"] > TARGET_MS else " "
                line += f" | {'':>8} {row['median']:6.1f} {row['p95']:7.1f}{flag}{row['queries']:3d}"
                if row["p95"] > TARGET_MS:
                    over.append(f"{database} {read} as {persona}: p95 {row['p95']:.1f} ms ({row['path']})")
            print(line)
    print("(q = queries per request; ! = p95 over 100 ms)")
    print("\n== Throughput ==")
    for database in databases:
        rates = results[database]["rates"]
        print(
            f"{database:<9} list {rates['list_per_s']:7.1f} requests/s   create {rates['create_per_s']:7.1f} leads/s"
            f" (p95 {rates['create_p95_ms']:.1f} ms)   bulk {rates['bulk_per_s']:7.1f} leads/s ({BULK_SIZE} a request)"
        )
    print("\nOver 100 ms:\n  " + "\n  ".join(over) if over else "\nEvery read is within the 100 ms target.")


def worker(args: argparse.Namespace) -> int:
    def seeded() -> tuple[dict, str]:
        if args.reuse:
            return seeded_world(), "nothing new (reused)"
        return seed(args.leads, sql=args.sql_seed), f"{args.leads:,} leads"

    return pages_measured(args.out, seeded, lambda world: measure(world, args.repeat, args.creates))


def _timed(call, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(world: dict, repeat: int, creates: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from crm.models import User
    from leadflow.api.tokens import api_token_create

    clients = {}
    for persona in PERSONAS:
        user = User.objects.get(pk=world["users"][persona])
        clients[persona] = APIClient()
        clients[persona].credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='bench').secret}")
    rep_id = world["users"]["rep"]
    reads = []
    for persona, client in clients.items():
        second_page = client.get("/api/v1/leads/").json()["next"]
        paths = {
            "list": "/api/v1/leads/",
            "search": f"/api/v1/leads/?q={world['search']}",
            "filter": f"/api/v1/leads/?stage={world['stage']}&owner={rep_id}",
            "next page": second_page.split("testserver", 1)[-1],
            "lead": f"/api/v1/leads/{world['page_lead']}/",
        }
        for read in READS:
            path = paths[read]
            for _ in range(WARM_UP):
                response = client.get(path)
                if response.status_code != 200:
                    raise SystemExit(f"{path} as {persona} answered {response.status_code}: {response.content[:300]}")
            with CaptureQueriesContext(connection) as captured:
                client.get(path)
            queries = len(captured.captured_queries)
            samples = _timed(lambda path=path, client=client: client.get(path), repeat)
            row = {
                "read": read, "persona": persona, "path": path, "queries": queries,
                "median": statistics.median(samples), "p95": percentile(samples, 95),
            }  # fmt: skip
            reads.append(row)
            print(
                f"{connection.vendor:<10} {persona:<8} {read:<10} median {row['median']:7.1f} ms"
                f"  p95 {row['p95']:7.1f} ms"
                f"  {queries:3d} queries  {path}",
                flush=True,
            )
    manager = clients["manager"]
    list_ms = sum(_timed(lambda: manager.get("/api/v1/leads/"), repeat))
    counter = iter(range(10**9))

    def create_one() -> None:
        number = next(counter)
        body = {"first_name": "Bench", "last_name": f"Created {number}", "email": f"bench{number}@api-bench.example"}
        response = manager.post("/api/v1/leads/", body, format="json")
        if response.status_code != 201:
            raise SystemExit(f"create answered {response.status_code}: {response.content[:300]}")

    create_samples = _timed(create_one, creates)

    def bulk_once() -> None:
        items = []
        for _ in range(BULK_SIZE):
            number = next(counter)
            items.append({"first_name": "Bulk", "last_name": f"{number}", "email": f"bulk{number}@api-bench.example"})
        response = manager.post("/api/v1/leads/bulk/", {"leads": items}, format="json")
        if response.status_code != 200:
            raise SystemExit(f"bulk answered {response.status_code}: {response.content[:300]}")

    bulk_rounds = max(1, creates // BULK_SIZE)
    bulk_ms = sum(_timed(bulk_once, bulk_rounds))
    rates = {
        "list_per_s": repeat / (list_ms / 1000),
        "create_per_s": creates / (sum(create_samples) / 1000),
        "create_p95_ms": percentile(create_samples, 95),
        "bulk_per_s": bulk_rounds * BULK_SIZE / (bulk_ms / 1000),
    }
    print(f"{connection.vendor:<10} throughput {rates}", flush=True)
    return {"reads": reads, "rates": rates}


if __name__ == "__main__":
    sys.exit(main())
