"""Importing big CSV files of leads, on SQLite and PostgreSQL: rows per second, total time and peak memory.

    .venv/bin/python bench/import_csv.py [--db sqlite|postgres|both] [--rows 100000,1000000] [--skip-full-db]
                                         [--repeat 3]

It writes Apollo-shaped CSV files of each size (First Name, Last Name, Title, Company, Email, Mobile Phone,
Person Linkedin Url, Website, City, Country, and two columns no lead field takes, Email Status and Apollo
Contact Id). 5% of the rows are people already in the database, written another way (the email in other
letter case or with a +tag, the LinkedIn URL in another form, no email but the LinkedIn URL); 2% are bad:
no identity at all, a broken email as the only identity, a phone that Excel turned into 4.47911E+11 as the
only identity (those three kinds are rejected), and ragged rows with cells past the header or cut short
after the email (those import, with a warning). Companies are shared by many rows, a few by thousands.

For each database and size, a fresh database (SQLite: a temporary file; PostgreSQL: `leadflow_bench_import`,
dropped and created again) is migrated and seeded with the 20,000 leads the duplicates point at, by one
subprocess. A second, fresh subprocess then imports the file through the real pipeline (import_job_create,
import_job_start, import_job_run, as `manage.py import_leads` does), filling empty fields of duplicates,
and reports its time, its CPU time and its peak RSS (getrusage ru_maxrss: Django itself included, and each run's
own), the child process that normalises rows (crm.importing.drafting) added to both: peak memory is the two
peaks summed, which overstates it by the pages the forked child shares with its parent. This machine's speed
moves by a fifth or more from minute to minute with other work on its host, so each 100,000-row file is imported
--repeat times (3 unless told), each time into a fresh copy of the seeded database, and the median run is the one
reported and compared with the targets; every run is printed. The 1,000,000-row file is imported once.
Unless --skip-full-db, the 100,000-row file is also imported into a database seeded with 1,000,000 leads
(the same 20,000 among them), and the slowdown against the 20,000-lead database is printed. Generating
the files and seeding are not timed. Every run checks its counts: imported + updated + skipped + rejected
is the number of rows, the planted bad rows are exactly the rejected ones, every planted duplicate is found,
and the database gained exactly the imported leads. A final table compares the figures with the targets.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from company_words import NAME_NOUNS, NAME_PARTS, NAME_SUFFIXES  # noqa: E402 (siblings of this script)
from scratch_databases import (  # noqa: E402 (siblings of this script)
    postgres_drop,
    postgres_name,
    postgres_recreate,
    postgres_url_for,
    worker_environment,
)

from crm import demo_data as demo  # noqa: E402 (needs ROOT on the path)

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/leadflow_bench_import"
DEFAULT_SIZES = "100000,1000000"
EXISTING_LEADS = 20_000
FULL_DB_LEADS = 1_000_000
FULL_DB_FILE_ROWS = 100_000
# Companies people are drawn from; a row's company index is COMPANIES * random() ** 2, so a few are huge.
COMPANIES = 120_000
DUPLICATE_SHARE = 0.05
BAD_SHARE = 0.02
ON_DUPLICATE = "fill"
ACTOR_EMAIL = "importer@bench.leadflow"
SEED = 20250601

# Targets: seconds for 100,000 rows into the 20,000-lead database, peak MB for 1,000,000 rows, slowdown
# of 100,000 rows into the 1,000,000-lead database against the 20,000-lead one.
TARGET_SECONDS = {"postgres": 20.0, "sqlite": 30.0}
TARGET_PEAK_MB = 500.0
TARGET_SLOWDOWN = 2.0

HEADER = [
    "First Name", "Last Name", "Title", "Company", "Email", "Email Status", "Mobile Phone", "Person Linkedin Url",
    "Website", "City", "Country", "Apollo Contact Id",
]  # fmt: skip
EXPECTED_MAPPING = [
    "first_name", "last_name", "title", "company", "email", "", "phone", "linkedin_url", "website", "city",
    "country", "",
]  # fmt: skip
EMAIL_COLUMN = HEADER.index("Email")

# fmt: off
US_AREA_CODES = ["212", "415", "646", "312", "617", "206", "303", "512", "213", "305", "404", "702", "615", "919"]
FREE_MAIL = ["gmail.com", "yahoo.com", "outlook.com"]
EMAIL_STATUSES = ["Verified", "Verified", "Verified", "Guessed", "Unavailable"]
# fmt: on
FIRST_NAMES = [name for pool in demo.FIRST_NAMES.values() for name in pool]
LAST_NAMES = [name for pool in demo.LAST_NAMES.values() for name in pool]
TITLES = [title for title, _, _ in demo.TITLES]
CITIES = list(demo.CITIES.values())
# People numbers: the seeded ones count from 0, the file's new people from here, so keys never collide.
NEW_PEOPLE_FROM = 10_000_000


# ---------------------------------------------------------------------------------------------------
# People and companies: the same numbers give the same people in the parent (files) and the workers (seeding).
# ---------------------------------------------------------------------------------------------------


@dataclass
class Person:
    number: int
    first: str
    last: str
    title: str
    company: int | None
    email: str  # canonical form, "" when unknown
    slug: str  # LinkedIn slug, "" when unknown
    phone: str  # as Apollo writes it, "" when unknown
    city: int


def company_name(index: int) -> str:
    # A multiplicative hash spreads neighbouring indexes over the name parts; names repeat, domains never do.
    mixed = index * 2654435761 % 2**32
    first = NAME_PARTS[mixed % len(NAME_PARTS)]
    second = NAME_PARTS[(mixed // 31) % len(NAME_PARTS)]
    noun = NAME_NOUNS[(mixed // 997) % len(NAME_NOUNS)]
    suffix = NAME_SUFFIXES[(mixed // 21001) % len(NAME_SUFFIXES)]
    return " ".join(word for word in (first, second if second != first else "", noun, suffix) if word)


def company_domain(index: int) -> str:
    return f"{demo.ascii_slug(company_name(index), '')[:30]}{index}.com"


def phone_of(number: int) -> str:
    """A valid number, unique per person, written as Apollo writes it (US, UK or Indian)."""
    # People numbers made dense (the file's new people follow the seeded ones), then one country in ten.
    dense = number if number < NEW_PEOPLE_FROM else number - NEW_PEOPLE_FROM + FULL_DB_LEADS
    country, rest = dense % 10, dense // 10
    if country < 7:
        spread = (rest * 7 + country) * 2654435761 % (8_000_000 * len(US_AREA_CODES))
        area = US_AREA_CODES[spread // 8_000_000]
        exchange, line = 200 + (spread % 8_000_000) // 10_000, spread % 10_000
        return f"+1 {area}-{exchange}-{line:04d}" if country else f"({area}) {exchange}-{line:04d}"
    if country < 9:
        digits = f"{rest * 2 + country - 7:07d}"
        return f"+44 795{digits[0]} {digits[1:]}"
    digits = f"{rest:08d}"
    return f"+91 98{digits[:3]} {digits[3:]}"


def person_make(number: int, rng: random.Random) -> Person:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    company = int(COMPANIES * rng.random() ** 2) if rng.random() < 0.92 else None
    tag = format(number, "x")
    email = ""
    if rng.random() < 0.85:
        local = f"{demo.ascii_slug(first)}.{demo.ascii_slug(last)}.{tag}"
        work = company is not None and rng.random() < 0.9
        if work and rng.random() < 0.01:
            local = "info"  # a shared mailbox: identifies nobody, so the name and company carry the row
        email = f"{local}@{company_domain(company) if work else rng.choice(FREE_MAIL)}"
    slug = f"{demo.ascii_slug(first, '-')}-{demo.ascii_slug(last, '-')}-{tag}" if rng.random() < 0.8 else ""
    return Person(
        number=number,
        first=first,
        last=last,
        title=rng.choice(TITLES) if rng.random() < 0.95 else "",
        company=company,
        email=email,
        slug=slug,
        phone=phone_of(number) if rng.random() < 0.5 else "",
        city=rng.randrange(len(CITIES)) if rng.random() < 0.9 else -1,
    )


def existing_people() -> list[Person]:
    """The leads every database starts with, the ones the file's duplicates point at."""
    rng = random.Random(SEED)
    return [person_make(number, rng) for number in range(EXISTING_LEADS)]


# ---------------------------------------------------------------------------------------------------
# The files: written once per size by the parent, shared by both databases.
# ---------------------------------------------------------------------------------------------------


@dataclass
class FilePlan:
    path: str
    rows: int
    duplicates: int  # rows that are people already in the database
    rejects: int  # rows that must be rejected: the bad ones and people with nothing but a name
    ragged: int  # rows with too many or too few cells, which still import


def apollo_row(person: Person, rng: random.Random) -> list[str]:
    first, last = person.first, person.last
    if rng.random() < 0.03:
        first, last = first.upper(), last.lower()  # the same sheet, typed by someone else
    city = CITIES[person.city] if person.city >= 0 else None
    has_company = person.company is not None
    return [
        first,
        last,
        person.title,
        company_name(person.company) if has_company else "",
        person.email,
        rng.choice(EMAIL_STATUSES) if person.email else "",
        person.phone,
        f"http://www.linkedin.com/in/{person.slug}" if person.slug else "",
        f"http://www.{company_domain(person.company)}" if has_company and rng.random() < 0.85 else "",
        city.name if city else "",
        city.country if city else "",
        f"{rng.getrandbits(96):024x}",
    ]


def duplicate_row(person: Person, rng: random.Random) -> list[str]:
    """An existing lead again, its email and LinkedIn URL written another way; it may fill a phone or a title."""
    row = apollo_row(person, rng)
    local, _, domain = person.email.partition("@")
    style = rng.random()
    if person.email and (style < 0.5 or not person.slug):
        row[EMAIL_COLUMN] = f"{local.title()}@{domain.upper()}"
    elif person.email and style < 0.75:
        row[EMAIL_COLUMN] = f"{local}+apollo@{domain}"
    else:
        row[EMAIL_COLUMN] = ""
        row[HEADER.index("Email Status")] = ""
    if person.slug:
        link = rng.choice(["https://uk.linkedin.com/in/{}/", "linkedin.com/in/{}?trk=public_profile", "{}"])
        slug = person.slug.title() if rng.random() < 0.5 else person.slug
        row[HEADER.index("Person Linkedin Url")] = link.format(slug) if link != "{}" else f"www.linkedin.com/in/{slug}"
    row[HEADER.index("Mobile Phone")] = phone_of(person.number)
    return row


def bad_row(kind: int, person: Person, rng: random.Random) -> list[str]:
    """Kinds 0-2 are rejected (no identity; a broken email alone; a scientific-notation phone alone); 3 is ragged."""
    if kind == 3:
        row = apollo_row(person, rng)
        row[EMAIL_COLUMN] = row[EMAIL_COLUMN] or f"{demo.ascii_slug(person.first)}.{person.number:x}@example.org"
        return [*row, "", "called twice", "no answer"] if rng.random() < 0.5 else row[: EMAIL_COLUMN + 1]
    row = [person.first, person.last, person.title, "", "", "", "", "", "", "", "", ""]
    if kind == 1:
        row[EMAIL_COLUMN] = rng.choice(["{}.{}@@mail.com", "{}.{} at gmail.com", "{}.{}@gmail"]).format(
            demo.ascii_slug(person.first), person.number
        )
    elif kind == 2:
        row[HEADER.index("Mobile Phone")] = f"{rng.randint(100, 999) / 100:.2f}E+11"
    return row


def file_write(path: Path, rows: int, existing: list[Person]) -> FilePlan:
    rng = random.Random(SEED + rows)
    duplicates = round(rows * DUPLICATE_SHARE)
    bad = round(rows * BAD_SHARE)
    # Which row is what: duplicates and bad rows spread through the file, as in a real export.
    kinds = ["dup"] * duplicates + ["bad"] * bad + ["new"] * (rows - duplicates - bad)
    rng.shuffle(kinds)
    targets = [person for person in existing if person.email or person.slug]
    picks = rng.sample(targets, duplicates) if duplicates <= len(targets) else rng.choices(targets, k=duplicates)
    plan = FilePlan(path=str(path), rows=rows, duplicates=duplicates, rejects=0, ragged=0)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for number, kind in enumerate(kinds, start=NEW_PEOPLE_FROM):
            if kind == "dup":
                writer.writerow(duplicate_row(picks.pop(), rng))
                continue
            person = person_make(number, rng)
            if kind == "new":
                # A few people come with nothing but a name (no company, email, phone or LinkedIn): rejected too.
                plan.rejects += not (person.company is not None or person.email or person.phone or person.slug)
                writer.writerow(apollo_row(person, rng))
                continue
            bad_kind = number % 4
            plan.rejects += bad_kind < 3
            plan.ragged += bad_kind == 3
            writer.writerow(bad_row(bad_kind, person, rng))
    return plan


# ---------------------------------------------------------------------------------------------------
# The parent: writes the files, runs a seeding and an importing subprocess per scenario, prints the summary.
# ---------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", default=DEFAULT_SIZES, help=f"file sizes, comma-separated (default {DEFAULT_SIZES})")
    parser.add_argument("--skip-full-db", action="store_true", help="skip importing into a 1,000,000-lead database")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL database to drop, create and use")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder and databases afterwards")
    parser.add_argument(
        "--repeat", type=int, default=3, help="imports of each 100,000-row file, the median reported (default 3)"
    )
    parser.add_argument("--worker", choices=["seed", "import"], help=argparse.SUPPRESS)
    parser.add_argument("--leads", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "seed":
        return worker_seed(args.leads)
    if args.worker == "import":
        return worker_import(Path(args.file), Path(args.out))

    sizes = [int(size) for size in args.rows.split(",")]
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    scratch = Path(tempfile.mkdtemp(prefix="leadflow-bench-import-"))
    try:
        plans = files_write(scratch, sizes, full_db=not args.skip_full_db)
        results = []
        for database in databases:
            scenarios = [(size, EXISTING_LEADS) for size in sizes]
            scenarios += [] if args.skip_full_db else [(FULL_DB_FILE_ROWS, FULL_DB_LEADS)]
            for rows, leads in scenarios:
                results.append(scenario_run(database, plans[rows], leads, scratch, args))
        summary_print(results)
    finally:
        if args.keep:
            print(f"kept: {scratch}", flush=True)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


def files_write(scratch: Path, sizes: list[int], *, full_db: bool) -> dict[int, FilePlan]:
    existing = existing_people()
    plans = {}
    for rows in sorted({*sizes, *([FULL_DB_FILE_ROWS] if full_db else [])}):
        started = time.perf_counter()
        plans[rows] = plan = file_write(scratch / f"apollo-{rows}.csv", rows, existing)
        size_mb = Path(plan.path).stat().st_size / 2**20
        print(
            f"wrote {rows:,} rows ({size_mb:.0f} MB: {plan.duplicates:,} duplicates, {plan.rejects:,} to reject, "
            f"{plan.ragged:,} ragged) in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    return plans


def scenario_run(database: str, plan: FilePlan, leads: int, scratch: Path, args: argparse.Namespace) -> dict:
    """Seed a fresh database in one subprocess, import the file in another (into a fresh copy of the seeded
    database each time, for the 100,000-row files `--repeat` times), check the counts, and report the median run."""
    print(f"\n== {database}: {plan.rows:,} rows into {leads:,} leads ==", flush=True)
    env = database_fresh(database, scratch, args.pg_url)
    subprocess.run([sys.executable, __file__, "--worker", "seed", "--leads", str(leads)], env=env, cwd=ROOT, check=True)
    repeats = args.repeat if plan.rows <= FULL_DB_FILE_ROWS else 1
    seeded = database_keep(database, scratch, args.pg_url) if repeats > 1 else None
    results = []
    for run in range(repeats):
        if run:
            database_restore(database, scratch, args.pg_url, seeded)
        results.append(import_run(database, plan, leads, scratch, env))
    result = sorted(results, key=lambda r: r["seconds"])[len(results) // 2]
    if repeats > 1:
        runs = ", ".join(f"{r['seconds']:.1f}" for r in results)
        print(f"         {repeats} runs: {runs} s; the median, {result['seconds']:.1f} s, is reported", flush=True)
    result["problems"] = [problem for r in results for problem in r["problems"]]
    if database == "postgres" and not args.keep:
        postgres_drop(args.pg_url)
    if database == "postgres" and seeded:
        postgres_drop(postgres_url_for(args.pg_url, seeded))
    return result


def import_run(database: str, plan: FilePlan, leads: int, scratch: Path, env: dict[str, str]) -> dict:
    """One import of the file in a fresh subprocess, its figures printed and its counts checked."""
    out = scratch / "result.json"
    command = [sys.executable, __file__, "--worker", "import", "--file", plan.path, "--out", str(out)]
    subprocess.run(command, env=env, cwd=ROOT, check=True)
    result = {**json.loads(out.read_text()), "database": database, "rows": plan.rows, "leads": leads}
    result["problems"] = counts_check(result, plan)
    print(
        f"{database:<8} {plan.rows:>9,} rows into {leads:>9,} leads: {result['seconds']:6.1f} s, "
        f"{plan.rows / result['seconds']:7,.0f} rows/s, peak {result['peak_mb']:5.0f} MB "
        f"(Django loaded: {result['start_mb']:.0f} MB), CPU {result['cpu_seconds']:.1f} s "
        f"+ normalising child {result['child_cpu_seconds']:.1f} s"
        + (f" + database server {result['server_cpu_seconds']:.1f} s, " if result["server_cpu_seconds"] else ", ")
        + f"load average {result['load']:.2f} before, {result['load_after']:.2f} after",
        flush=True,
    )
    print(
        f"         imported {result['imported']:,}, updated {result['updated']:,}, skipped {result['skipped']:,}, "
        f"rejected {result['rejected']:,}: " + ("; ".join(result["problems"]) or "counts check out"),
        flush=True,
    )
    return result


def counts_check(result: dict, plan: FilePlan) -> list[str]:
    problems = []
    counted = result["imported"] + result["updated"] + result["skipped"] + result["rejected"]
    if result["status"] != "done":
        problems.append(f"the job ended {result['status']}")
    if counted != plan.rows:
        problems.append(f"COUNTS: imported + updated + skipped + rejected = {counted:,}, not {plan.rows:,}")
    if result["rejected"] != plan.rejects:
        problems.append(f"REJECTED {result['rejected']:,}, planted {plan.rejects:,}")
    if result["updated"] + result["skipped"] < plan.duplicates:
        problems.append(f"DUPLICATES found {result['updated'] + result['skipped']:,}, planted {plan.duplicates:,}")
    if result["leads_added"] != result["imported"]:
        problems.append(f"LEADS the database gained {result['leads_added']:,}, imported {result['imported']:,}")
    if result["mapping"] != EXPECTED_MAPPING:
        problems.append(f"MAPPING suggested {result['mapping']}")
    return problems


def database_fresh(database: str, scratch: Path, pg_url: str) -> dict[str, str]:
    """An empty database for one scenario, and the environment its subprocesses run with."""
    if database == "sqlite":
        for old in scratch.glob("bench.sqlite3*"):
            old.unlink()
        url = f"sqlite:///{scratch / 'bench.sqlite3'}"
    else:
        url = pg_url
        postgres_recreate(url)
    return worker_environment(url, MEDIA_ROOT=str(scratch / "media"))


def database_keep(database: str, scratch: Path, pg_url: str) -> str:
    """Keep a copy of the seeded database to import into again; returns its name."""
    if database == "sqlite":
        for suffix in ("", "-wal"):  # what the seeding process may have left in its write-ahead log too
            if (scratch / f"bench.sqlite3{suffix}").exists():
                shutil.copyfile(scratch / f"bench.sqlite3{suffix}", scratch / f"seeded.sqlite3{suffix}")
        return "seeded.sqlite3"
    seeded = f"{postgres_name(pg_url)}_seeded"
    postgres_recreate(postgres_url_for(pg_url, seeded), template=postgres_name(pg_url))
    return seeded


def database_restore(database: str, scratch: Path, pg_url: str, seeded: str) -> None:
    """The bench database as it was seeded, again."""
    if database == "sqlite":
        for old in scratch.glob("bench.sqlite3*"):
            old.unlink()
        for suffix in ("", "-wal"):
            if (scratch / f"{seeded}{suffix}").exists():
                shutil.copyfile(scratch / f"{seeded}{suffix}", scratch / f"bench.sqlite3{suffix}")
    else:
        postgres_recreate(pg_url, template=seeded)


def summary_print(results: list[dict]) -> None:
    databases = list(dict.fromkeys(result["database"] for result in results))
    scenarios = list(dict.fromkeys((result["rows"], result["leads"]) for result in results))
    by_key = {(r["database"], r["rows"], r["leads"]): r for r in results}
    loads = ", ".join(f"{r['load']:.2f}" for r in results)
    print(f"\n== Importing Apollo-shaped CSV files (load average at each start: {loads}) ==")
    header = f"{'file':>10} {'leads in db':>12}" + "".join(
        f" | {db:>8} {'s':>6} {'rows/s':>7} {'peak MB':>7} {'CPU s':>6}" for db in databases
    )
    print(header)
    print("-" * len(header))
    for rows, leads in scenarios:
        line = f"{rows:>10,} {leads:>12,}"
        for database in databases:
            result = by_key.get((database, rows, leads))
            if result:
                flag = "!" if result["problems"] else " "
                speed = rows / result["seconds"]
                line += f" | {'':>8} {result['seconds']:6.1f} {speed:7,.0f} {result['peak_mb']:7.0f}{flag}"
                line += f"{result['cpu_seconds'] + result['child_cpu_seconds']:6.1f}"
        print(line)
    print(
        "(CPU s = the importing process's own CPU time and its normalising child's, the database server's not "
        "included; peak MB = both processes' peaks; ! = the counts did not check out, see the run above)"
    )
    misses = targets_print(databases, by_key)
    print(f"\n{len(misses)} target(s) missed:" if misses else "\nEvery target is met.")
    for miss in misses:
        print(f"  {miss}")


def targets_print(databases: list[str], by_key: dict) -> list[str]:
    """One line per target and database, with its figure; returns the misses."""
    print("\nTargets:")
    misses = []

    def report(label: str, figure: str, met: bool) -> None:
        print(f"  {label:<58} {figure:>10}  {'ok' if met else 'MISSED'}")
        if not met:
            misses.append(f"{label}: {figure}")

    for database in databases:
        small = by_key.get((database, FULL_DB_FILE_ROWS, EXISTING_LEADS))
        if small:
            limit = TARGET_SECONDS[database]
            report(
                f"{database}: 100,000 rows in under {limit:.0f} s",
                f"{small['seconds']:.1f} s",
                small["seconds"] < limit,
            )
        big = by_key.get((database, 1_000_000, EXISTING_LEADS))
        if big:
            report(
                f"{database}: 1,000,000 rows peak memory under {TARGET_PEAK_MB:.0f} MB",
                f"{big['peak_mb']:.0f} MB",
                big["peak_mb"] < TARGET_PEAK_MB,
            )
        full = by_key.get((database, FULL_DB_FILE_ROWS, FULL_DB_LEADS))
        if small and full:
            ratio = full["seconds"] / small["seconds"]
            label = f"{database}: 100,000 rows into 1,000,000 leads at most {TARGET_SLOWDOWN:.0f}x slower"
            report(label, f"{ratio:.2f}x", ratio <= TARGET_SLOWDOWN)
        for result in (r for r in by_key.values() if r["database"] == database and r["problems"]):
            misses.append(
                f"{database}, {result['rows']:,} rows into {result['leads']:,} leads: {'; '.join(result['problems'])}"
            )
    return misses


# ---------------------------------------------------------------------------------------------------
# The workers: each runs in its own subprocess, with Django set up from the environment.
# ---------------------------------------------------------------------------------------------------


def worker_seed(lead_count: int) -> int:
    """Migrate, and seed the existing people and as many more as `lead_count` asks, with one activity each."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from leadflow.maintenance import database_optimize

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    seed(lead_count)
    if connection.vendor == "postgresql":
        # A live server's autovacuum would have vacuumed these freshly inserted tables long ago.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
    # Leadflow's daily job: the planner statistics a live database would have.
    database_optimize()
    print(f"seeded {lead_count:,} leads in {time.perf_counter() - started:.1f} s", flush=True)
    return 0


SEED_BATCH = 50_000


def seed(lead_count: int) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection

    from crm.matching import lead_keys_refresh
    from crm.models import Company, Lead, User
    from crm.normalize import company_key
    from crm.services.pipelines import pipeline_default

    actor = User.objects.create_user(email=ACTOR_EMAIL, first_name="Ivy", last_name="Importer")
    actor.is_superuser = actor.is_staff = True
    actor.save()
    actor.groups.add(Group.objects.get(name="Admin"))
    stage = pipeline_default().stages.first()

    def people() -> Iterator[Person]:
        yield from existing_people()
        rng = random.Random(SEED + 1)
        for number in range(EXISTING_LEADS, lead_count):
            yield person_make(number, rng)

    def companies() -> Iterator[Company]:
        for index in sorted({person.company for person in people() if person.company is not None}):
            name, domain = company_name(index), company_domain(index)
            yield Company(name=name, domain=domain, name_key=company_key(name), website=f"https://{domain}")

    def leads(company_ids: dict[str, int]) -> Iterator[Lead]:
        rng = random.Random(SEED + 2)
        for person in people():
            lead = lead_from_person(person, rng, stage, actor, company_ids)
            lead_keys_refresh(lead)  # the matching keys, as every service that writes a lead keeps them
            yield lead

    rows_insert(Company, companies())
    rows_insert(Lead, leads(dict(Company.objects.values_list("domain", "pk"))))
    with connection.cursor() as cursor:
        # One "created" line on each lead's timeline, as every lead has.
        cursor.execute(
            "INSERT INTO crm_activity (lead_id, kind, summary, data, created_at) "
            "SELECT id, 'created', 'Created', '{}', created_at FROM crm_lead"
        )


def lead_from_person(person: Person, rng: random.Random, stage, actor, company_ids: dict[str, int]):
    """The lead as the database holds it: some existing leads lack the title or phone a file can fill."""
    from django.utils import timezone

    from crm.models import Lead
    from crm.normalize import phone_e164

    created = timezone.now() - timedelta(days=rng.uniform(1, 540))
    city = CITIES[person.city] if person.city >= 0 else None
    return Lead(
        first_name=person.first,
        last_name=person.last,
        title=person.title if rng.random() < 0.6 else "",
        email=person.email,
        phone=phone_e164(person.phone, "US") if person.phone and rng.random() < 0.4 else "",
        linkedin_url=f"https://www.linkedin.com/in/{person.slug}" if person.slug else "",
        company_id=company_ids[company_domain(person.company)] if person.company is not None else None,
        location=city.location if city else "",
        source=rng.choice(demo.SOURCES),
        stage=stage,
        owner=actor if rng.random() < 0.5 else None,
        created_at=created,
    )


def rows_insert(model, objects: Iterable) -> None:
    """Insert many rows fast, a transaction per batch: COPY on PostgreSQL, bulk_create on SQLite."""
    from django.db import transaction

    objects = iter(objects)
    while batch := list(itertools.islice(objects, SEED_BATCH)):
        with transaction.atomic():
            _insert(model, batch)


def _insert(model, batch: list) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        model.objects.bulk_create(batch, batch_size=2000)
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for obj in batch:
            copy.write_row([field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields])


def worker_import(path: Path, out: Path) -> int:
    """Import the file as `manage.py import_leads` does, timed, and write the figures and counts."""
    import resource

    import django

    django.setup()
    from crm.importing.jobs import import_job_create, import_job_run, import_job_start
    from crm.models import ImportJob, Lead, User

    actor = User.objects.get(email=ACTOR_EMAIL)
    leads_before = Lead.objects.count()
    server_before = database_server_cpu()
    before = resource.getrusage(resource.RUSAGE_SELF)
    # Other work on the machine shows up in the figures; the load average says how much there was, and the
    # process's own CPU time is what the import cost it whatever else ran (the database server's excluded).
    load = os.getloadavg()[0]
    started = time.perf_counter()
    job = import_job_create(actor=actor, path=path, original_name=path.name)
    import_job_start(job=job, actor=actor, mapping=job.mapping, on_duplicate=ON_DUPLICATE, queue=False)
    import_job_run(job.pk, seconds=math.inf)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    child = resource.getrusage(resource.RUSAGE_CHILDREN)  # the normalising process, ended and waited for
    server_after = database_server_cpu()
    job = ImportJob.objects.get(pk=job.pk)
    figures = {
        "seconds": seconds,
        "cpu_seconds": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "child_cpu_seconds": child.ru_utime + child.ru_stime,
        "peak_mb": (after.ru_maxrss + child.ru_maxrss) / 1024,
        "start_mb": before.ru_maxrss / 1024,
        "server_cpu_seconds": server_after - server_before if server_before is not None else None,
        "load": load,
        "load_after": os.getloadavg()[0],
        "status": job.status,
        "mapping": job.mapping,
        "imported": job.rows_imported,
        "updated": job.rows_updated,
        "skipped": job.rows_skipped,
        "rejected": job.rows_rejected,
        "leads_added": Lead.objects.count() - leads_before,
    }
    out.write_text(json.dumps(figures))
    return 0


def database_server_cpu() -> float | None:
    """CPU seconds of the PostgreSQL server on this machine so far: its running processes, and those that have
    ended (counted in the postmaster's children's time): every connection the import opened, and the server's
    own background work (WAL writer, autovacuum) it caused."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    clock = os.sysconf("SC_CLK_TCK")
    processes = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, _, rest = stat.read_text().partition(" (")[2].rpartition(")")
        except OSError:
            continue  # ended meanwhile
        if name.startswith(("postgres", "postmaster")):
            fields = rest.split()
            processes[int(stat.parent.name)] = (int(fields[1]), [int(value) for value in fields[11:15]])
    if not processes:
        return None  # a server elsewhere
    total = sum(times[0] + times[1] for _, times in processes.values())
    # The postmaster is the server process whose parent is not one; its children's time holds those ended.
    total += sum(times[2] + times[3] for parent, times in processes.values() if parent not in processes)
    return total / clock


if __name__ == "__main__":
    sys.exit(main())
