"""Privacy requests on a heavy person: export and erase someone with 100,000 timeline rows and 10,000 messages.

    .venv/bin/python bench/privacy.py [--timeline 100000] [--messages 10000]
                                      [--pg-url postgres://postgres@127.0.0.1:5432/leadflow_privacy_bench]

Builds two such people on a scratch database (a new SQLite file, or the PostgreSQL database named, dropped and made
again), each with notes, an event per message, enrichment values and drafts. Each step runs in a fresh process:
once for its time and the growth of the process's peak resident memory (resource.getrusage maxrss delta: every
allocation, C libraries included), once more under tracemalloc for the peak of Python allocations (slower: its time
is not the figure). Export runs twice on the first person; erase once on each. Targets: under 10 s and 200 MB each.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch_databases import postgres_drop, postgres_recreate, worker_environment  # noqa: E402 (a sibling of this script)

STEPS_PER_SEQUENCE = 100
BATCH = 5000


def person_build(n: int, timeline: int, messages: int) -> str:
    """One person with everything in bulk; returns their email."""
    from django.db import transaction

    from crm.models import Activity, Lead, Note
    from crm.services.pipelines import pipeline_default
    from enrichment.models import FieldSource
    from outreach.models import Draft, Enrollment, Mailbox, Message, MessageEvent, Sequence, SequenceStep

    email = f"heavy.person{n}@example.org"
    with transaction.atomic():
        lead = Lead.objects.create(
            first_name=f"Heavy{n}", last_name="Person", email=email, phone=f"+4420794600{n:02d}",
            stage=pipeline_default().stages.first(), other_emails=[f"heavy{n}@home.example"],
        )  # fmt: skip
        Activity.objects.bulk_create(
            (Activity(lead=lead, kind="note", summary=f"Call {i:06d} with Heavy{n}", data={"i": i})
             for i in range(timeline)),
            batch_size=BATCH,
        )  # fmt: skip
        Note.objects.bulk_create(Note(lead=lead, body=f"Note {i} about Heavy{n}") for i in range(100))
        mailbox = Mailbox.objects.create(name="Sam", address=f"sam{n}@acme.example", postal_address="1 Street")
        sequences = Sequence.objects.bulk_create(
            Sequence(name=f"Seq {n}-{s}", mailbox=mailbox) for s in range(-(-messages // STEPS_PER_SEQUENCE))
        )
        steps = SequenceStep.objects.bulk_create(
            (SequenceStep(sequence=sequence, position=p + 1)
             for sequence in sequences for p in range(STEPS_PER_SEQUENCE)),
            batch_size=BATCH,
        )  # fmt: skip
        enrollments = {
            e.sequence_id: e
            for e in Enrollment.objects.bulk_create(Enrollment(sequence=s, lead=lead) for s in sequences)
        }
        sent = Message.objects.bulk_create(
            (
                Message(enrollment=enrollments[step.sequence_id], step=step, lead=lead, mailbox=mailbox, to_email=email,
                        subject=f"Hello Heavy{n}", body="A short note " * 20, status="sent")
                for step in steps[:messages]
            ),
            batch_size=BATCH,
        )  # fmt: skip
        MessageEvent.objects.bulk_create(
            (MessageEvent(message=message, kind="delivered", data={"recipient": email}) for message in sent),
            batch_size=BATCH,
        )
        FieldSource.objects.bulk_create(
            FieldSource(lead=lead, field="email", value=email, source="hunter", confidence=90) for _ in range(20)
        )
        Draft.objects.bulk_create(
            Draft(lead=lead, channel="email", body=f"Hi Heavy{n}", source="template") for _ in range(10)
        )
    return email


def export_step(email: str, scratch: Path) -> str:
    from crm.privacy.export import person_export

    target = scratch / "export.zip"
    with target.open("wb") as out:
        _person, counts = person_export(email=email, out=out, channel="command")
    return f"{sum(counts.values()):,} rows, zip {target.stat().st_size / 2**20:.1f} MB"


def erase_step(email: str, scratch: Path) -> str:
    from crm.privacy.erase import person_erase

    report = person_erase(email=email, channel="command")
    return f"{sum(report.counts.values()):,} rows and files erased"


STEPS = {"export": export_step, "erase": erase_step}


def worker(step: str, email: str, trace: bool, scratch: Path) -> None:
    """One step in a fresh process, so that its memory is its own: the time and growth of peak resident memory
    (maxrss delta), or under tracemalloc the peak of Python allocations."""
    import django

    django.setup()
    from crm.models import Lead

    Lead.objects.filter(email=email).exists()  # connected, models and queries warmed up before measuring
    if trace:
        tracemalloc.start()
        STEPS[step](email, scratch)
        _current, peak = tracemalloc.get_traced_memory()
        print(f"{step}: Python allocations peaked at {peak / 2**20:.1f} MB (tracemalloc)", flush=True)
        return
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    what = STEPS[step](email, scratch)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # ru_maxrss is in KiB on Linux
    print(
        f"{step}: {seconds:.2f} s, peak resident memory grew {after - before / 1024:.0f} MB (maxrss delta; the "
        f"process's peak {after:.0f} MB, Django loaded); {what}",
        flush=True,
    )


def build(timeline: int, messages: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from leadflow.maintenance import database_optimize

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    for n in (1, 2):
        person_build(n, timeline, messages)
    # Statistics as autovacuum (PostgreSQL) or the nightly schedule (SQLite) keep them on a live database.
    database_optimize()
    print(f"{connection.vendor}: built 2 people, each {timeline:,} timeline rows and {messages:,} messages, "
          f"in {time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeline", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--pg-url", help="run on this PostgreSQL database (dropped and made again) instead of SQLite")
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)  # a worker's own arguments
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--email", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(args.timeline, args.messages)
        return 0
    if args.step:
        worker(args.step, args.email, args.trace, args.scratch)
        return 0
    scratch = Path(tempfile.mkdtemp(prefix="leadflow-bench-privacy-"))
    database = args.pg_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    if args.pg_url:
        postgres_recreate(args.pg_url)
    os.environ.update(worker_environment(database, MEDIA_ROOT=str(scratch / "media")))
    try:
        # Every part in a process of its own: Linux carries a parent's peak resident memory into its children, so
        # this one stays small and the steps' figures are theirs.
        subprocess.run(
            [sys.executable, __file__, "--build", "--timeline", str(args.timeline), "--messages", str(args.messages)],
            check=True,
        )
        # Export the first person twice (timed, then traced); erase each person once (the first timed).
        for step, n, trace in (("export", 1, False), ("export", 1, True), ("erase", 1, False), ("erase", 2, True)):
            command = [sys.executable, __file__, "--step", step, "--email", f"heavy.person{n}@example.org"]
            command += ["--scratch", str(scratch), *(["--trace"] if trace else [])]
            subprocess.run(command, check=True)
    finally:
        if args.pg_url:
            postgres_drop(args.pg_url)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
