"""Server time of the busiest pages on a large CRM, on SQLite and PostgreSQL.

    .venv/bin/python bench/pages.py [--db sqlite|postgres|both] [--leads 50000] [--repeat 30]

For each database it builds a fresh one (SQLite: a temporary file; PostgreSQL: the `leadflow_bench`
database, dropped and created again), migrates it, seeds N leads with `bulk_create` (about N/10
companies, owners spread over an admin, a manager and three reps with some unassigned, every stage of
the default pipeline, tags, list memberships, deal values, scores, sources, one "created" activity and
the stage change into its stage per lead, an open task for about a third) and gives one rep-owned lead
a long history (100 activities, 20 notes, 10 tasks). Seeding is not measured. It then times requests
through Django's test client, in-process, so the figures are the server's own time (middleware, views,
queries, templates) without a network or a browser. Each page is opened as a manager, who sees every
lead, and as a rep, who sees their own and unassigned ones:

    leads table  /leads/                       search  /leads/?q=<a last name that exists>
    filter       /leads/?stage=<id>&owner=<id>  lead    /leads/<pk>/           board  /pipeline/
    deep page    /leads/?page=<past the count's cap>&after=<the cursor a Next link gives>
    inbox        /inbox/                       sequences  /sequences/         sequence  /sequences/<pk>/

The inbox and sequences pages read conversations for one lead in twenty (four messages each) and three sequences
with enrollments of one lead in fifteen, seeded after the leads.

It prints the median and 95th percentile of `--repeat` timed requests per page (after a few warm-up
ones), the number of queries each makes, and flags every p95 over the 100 ms target. Each database runs
in its own subprocess so that settings (read from the environment) are fresh. After seeding, the database
is analysed by Leadflow's daily maintenance job (`leadflow.maintenance.database_optimize`), as it would
have been on a live install (`--no-maintenance` shows the figures without planner statistics), and the
collector is frozen as `leadflow/wsgi.py` does at start-up. `--show-queries` prints
each page's slowest queries; `--keep` leaves the bench databases behind for EXPLAIN; `--reuse` times the kept
PostgreSQL database (`--pg-url`) again without seeding it anew: it is migrated (new migrations apply to it), the
ids the pages need are read back from it, and the inbox and sequences data are added the first time.
"""

from __future__ import annotations

import argparse
import gc
import html
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from company_words import NAME_NOUNS, NAME_PARTS, NAME_SUFFIXES
from scratch_databases import worker_figures

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 100.0
WARM_UP = 3
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/leadflow_bench"
PAGES = ["leads table", "search", "filter", "deep page", "lead page", "board", "inbox", "sequences", "sequence"]
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
    parser.add_argument("--no-maintenance", action="store_true", help="skip the daily statistics job after seeding")
    parser.add_argument("--reuse", action="store_true", help="time the kept PostgreSQL database without reseeding it")
    parser.add_argument("--sql-seed", action="store_true", help="PostgreSQL: seed in SQL (minutes at a million leads)")
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    if (args.reuse or args.sql_seed) and args.db != "postgres":
        parser.error("--reuse and --sql-seed need --db postgres")

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
    options += ["--sql-seed"] if args.sql_seed else []
    return worker_figures(__file__, database, options, pg_url=args.pg_url, keep=args.keep, reuse=args.reuse)


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
            world, made = seeded_world(), "nothing new (reused)"
        else:
            world = seed(args.leads, maintenance=not args.no_maintenance, sql=args.sql_seed)
            made = f"{args.leads:,} leads"
        return outreach_seed(world, maintenance=not args.no_maintenance), made

    return pages_measured(args.out, seeded, lambda world: measure(world, args.repeat, args.show_queries))


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


# fmt: off
INDUSTRIES = [
    "Software", "Fintech", "Logistics & Supply Chain", "Healthcare", "Industrial Manufacturing", "Retail",
    "Financial Services", "Media",
]
SIZES = ["11-50", "51-200", "201-500", "501-1000", "1001-5000"]
TAGS = [
    "fintech", "saas", "logistics", "healthcare", "manufacturing", "priority", "event", "referral", "webinar", "dach",
    "q3", "champion",
]
LISTS = [
    "Q3 webinar attendees", "London Sales Summit booth scans", "Fintech decision makers", "DACH expansion targets",
    "Hot accounts - Q4 push", "Re-engage in January", "Partner referrals", "Old",
]
# fmt: on
# Share of leads per stage of the default pipeline, in order (New ... Won, Lost).
STAGE_WEIGHTS = [30, 24, 15, 10, 8, 5, 5, 4]
# (persona, email, first name, last name, role, share of leads owned); the rest are unassigned.
USERS = [
    ("admin", "ada@bench.leadflow", "Ada", "Lovelace", "Admin", 6),
    ("manager", "mia@bench.leadflow", "Mia", "Thompson", "Manager", 10),
    ("rep", "alice@bench.leadflow", "Alice", "Chen", "Rep", 22),
    ("rep2", "bob@bench.leadflow", "Bob", "Okafor", "Rep", 22),
    ("rep3", "carlos@bench.leadflow", "Carlos", "Ruiz", "Rep", 22),
]
UNASSIGNED_SHARE = 18
# Share of leads with an open task (a board card shows the next one).
OPEN_TASK_SHARE = 0.3
BATCH = 2000
# The lead page's lead: a rep's lead with a long history, and a last name the search looks for.
PAGE_LEAD_NAME = ("Megan", "Fraser")


def seed(lead_count: int, *, maintenance: bool = True, sql: bool = False) -> dict:
    """Fill the empty database quickly with bulk inserts (`sql`: the leads by INSERT ... SELECT on PostgreSQL,
    bench/pages_sql_seed.py); returns the ids the measured URLs need."""
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from crm import demo_data as demo
    from crm.models import Activity, Company, Lead, LeadList, ListMembership, Note, StageChange, Tag, Task, User
    from crm.services.pipelines import pipeline_default

    rng = random.Random(20240917)
    now = timezone.now()
    stages = list(pipeline_default().stages.all())
    weights = STAGE_WEIGHTS + [STAGE_WEIGHTS[-1]] * (len(stages) - len(STAGE_WEIGHTS))
    weights = weights[: len(stages)]
    name_pools = list(demo.FIRST_NAMES)
    pool_weights = [60, 20, 10, 5, 5]
    titles = [title for title, _, _ in demo.TITLES]
    title_weights = [weight for _, weight, _ in demo.TITLES]

    with transaction.atomic():
        users = {}
        page_lead = None
        for persona, email, first, last, role, _ in USERS:
            user = User.objects.create_user(email=email, first_name=first, last_name=last)
            if role == "Admin":
                user.is_superuser = user.is_staff = True
                user.save()
            elif role == "Manager":
                user.is_staff = True
                user.save()
            user.groups.add(Group.objects.get(name=role))
            users[persona] = user
        owners = [*users.values(), None]
        owner_weights = [share for *_, share in USERS] + [UNASSIGNED_SHARE]

        tags = Tag.objects.bulk_create([Tag(name=name) for name in TAGS])
        lists = LeadList.objects.bulk_create(
            [LeadList(name=name, folder="Bench", created_by=users["manager"]) for name in LISTS]
        )
        if sql:
            page_lead = _leads_seeded_in_sql(lead_count, users=users, stages=stages, tags=tags, lists=lists, rng=rng)
        companies = []
        company_count = max(lead_count // 10, 1) if not sql else 0
        for start in range(0, company_count, BATCH):
            batch = []
            for index in range(start, min(start + BATCH, company_count)):
                name = f"{rng.choice(NAME_PARTS)} {rng.choice(NAME_NOUNS)} {rng.choice(NAME_SUFFIXES)}".strip()
                batch.append(
                    Company(
                        name=name,
                        domain=f"{demo.ascii_slug(name, '')[:40]}{index}.example",
                        industry=rng.choice(INDUSTRIES),
                        size=rng.choice(SIZES),
                        location=rng.choice(list(demo.CITIES.values())).location,
                    )
                )
            companies += Company.objects.bulk_create(batch)

        # bulk_create would stamp every row with "now"; a real table has a year of different update times.
        updated_at = Lead._meta.get_field("updated_at")
        updated_at.auto_now = False
        try:
            for start in range(0, lead_count if not sql else 0, BATCH):
                batch = []
                for _ in range(start, min(start + BATCH, lead_count)):
                    pool = rng.choices(name_pools, pool_weights)[0]
                    first, last = rng.choice(demo.FIRST_NAMES[pool]), rng.choice(demo.LAST_NAMES[pool])
                    company = rng.choice(companies) if rng.random() < 0.9 else None
                    stage_index = rng.choices(range(len(stages)), weights)[0]
                    grade = rng.choices(["hot", "warm", "cold", ""], [20, 35, 35, 10])[0]
                    score = {"hot": (70, 100), "warm": (40, 69), "cold": (0, 39), "": (0, 0)}[grade]
                    created = now - timedelta(days=rng.uniform(0, 540))
                    domain = company.domain if company else "mail.example"
                    batch.append(
                        Lead(
                            first_name=first,
                            last_name=last,
                            title=rng.choices(titles, title_weights)[0],
                            email=f"{demo.ascii_slug(f'{first} {last}')}.{rng.randrange(10_000)}@{domain}",
                            company=company,
                            location=company.location if company else "",
                            source=rng.choices(demo.SOURCES, demo.SOURCE_WEIGHTS)[0],
                            lifecycle="contact" if stage_index < 2 else "lead",
                            stage=stages[stage_index],
                            owner=rng.choices(owners, owner_weights)[0],
                            deal_value=Decimal(rng.randrange(4_000, 260_000)) if rng.random() < 0.7 else None,
                            score=rng.randint(*score),
                            grade=grade,
                            # Scored, as a CRM in use is: nothing waits for the rescore (bench/score.py's work).
                            score_stale=False,
                            scored_at=now,
                            created_at=created,
                            updated_at=created + (now - created) * rng.random() ** 2,
                        )
                    )
                if page_lead is None:
                    page_lead = batch[0]
                    page_lead.first_name, page_lead.last_name = PAGE_LEAD_NAME
                    page_lead.owner, page_lead.stage, page_lead.updated_at = users["rep"], stages[3], now
                    page_lead.company = page_lead.company or companies[0]
                leads = Lead.objects.bulk_create(batch)
                Lead.tags.through.objects.bulk_create(
                    [
                        Lead.tags.through(lead_id=lead.pk, tag_id=tag.pk)
                        for lead in leads
                        if rng.random() < 0.35
                        for tag in rng.sample(tags, rng.randint(1, 3))
                    ]
                )
                ListMembership.objects.bulk_create(
                    [
                        ListMembership(lead_list=lead_list, lead=lead, added_by=users["manager"])
                        for lead in leads
                        if rng.random() < 0.2
                        for lead_list in rng.sample(lists, rng.randint(1, 2))
                    ]
                )
                Activity.objects.bulk_create(
                    [
                        Activity(lead=lead, kind="created", summary="Created", created_at=lead.created_at)
                        for lead in leads
                    ]
                )
                # What the board's cards show beyond the lead: when it entered its stage, and its next open task.
                StageChange.objects.bulk_create(
                    [
                        StageChange(lead=lead, to_stage=lead.stage, actor=lead.owner, created_at=lead.updated_at)
                        for lead in leads
                    ]
                )
                Task.objects.bulk_create(
                    [
                        Task(
                            lead=lead,
                            title=f"Follow up with {lead.first_name}",
                            due_at=lead.updated_at + timedelta(days=rng.randint(1, 30)),
                            assignee=lead.owner,
                        )
                        for lead in leads
                        if rng.random() < OPEN_TASK_SHARE
                    ]
                )
        finally:
            updated_at.auto_now = True

        history_start = page_lead.created_at
        span = now - history_start
        notes = Note.objects.bulk_create(
            [
                Note(
                    lead=page_lead,
                    author=users["rep"],
                    body=rng.choice(demo.NOTES)[0].format(first=page_lead.first_name, company=page_lead.company),
                    created_at=history_start + span * (index + 1) / 21,
                )
                for index in range(20)
            ]
        )
        Note.tags.through.objects.bulk_create(
            [Note.tags.through(note_id=note.pk, tag_id=tag.pk) for note in notes for tag in rng.sample(tags, 2)]
        )
        activities = [
            Activity(
                lead=page_lead,
                actor=users["rep"],
                kind="note",
                summary=f"Note: {note.body[:120]}",
                data={"note": note.pk},
                created_at=note.created_at,
            )
            for note in notes
        ]
        kinds = ["updated", "stage", "owner", "task", "task_done", "list"]
        activities += [
            Activity(
                lead=page_lead,
                actor=rng.choice([users["rep"], users["manager"], None]),
                kind=rng.choice(kinds),
                summary=f"Bench event {index}",
                created_at=history_start + span * rng.random(),
            )
            for index in range(100 - len(activities))
        ]
        Activity.objects.bulk_create(activities)
        Task.objects.bulk_create(
            [
                Task(
                    lead=page_lead,
                    kind=kind,
                    title=title.format(first=page_lead.first_name, company=page_lead.company),
                    due_at=now + timedelta(days=index - 4),
                    assignee=users["rep"],
                    created_by=users["rep"],
                    done=index < 4,
                    done_at=now - timedelta(days=1) if index < 4 else None,
                )
                for index, (kind, title) in enumerate(demo.TASKS + demo.TASKS[:2])
            ]
        )

    if connection.vendor == "postgresql":
        # A live server's autovacuum would have vacuumed these freshly inserted tables long ago.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
    if maintenance:
        from leadflow.maintenance import database_optimize

        database_optimize()
    return {
        "users": {persona: user.pk for persona, user in users.items()},
        "page_lead": page_lead.pk,
        "search": page_lead.last_name,
        "stage": stages[1].pk,
    }


def _leads_seeded_in_sql(lead_count: int, *, users: dict, stages: list, tags: list, lists: list, rng) -> object:
    """The leads made by bench/pages_sql_seed.py; the first one becomes the lead page's lead, as in the Python seed."""
    from django.utils import timezone
    from pages_sql_seed import seed_leads_sql

    from crm.models import Company, Lead

    seed_leads_sql(lead_count, users=users, stages=stages, tags=tags, lists=lists, rng=rng)
    page_lead = Lead.objects.order_by("pk").first()
    first, last = PAGE_LEAD_NAME
    Lead.objects.filter(pk=page_lead.pk).update(
        first_name=first,
        last_name=last,
        owner=users["rep"],
        stage=stages[3],
        updated_at=timezone.now(),
        company_id=page_lead.company_id or Company.objects.order_by("pk").values_list("pk", flat=True).first(),
    )
    page_lead.refresh_from_db()
    return page_lead


def seeded_world() -> dict:
    """The ids the measured URLs need, read back from a database seeded by an earlier run (--reuse)."""
    from crm.models import Lead, User
    from crm.services.pipelines import pipeline_default

    users = {persona: User.objects.get(email=email).pk for persona, email, *_ in USERS}
    first, last = PAGE_LEAD_NAME
    page_lead = Lead.objects.filter(first_name=first, last_name=last, owner_id=users["rep"]).order_by("pk").first()
    return {
        "users": users,
        "page_lead": page_lead.pk,
        "search": last,
        "stage": list(pipeline_default().stages.all())[1].pk,
    }


# One lead in CONVERSATION_EVERY has a conversation of MESSAGES_PER_CONVERSATION messages; one in ENROLLED_EVERY is
# enrolled in each of the SEQUENCES.
CONVERSATION_EVERY = 20
MESSAGES_PER_CONVERSATION = 4
ENROLLED_EVERY = 15
SEQUENCES = ["Bench outbound", "Bench webinar follow-up", "Bench re-engage"]


def outreach_seed(world: dict, *, maintenance: bool = True) -> dict:
    """Conversations and sequences over the seeded leads (once: a reused database has them already); returns the
    world with the sequence the sequence page shows."""
    from django.db import transaction
    from django.db.models.functions import Mod
    from django.utils import timezone
    from inbox import LINES, rows_insert

    from crm.models import Lead
    from outreach.models import Conversation, ConversationMessage, Enrollment, Sequence, SequenceStep, StepVariant

    existing = Sequence.objects.filter(name=SEQUENCES[0]).first()
    if existing is not None:
        return {**world, "sequence": existing.pk}
    started = time.perf_counter()
    rng = random.Random(20261203)
    now = timezone.now()
    leads = Lead.objects.order_by().alias(bucket=Mod("id", CONVERSATION_EVERY)).filter(bucket=0)
    with transaction.atomic():
        conversations = []
        for lead_id, owner_id, email, updated_at in leads.values_list("id", "owner_id", "email", "updated_at"):
            unread = rng.randint(1, 3) if rng.random() < 0.06 else 0
            conversations.append(
                Conversation(
                    lead_id=lead_id,
                    channel="email",
                    assigned_to_id=owner_id,
                    peer=email,
                    subject="Quick question",
                    last_message_at=updated_at,
                    last_inbound_at=updated_at,
                    preview=rng.choice(LINES),
                    unread=unread,
                    created_at=updated_at - timedelta(days=30),
                    updated_at=updated_at,
                )
            )
        for start in range(0, len(conversations), BATCH):
            made = Conversation.objects.bulk_create(conversations[start : start + BATCH])
            rows_insert(
                ConversationMessage,
                [
                    {
                        "conversation_id": conversation.pk,
                        "direction": "in" if position % 2 else "out",
                        "status": "received" if position % 2 else "delivered",
                        "sender": conversation.peer if position % 2 else "sales@bench.example",
                        "recipient": "sales@bench.example" if position % 2 else conversation.peer,
                        "subject": "Re: Quick question",
                        "text": rng.choice(LINES),
                        "message_id": f"<{conversation.pk}.{position}@bench.example>",
                        "occurred_at": conversation.last_message_at - timedelta(hours=6 * (3 - position)),
                        "created_at": conversation.last_message_at - timedelta(hours=6 * (3 - position)),
                    }
                    for conversation in made
                    for position in range(MESSAGES_PER_CONVERSATION)
                ],
            )
        sequences = []
        for offset, name in enumerate(SEQUENCES):
            sequence = Sequence.objects.create(name=name, status=Sequence.Status.ACTIVE)
            for position in (1, 2, 3):
                step = SequenceStep.objects.create(sequence=sequence, position=position, delay_days=2 * (position - 1))
                StepVariant.objects.create(step=step, subject=f"Step {position}", body="Hello {{ first_name }}")
            enrolled = Lead.objects.order_by().alias(bucket=Mod("id", ENROLLED_EVERY)).filter(bucket=offset)
            statuses = (["active", "finished", "stopped"], [70, 20, 10])
            for lead_ids in _batches(enrolled.values_list("id", flat=True)):
                Enrollment.objects.bulk_create(
                    [
                        Enrollment(
                            sequence=sequence,
                            lead_id=lead_id,
                            status=(status := rng.choices(*statuses)[0]),
                            next_position=rng.randint(1, 3),
                            due_at=now + timedelta(days=rng.randint(0, 9)) if status == "active" else None,
                            stop_reason="replied" if status == "stopped" else "",
                            enrolled_at=now - timedelta(days=rng.uniform(0, 90)),
                        )
                        for lead_id in lead_ids
                    ]
                )
            sequences.append(sequence)
    if maintenance:
        from leadflow.maintenance import database_optimize

        database_optimize()
    print(f"seeded {len(conversations):,} conversations and 3 sequences in {time.perf_counter() - started:.1f} s")
    return {**world, "sequence": sequences[0].pk}


def _batches(ids) -> Iterator[list[int]]:
    batch: list[int] = []
    for lead_id in ids.iterator(chunk_size=BATCH):
        batch.append(lead_id)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def measure(world: dict, repeat: int, show_queries: bool) -> list[dict]:
    """Time every page for every persona, printing each result as it comes."""
    from django.conf import settings
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
        "inbox": "/inbox/",
        "sequences": "/outreach/sequences/",
        "sequence": f"/outreach/sequences/{world['sequence']}/",
    }
    rows = []
    for persona in PERSONAS:
        client = Client()
        client.force_login(User.objects.get(pk=world["users"][persona]))
        # The first page past the count's cap, through the Next link of the last page before it, as a person would.
        last_counted = client.get(f"/leads/?page={settings.LEADS_COUNT_CAP // settings.LEADS_PAGE_SIZE}")
        next_link = re.search(r'href="\?([^"]*after=[^"]*)"', last_counted.content.decode())
        if not next_link:
            raise SystemExit(f"no keyset Next link on the last counted page as {persona}")
        paths["deep page"] = "/leads/?" + html.unescape(next_link.group(1))
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
