"""Server time of the inbox on a large install: 100,000 conversations holding 1,000,000 messages, on SQLite and
PostgreSQL.

    .venv/bin/python bench/inbox.py [--db sqlite|postgres|both] [--conversations 100000] [--messages 1000000]
        [--repeat 50] [--pg-url postgres://postgres@127.0.0.1:5432/leadflow_bench_inbox]

Each database is built fresh in its own subprocess (SQLite: a temporary file; PostgreSQL: the --pg-url database,
dropped and created again), migrated, and filled with bulk inserts: one lead per conversation (owners spread over a
manager and three reps, a fifth unassigned), conversations over a year on email (80%), WhatsApp (15%) and SMS, about
6% with unread messages and 1% snoozed, and the messages spread over them, alternating theirs and ours. Seeding is
not measured; the daily statistics job runs after it, as on a live install. Then it times requests through Django's
test client, in-process (the server's own time: middleware, views, queries, templates), as a manager (sees every
conversation) and as a rep (their own and unassigned leads'):

    list      /inbox/                               filtered  /inbox/?unread=on&channel=whatsapp
    thread    /inbox/<pk>/ as htmx loads it          thread page  /inbox/<pk>/ (list and thread)
    idle poll /inbox/poll/?seen=<now>                (nothing changed: answers 204)

It prints the median and 95th percentile of --repeat requests per page and the queries each makes, and flags a
p95 over the 100 ms target.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta

from pages import pages_measured, percentile
from scratch_databases import worker_figures

TARGET_MS = 100.0
WARM_UP = 3
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/leadflow_bench_inbox"
PAGES = ["list", "filtered", "thread", "thread page", "idle poll"]
PERSONAS = ["manager", "rep"]
BATCH = 5_000
# (persona, email, role, share of leads owned); the rest are unassigned.
USERS = [
    ("manager", "mia@bench.leadflow", "Manager", 10),
    ("rep", "alice@bench.leadflow", "Rep", 25),
    ("rep2", "bob@bench.leadflow", "Rep", 25),
    ("rep3", "carlos@bench.leadflow", "Rep", 20),
]
UNASSIGNED_SHARE = 20
CHANNELS = (["email", "whatsapp", "sms"], [80, 15, 5])
UNREAD_SHARE = 0.06
SNOOZED_SHARE = 0.01
LINES = [
    "Thanks for reaching out, can you send more details?",
    "We already use a tool for this, but happy to compare.",
    "Not a priority this quarter; ping me in spring.",
    "Sounds interesting. Are you free Thursday at 10?",
    "Please send the pricing for 20 seats.",
    "I'm out of the office until Monday with limited access to email.",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per page (default 50)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL database to drop, create and use")
    parser.add_argument("--show-queries", action="store_true", help="print each page's slowest queries")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases afterwards")
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    results = {}
    for database in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        print(f"\n== {database}: {args.conversations:,} conversations, {args.messages:,} messages ==", flush=True)
        results[database] = run_worker(database, args)
    print_summary(results, args)
    return 0


def run_worker(database: str, args: argparse.Namespace) -> list[dict]:
    options = ["--repeat", str(args.repeat), "--conversations", str(args.conversations)]
    options += ["--messages", str(args.messages)]
    options += ["--show-queries"] if args.show_queries else []
    return worker_figures(__file__, database, options, pg_url=args.pg_url, keep=args.keep)


def print_summary(results: dict[str, list[dict]], args: argparse.Namespace) -> None:
    databases = list(results)
    print(f"\n== Inbox server time per request, ms ({args.conversations:,} conversations, {args.messages:,} messages, "
          f"{args.repeat} requests; target p95 <= 100) ==")  # fmt: skip
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
    print("\nOver the 100 ms target:\n  " + "\n  ".join(over) if over else "\nEvery page is within the 100 ms target.")


def worker(args: argparse.Namespace) -> int:
    def seeded() -> tuple[dict, str]:
        made = f"{args.conversations:,} conversations and {args.messages:,} messages"
        return seed(args.conversations, args.messages), made

    return pages_measured(args.out, seeded, lambda world: measure(world, args.repeat, args.show_queries))


def seed(conversation_count: int, message_count: int) -> dict:
    """Fill the empty database with bulk inserts; returns the ids the measured URLs need."""
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from crm.models import Lead, User
    from crm.services.pipelines import pipeline_default
    from leadflow.maintenance import database_optimize
    from outreach.models import Conversation, ConversationMessage

    rng = random.Random(20261203)
    now = timezone.now()
    stages = list(pipeline_default().stages.all())
    with transaction.atomic():
        users = {}
        for persona, email, role, _ in USERS:
            user = User.objects.create_user(email=email, first_name=persona.title(), last_name="Bench")
            user.groups.add(Group.objects.get(name=role))
            users[persona] = user
        owners = [*users.values(), None]
        owner_weights = [share for *_, share in USERS] + [UNASSIGNED_SHARE]
        per_conversation = max(message_count // max(conversation_count, 1), 1)
        messages_left = message_count
        thread_pk = None
        for start in range(0, conversation_count, BATCH):
            size = min(BATCH, conversation_count - start)
            leads = Lead.objects.bulk_create(
                [
                    Lead(
                        first_name=f"First{index}",
                        last_name=f"Last{index}",
                        email=f"lead{index}@company{index % 9_000}.example",
                        stage=rng.choice(stages[:5]),
                        owner=rng.choices(owners, owner_weights)[0],
                        lifecycle="lead",
                    )
                    for index in range(start, start + size)
                ]
            )
            conversations = []
            for lead in leads:
                channel = rng.choices(*CHANNELS)[0]
                last = now - timedelta(minutes=rng.uniform(0, 525_600))
                unread = rng.randint(1, 3) if rng.random() < UNREAD_SHARE else 0
                snoozed = now + timedelta(days=rng.randint(1, 14)) if rng.random() < SNOOZED_SHARE else None
                conversations.append(
                    Conversation(
                        lead=lead,
                        channel=channel,
                        assigned_to_id=lead.owner_id,
                        peer=lead.email,
                        subject="Quick question" if channel == "email" else "",
                        last_message_at=last,
                        last_inbound_at=last,
                        preview=rng.choice(LINES),
                        unread=unread,
                        snoozed_until=snoozed,
                        created_at=last - timedelta(days=30),
                        updated_at=last,
                    )
                )
            conversations = Conversation.objects.bulk_create(conversations)
            thread_pk = thread_pk or next(c.pk for c in conversations if c.assigned_to_id == users["rep"].pk)
            rows = []
            for conversation in conversations:
                count = min(per_conversation, messages_left)
                messages_left -= count
                for position in range(count):
                    inbound = position % 2 == 1
                    at = conversation.last_message_at - timedelta(hours=6 * (count - position - 1))
                    rows.append(
                        {
                            "conversation_id": conversation.pk,
                            "direction": "in" if inbound else "out",
                            "status": "received" if inbound else "delivered",
                            "sender": conversation.peer if inbound else "sales@bench.example",
                            "recipient": "sales@bench.example" if inbound else conversation.peer,
                            "subject": "Re: Quick question" if conversation.channel == "email" else "",
                            "text": rng.choice(LINES),
                            "message_id": f"<{conversation.pk}.{position}@bench.example>",
                            "occurred_at": at,
                            "created_at": at,
                        }
                    )
            rows_insert(ConversationMessage, rows)
            print(f"  {start + size:,} conversations", end="\r", flush=True)
    print()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")  # as autovacuum would have long ago on a live server
    database_optimize()
    return {"users": {persona: user.pk for persona, user in users.items()}, "thread": thread_pk}


def rows_insert(model, rows: list[dict]) -> None:
    """INSERT many rows given as {column: value} (the other columns at their defaults) with executemany: a million
    messages as model instances through bulk_create would take most of the seeding time."""
    from django.db import connection

    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    defaults = {field.attname: field.get_default() for field in fields}
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    places = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({places})"  # noqa: S608 (quoted names from the model; values bound)
    with connection.cursor() as cursor:
        for offset in range(0, len(rows), BATCH):
            cursor.executemany(
                sql,
                [
                    [
                        field.get_db_prep_save(row.get(field.attname, defaults[field.attname]), connection)
                        for field in fields
                    ]
                    for row in rows[offset : offset + BATCH]
                ],
            )


def measure(world: dict, repeat: int, show_queries: bool) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from crm.models import User
    from outreach.inbox import inbox_stamp

    rows = []
    for persona in PERSONAS:
        user = User.objects.get(pk=world["users"][persona])
        client = Client()
        client.force_login(user)
        thread = f"/inbox/{world['thread']}/"
        paths = {
            "list": ("/inbox/", {}),
            "filtered": ("/inbox/?unread=on&channel=whatsapp", {}),
            "thread": (thread, {"HX-Request": "true"}),
            "thread page": (thread, {}),
            "idle poll": (f"/inbox/poll/?seen={inbox_stamp(user)}&open={world['thread']}", {"HX-Request": "true"}),
        }
        for page in PAGES:
            path, headers = paths[page]
            for _ in range(WARM_UP):
                response = client.get(path, headers=headers)
                if response.status_code not in (200, 204):
                    raise SystemExit(f"{path} as {persona} answered {response.status_code}")
            with CaptureQueriesContext(connection) as captured:
                client.get(path, headers=headers)
            queries = captured.captured_queries
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                client.get(path, headers=headers)
                samples.append((time.perf_counter() - started) * 1000)
            row = {
                "page": page, "persona": persona, "path": path, "median": statistics.median(samples),
                "p95": percentile(samples, 95), "queries": len(queries),
            }  # fmt: skip
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


if __name__ == "__main__":
    sys.exit(main())
