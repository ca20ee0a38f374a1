"""The daily duplicate scan (crm.dedup.duplicates_scan) over 100,000 and 1,000,000 leads: seconds, pairs, memory.

    .venv/bin/python bench/dedup_scan.py [--db postgres|sqlite|both] [--leads 100000,1000000] [--pg-url URL]

A fresh database is seeded with the first size as bench/import_csv.py seeds its own (companies shared by many
leads, a few by thousands; first and last names from small pools, so colleagues' names are often alike), and one
lead in a hundred is copied as a second record of the same person (same email, LinkedIn profile, phone and name),
which the scan must pair with the first. A fresh subprocess runs the scan twice: first with no candidates stored
(every pair new), then again (every pair already there: the daily run's usual work). The table then grows to each
next size by copies of those leads made in SQL (emails, LinkedIn profiles and phones made distinct per copy; the
same companies, so each holds proportionally more people, and the planted pairs copied along), and the scan runs
twice again. Seeding and growing are not timed. The scan is linear when seconds per 1,000 leads stay level from
size to size; the ratio is printed. Every run checks that each planted pair was found.
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
    sizes = sorted(int(size) for size in args.leads.split(","))
    if args.worker:
        return worker_scan(sizes, Path(args.out))
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = [result for database in databases for result in database_run(database, sizes, args.pg_url)]
    summary_print(results)
    return 0


def database_run(database: str, sizes: list[int], pg_url: str) -> list[dict]:
    """Seed the first size, then scan, grow and scan again in one subprocess; its figures per size."""
    print(f"\n== {database}: the duplicate scan over {', '.join(f'{size:,}' for size in sizes)} leads ==", flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="leadflow-bench-dedup-"))
    url = f"sqlite:///{scratch / 'bench.sqlite3'}" if database == "sqlite" else pg_url
    if database == "postgres":
        postgres_recreate(url)
    env = worker_environment(url, MEDIA_ROOT=str(scratch / "media"))
    try:
        started = time.perf_counter()
        seed = [sys.executable, str(SEEDER), "--worker", "seed", "--leads", str(sizes[0])]
        subprocess.run(seed, env=env, cwd=ROOT, check=True)
        print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
        out = scratch / "result.json"
        command = [sys.executable, __file__, "--worker", "--leads", ",".join(map(str, sizes)), "--out", str(out)]
        subprocess.run(command, env=env, cwd=ROOT, check=True)
        return [{**result, "database": database} for result in json.loads(out.read_text())]
    finally:
        if database == "postgres":
            postgres_drop(url)
        shutil.rmtree(scratch, ignore_errors=True)


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


def worker_scan(sizes: list[int], out: Path) -> int:
    """Plant the copies, then for each size: grow the table to it, time the scan twice. Writes the figures."""
    import django

    django.setup()
    from crm.models import Lead

    planted = copies_plant()
    seeded = Lead.objects.order_by("-pk").values_list("pk", flat=True).first()
    results = []
    for size in sizes:
        grown = table_grow(seeded, size)
        result = scan_twice()
        # Each planted pair, and its copy in every batch of copies the table grew by.
        result["problems"] = pairs_missed(planted, grown)
        results.append(result)
        print(
            f"{result['leads']:>9,} leads: scan first {result['first']['seconds']:.1f} s "
            f"({result['first']['new']:,} new pairs), again {result['again']['seconds']:.1f} s; "
            + ("; ".join(result["problems"]) or "every planted pair found"),
            flush=True,
        )
    out.write_text(json.dumps(results))
    return 0


def scan_twice() -> dict:
    from crm.dedup import duplicates_scan
    from crm.models import DuplicateCandidate, Lead

    figures: dict = {"leads": Lead.objects.count()}
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
    figures["pairs"] = DuplicateCandidate.objects.count()
    return figures


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


# The keys made distinct in each grown copy, so that a copy is a new person (the planted pairs stay pairs).
DISTINCT_KEYS = ("email", "email_key", "linkedin_url", "linkedin_slug", "phone")


def table_grow(seeded: int, size: int) -> list[int]:
    """Copy the leads up to pk `seeded` (the seed and its planted copies) until the table holds `size`; returns
    the pk offset of each batch of copies made so far (0 for the leads themselves)."""
    from django.db import connection, transaction

    from crm.models import Lead
    from leadflow.maintenance import database_optimize

    quote = connection.ops.quote_name
    fields = [field for field in Lead._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(quote(field.column) for field in fields)
    offsets = [0]
    while (count := Lead.objects.count()) < size:
        suffix = f"-{len(offsets)}"
        values = ", ".join(
            f"CASE WHEN {quote(f.column)} = '' THEN '' ELSE {quote(f.column)} || '{suffix}' END"
            if f.column in DISTINCT_KEYS
            else quote(f.column)
            for f in fields
        )
        first = Lead.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(Lead._meta.db_table)} ({columns}) SELECT {values} FROM "  # noqa: S608 (model names)
                f"{quote(Lead._meta.db_table)} WHERE id <= %s ORDER BY id LIMIT %s",
                [seeded, size - count],
            )
        # The copies keep their order: the lead at pk p in the seed is at pk p + offset in this batch of copies.
        offsets.append(first - Lead.objects.order_by("pk").values_list("pk", flat=True).first())
    database_optimize()  # the planner statistics the daily job keeps
    return offsets


def pairs_missed(planted: dict[int, int], offsets: list[int]) -> list[str]:
    from crm.models import DuplicateCandidate, Lead

    live = set(Lead.objects.values_list("pk", flat=True))
    expected = {
        (original + offset, copy + offset)
        for offset in offsets
        for original, copy in planted.items()
        if original + offset in live and copy + offset in live
    }
    found = set(DuplicateCandidate.objects.values_list("lead_a_id", "lead_b_id"))
    missed = sorted(expected - found)
    return [f"{len(missed):,} of {len(expected):,} planted pairs not found, e.g. {missed[:3]}"] if missed else []


if __name__ == "__main__":
    sys.exit(main())
