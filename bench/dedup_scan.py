"""The daily duplicate scan (crm.dedup.duplicates_scan) over 100,000 and 1,000,000 leads: seconds, pairs, memory.

    .venv/bin/python bench/dedup_scan.py [--db postgres|sqlite|both] [--leads 100000,1000000] [--pg-url URL]

Each size gets a fresh database seeded as bench/import_csv.py seeds its own (companies shared by many leads, a few
by thousands; first and last names from small pools, so colleagues' names are often alike), and one lead in a
hundred copied as a second record of the same person (same email, LinkedIn profile, phone and name), which the
scan must pair with the first. A fresh subprocess then runs the scan twice: first over a table with no candidates
(every pair new), then again (every pair already there: the daily run's usual work). Seeding is not timed. The
scan is linear when seconds per 1,000 leads stay level from size to size; the ratio is printed. Every run checks
that each planted copy was paired with its original.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scratch_databases import postgres_drop, postgres_recreate, worker_environment  # noqa: E402 (a sibling)

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/leadflow_bench_dedup"
DEFAULT_SIZES = "100000,1000000"
COPY_EVERY = 100  # one lead in this many gets a second record
SEEDER = ROOT / "bench" / "import_csv.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="postgres")
    parser.add_argument("--leads", default=DEFAULT_SIZES, help=f"sizes, comma-separated (default {DEFAULT_SIZES})")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL database to drop, create and use")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker_scan(Path(args.out))
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = [scenario_run(db, int(size), args.pg_url) for db in databases for size in args.leads.split(",")]
    summary_print(results)
    return 0


def scenario_run(database: str, leads: int, pg_url: str) -> dict:
    print(f"\n== {database}: the duplicate scan over {leads:,} leads ==", flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="leadflow-bench-dedup-"))
    url = f"sqlite:///{scratch / 'bench.sqlite3'}" if database == "sqlite" else pg_url
    if database == "postgres":
        postgres_recreate(url)
    env = worker_environment(url, MEDIA_ROOT=str(scratch / "media"))
    try:
        started = time.perf_counter()
        seed = [sys.executable, str(SEEDER), "--worker", "seed", "--leads", str(leads)]
        subprocess.run(seed, env=env, cwd=ROOT, check=True)
        print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
        out = scratch / "result.json"
        subprocess.run([sys.executable, __file__, "--worker", "--out", str(out)], env=env, cwd=ROOT, check=True)
        result = {**json.loads(out.read_text()), "database": database}
    finally:
        if database == "postgres":
            postgres_drop(url)
        shutil.rmtree(scratch, ignore_errors=True)
    for run in ("first", "again"):
        print(
            f"{database:<8} {result['leads']:>9,} leads, scan {run:<5}: {result[run]['seconds']:7.1f} s, "
            f"{result[run]['new']:,} new pairs, CPU {result[run]['cpu_seconds']:.1f} s",
            flush=True,
        )
    print(f"         peak {result['peak_mb']:.0f} MB; " + ("; ".join(result["problems"]) or "every copy paired"))
    return result


def summary_print(results: list[dict]) -> None:
    print("\n== The duplicate scan ==")
    print(f"{'database':<9} {'leads':>10} {'pairs':>9} {'first s':>8} {'again s':>8} {'s/1k leads':>10} {'peak MB':>8}")
    for r in results:
        per_thousand = r["again"]["seconds"] / r["leads"] * 1000
        flag = "!" if r["problems"] else ""
        print(
            f"{r['database']:<9} {r['leads']:>10,} {r['pairs']:>9,} {r['first']['seconds']:8.1f} "
            f"{r['again']['seconds']:8.1f} {per_thousand:10.3f} {r['peak_mb']:8.0f}{flag}"
        )
    for database in dict.fromkeys(r["database"] for r in results):
        mine = sorted((r for r in results if r["database"] == database), key=lambda r: r["leads"])
        for small, big in itertools.pairwise(mine):
            growth = big["again"]["seconds"] / small["again"]["seconds"]
            print(
                f"{database}: {big['leads'] / small['leads']:.0f}x the leads took {growth:.1f}x the time "
                f"(linear: {big['leads'] / small['leads']:.0f}x)"
            )
    print("(the machine's other work shows in the seconds; CPU s is the scanning process's own)")


def worker_scan(out: Path) -> int:
    """Plant the copies, then time the scan twice; write the figures."""
    import django

    django.setup()
    from crm.dedup import duplicates_scan
    from crm.models import DuplicateCandidate, Lead

    originals = copies_plant()
    figures = {"leads": Lead.objects.count(), "copies": len(originals)}
    for run in ("first", "again"):
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        new = duplicates_scan()
        after = resource.getrusage(resource.RUSAGE_SELF)
        figures[run] = {
            "seconds": time.perf_counter() - started,
            "cpu_seconds": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
            "new": new,
        }
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    paired = set(DuplicateCandidate.objects.values_list("lead_a_id", "lead_b_id"))
    figures["pairs"] = len(paired)
    missed = [pair for pair in originals.items() if pair not in paired]
    figures["problems"] = [f"{len(missed):,} planted copies not paired, e.g. {missed[:3]}"] if missed else []
    if figures["again"]["new"]:
        figures["problems"].append(f"the second scan found {figures['again']['new']:,} new pairs")
    out.write_text(json.dumps(figures))
    return 0


def copies_plant() -> dict[int, int]:
    """A second record for one lead in COPY_EVERY; returns {original pk: copy pk}."""
    from django.db import transaction

    from crm.models import Lead

    copies = {}
    pks = list(Lead.objects.order_by("pk").values_list("pk", flat=True))[::COPY_EVERY]
    for start in range(0, len(pks), 2000):
        batch = list(Lead.objects.filter(pk__in=pks[start : start + 2000]).order_by("pk"))
        originals = [lead.pk for lead in batch]
        for lead in batch:
            lead.pk = None
        with transaction.atomic():
            made = Lead.objects.bulk_create(batch)
        copies.update(zip(originals, (lead.pk for lead in made), strict=True))
    return copies


if __name__ == "__main__":
    sys.exit(main())
