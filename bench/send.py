"""Sequence sending throughput: due messages pushed through the scheduler's ticks (claim, compose, send over one
reused connection, record) to a local SMTP server in its own process, then the time of one tick over enrollments of
which none is due.

    .venv/bin/python bench/send.py [--messages 10000] [--idle 100000] \
        [--pg-url postgres://postgres@127.0.0.1:5432/leadflow_bench_send]

Prints messages per second for one worker, how many the server received, and the idle tick's time with the plan of
its query (it must read the enrollment_due index, not the table). Targets: at least 200 messages per second per
worker, the idle tick under 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch_databases import postgres_drop, postgres_recreate, worker_environment  # noqa: E402 (a sibling of this script)

EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def sink_serve() -> None:
    """The SMTP server's own process (aiosmtpd, counting copies per recipient without parsing them, as a relay
    would): prints its port, then the counts when stdin closes."""
    import asyncio
    from collections import Counter

    from aiosmtpd.controller import Controller

    from tests.fakes.smtp_server import free_port

    copies: Counter = Counter()

    class Counting:
        async def handle_DATA(self, server, session, envelope) -> str:
            copies.update(address.lower() for address in envelope.rcpt_tos)
            await asyncio.sleep(0)
            return "250 Message accepted for delivery"

    controller = Controller(Counting(), hostname="127.0.0.1", port=free_port())
    controller.start()
    print(controller.port, flush=True)
    sys.stdin.read()
    print(sum(copies.values()), max(copies.values(), default=0), flush=True)
    controller.stop()


def smtp_alone(port: int, count: int) -> float:
    """Messages per second Django's SMTP backend alone reaches to the same server over one connection, sending a
    message like the scheduler's (text and HTML): the ceiling the scheduler's own cost is measured against."""
    from django.core.mail import EmailMultiAlternatives, get_connection

    connection = get_connection("django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=port)
    connection.open()
    started = time.perf_counter()
    for number in range(count):
        email = EmailMultiAlternatives(
            "A question for Northwind", "Hi Ana,\n\nWould a short call help Northwind?\n" * 3,
            "Bench Sender <bench@sender.example>", [f"alone{number}@alone.example"], connection=connection,
            headers={"Message-ID": f"<{number}.alone@sender.example>", "List-Unsubscribe": "<https://x.example/u>"},
        )  # fmt: skip
        email.attach_alternative("<p>Hi Ana,</p><p>Would a short call help Northwind?</p>" * 3, "text/html")
        email.send()
    connection.close()
    return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--idle", type=int, default=100_000, help="enrollments not due for the idle tick")
    parser.add_argument("--pg-url", help="run on this PostgreSQL database (dropped and made again) instead of SQLite")
    parser.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        sink_serve()
        return 0
    scratch = Path(tempfile.mkdtemp(prefix="leadflow-bench-send-"))
    database = args.pg_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    if args.pg_url:
        postgres_recreate(args.pg_url)
    os.environ.update(worker_environment(database))
    sink = subprocess.Popen(
        [sys.executable, __file__, "--sink"], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(sink.stdout.readline())
        return run(args, port, sink)
    finally:
        if sink.poll() is None:
            sink.kill()
        if args.pg_url:
            postgres_drop(args.pg_url)


def run(args, port: int, sink: subprocess.Popen) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from crm.models import Company, Lead
    from crm.services.pipelines import pipeline_default
    from outreach.models import Enrollment, Mailbox, Sequence, SequenceStep, StepVariant
    from outreach.scheduler import tick

    call_command("migrate", verbosity=0)
    stage = pipeline_default().stages.first()
    mailbox = Mailbox.objects.create(
        name="Bench Sender", address="bench@sender.example", postal_address="1 Bench Street, Leith", smtp_port=port,
        smtp_host="127.0.0.1", daily_cap=1_000_000, window_days=EVERY_DAY, window_start=clock_time(0),
        window_end=clock_time(0), time_zone="UTC",
    )  # fmt: skip

    def sequence_with_leads(name: str, count: int, due_at) -> None:
        sequence = Sequence.objects.create(
            name=name, mailbox=mailbox, status=Sequence.Status.ACTIVE, daily_cap=1_000_000, window_days=EVERY_DAY,
            window_start=clock_time(0), window_end=clock_time(0),
        )  # fmt: skip
        step = SequenceStep.objects.create(sequence=sequence, position=1)
        StepVariant.objects.create(
            step=step, subject="A question for {{ company }}",
            body="Hi {{ first_name|default:'there' }},\n\nWould a short call help {{ company }}? "
            "Our numbers: https://sender.example/numbers",
        )  # fmt: skip
        for start in range(0, count, 5000):
            size = min(5000, count - start)
            companies = Company.objects.bulk_create(Company(name=f"{name} company {start + n}") for n in range(size))
            leads = Lead.objects.bulk_create(
                Lead(first_name=f"Person{start + n}", email=f"p{start + n}@{name.lower()}{(start + n) // 10}.example",
                     stage=stage, company=companies[n], time_zone="UTC", score_stale=False)
                for n in range(size)
            )  # fmt: skip
            Enrollment.objects.bulk_create(Enrollment(sequence=sequence, lead=lead, due_at=due_at) for lead in leads)

    print(f"database: {connection.vendor}; {args.messages} due messages, then {args.idle} enrollments none due")
    sequence_with_leads("Due", args.messages, timezone.now() - timedelta(minutes=1))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    started = time.perf_counter()
    sent = ticks = 0
    while True:
        report = tick(worker="bench")
        ticks += 1
        sent += report.sent
        if report.sent == 0:
            break
    elapsed = time.perf_counter() - started
    alone = smtp_alone(port, 2000)
    sink.stdin.close()
    received, most_copies = (int(value) for value in sink.stdout.readline().split())
    print(f"sent: {sent} in {elapsed:.1f} s over {ticks} tick(s) = {sent / elapsed:,.0f} messages/s for one worker")
    print(f"the SMTP server received {received - 2000} (most copies to one recipient: {most_copies})")
    print(f"Django's SMTP backend alone, same server, one connection: {alone:,.0f} messages/s; the scheduler's own "
          f"cost: {1000 / (sent / elapsed) - 1000 / alone:.2f} ms per message")  # fmt: skip

    sequence_with_leads("Later", args.idle, timezone.now() + timedelta(days=1))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    times = []
    for _ in range(5):
        started = time.perf_counter()
        report = tick(worker="bench")
        times.append(time.perf_counter() - started)
    assert report.sent == report.deferred == 0
    waiting = Enrollment.objects.filter(status="active").exclude(due_at=None).count()
    print(f"idle tick over {waiting} waiting enrollments: median {statistics.median(times) * 1000:.1f} ms, "
          f"slowest {max(times) * 1000:.1f} ms (5 ticks)")  # fmt: skip
    due = Enrollment.objects.filter(status="active", due_at__lte=timezone.now(), sequence__status="active")
    print("its query's plan:", " / ".join(line.strip() for line in due.order_by("due_at")[:50].explain().splitlines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
