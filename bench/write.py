"""Message writer throughput: drafts for a list of leads in one job, first with the built-in writer, then through the
local Chat Completions stand-in (tests/fakes/openai_server.py) answering schema-valid JSON computed from each request.

    .venv/bin/python bench/write.py [--drafts 1000] [--pg-url postgres://postgres@127.0.0.1:5432/leadflow_bench_write]

Prints drafts per second for each path. Every draft is checked (length, placeholders, spam phrases, facts) and kept
with its timeline line, as in real use; the stand-in answers at once, so the AI figure is Leadflow's own overhead
(prompt, HTTP, schema validation, the call's record), not a model's speed.
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

from tests.fakes.openai_server import API_KEY, OpenAiStandIn  # noqa: E402

FIRST = ["Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Karin", "Lukas"]
LAST = ["Schmidt", "Meyer", "Novak", "Garcia", "Rossi", "Dubois", "Jensen", "Kowalski", "Silva", "Moreau", "Berg"]
TITLES = ["Head of Operations", "CFO", "Founder", "VP Sales", "Operations Manager"]


def grounded_answer(request: dict) -> dict:
    """What a well-behaved model answers: a short message from the facts the request gave."""
    facts = dict(line.split(": ", 1) for line in request["messages"][1]["content"].splitlines() if ": " in line)
    first, company = facts.get("Prospect first name", ""), facts.get("Company", "your team")
    return {"subject": f"A question for {company}", "body": f"Hi {first},\n\nWould a short call about {company} help?"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=1000)
    parser.add_argument("--pg-url", help="run on this PostgreSQL database (dropped and made again) instead of SQLite")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    scratch = Path(tempfile.mkdtemp(prefix="leadflow-bench-write-"))
    database = args.pg_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    if args.pg_url:
        postgres_recreate(args.pg_url)
    os.environ.update(worker_environment(database, OPENAI_API_KEY=""))
    stand_in = OpenAiStandIn.started()
    try:
        return run(args, stand_in)
    finally:
        stand_in.stop()
        if args.pg_url:
            postgres_drop(args.pg_url)


def run(args, stand_in: OpenAiStandIn) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    from crm.models import Company, Lead, User
    from crm.services.pipelines import pipeline_default
    from outreach.jobs import draft_job_create, draft_job_run
    from outreach.models import Draft

    call_command("migrate", verbosity=0)
    admin = User.objects.create_superuser(email="bench@leadflow.test", password="bench-only", first_name="Ada")
    stage = pipeline_default().stages.first()

    def leads_create(count: int, offset: int) -> list[int]:
        ids = []
        for number in range(offset, offset + count):
            company = Company.objects.create(name=f"Company {number // 10}", industry="Manufacturing")
            lead = Lead.objects.create(
                first_name=FIRST[number % len(FIRST)], last_name=LAST[number // len(FIRST) % len(LAST)],
                title=TITLES[number % len(TITLES)], company=company, stage=stage,
            )  # fmt: skip
            ids.append(lead.pk)
        return ids

    def timed_job(ids: list[int], channel: str) -> tuple[float, object]:
        started = time.perf_counter()
        job = draft_job_create(actor=admin, leads=Lead.objects.filter(pk__in=ids), channel=channel, tone="friendly")
        while draft_job_run(job.pk, seconds=3600) not in ("done", "nothing to do"):
            pass
        job.refresh_from_db()
        return time.perf_counter() - started, job

    print(f"database: {'PostgreSQL' if args.pg_url else 'SQLite'}; {args.drafts} drafts per path")
    elapsed, job = timed_job(leads_create(args.drafts, 0), "email")
    flagged = job.breakdown.get("flagged", 0)
    print(f"built-in writer: {job.progress_done} drafts in {elapsed:.1f} s = {job.progress_done / elapsed:,.0f}/s "
          f"({dict(sorted(job.breakdown.items()))}; flagged {flagged})")  # fmt: skip
    stand_in.answer_with(grounded_answer)
    with override_settings(OPENAI_BASE_URL=stand_in.url, OPENAI_API_KEY=API_KEY, OPENAI_MODEL="gpt-4o-mini"):
        elapsed, job = timed_job(leads_create(args.drafts, args.drafts), "email")
    print(f"AI (local stand-in): {job.progress_done} drafts in {elapsed:.1f} s = {job.progress_done / elapsed:,.0f}/s "
          f"({dict(sorted(job.breakdown.items()))}; {stand_in.request_count} requests)")  # fmt: skip
    print(f"drafts kept: {Draft.objects.count()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
