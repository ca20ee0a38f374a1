"""The AI client against the local Chat Completions stand-in (tests/fakes/openai_server): how many questions a second
leadflow.ai gets through (each asked over HTTP, parsed, validated, recorded with its cost), and how many a second it
answers from its cache (no request made).

    .venv/bin/python bench/ai.py [--calls 1000] [--pg-url postgres://postgres@127.0.0.1:5432/leadflow_bench_ai]

The figures are the client's own overhead: the stand-in answers at once, where a real model takes seconds.
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

from tests.fakes.openai_server import OpenAiStandIn  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--pg-url", help="run on this PostgreSQL database (dropped and made again) instead of SQLite")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    scratch = Path(tempfile.mkdtemp(prefix="leadflow-bench-ai-"))
    database = args.pg_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    if args.pg_url:
        postgres_recreate(args.pg_url)
    stand_in = OpenAiStandIn.started()
    os.environ.update(
        worker_environment(database, OPENAI_BASE_URL=stand_in.url, OPENAI_API_KEY=stand_in.api_key, AI_MAX_RETRIES="0")
    )
    try:
        return run(args, stand_in)
    finally:
        stand_in.stop()
        if args.pg_url:
            postgres_drop(args.pg_url)


def run(args, stand_in: OpenAiStandIn) -> int:
    import django

    django.setup()
    import pydantic
    from django.core.management import call_command

    from leadflow.ai import ai_ask

    call_command("migrate", verbosity=0)

    class Draft(pydantic.BaseModel):
        subject: str
        body: str

    def draft_for(request: dict) -> dict:
        asked = request["messages"][-1]["content"]
        return {"subject": f"About {asked[-12:]}", "body": f"Hello, a note about {asked}."}

    stand_in.answer_with(draft_for)

    def ask_all() -> float:
        started = time.perf_counter()
        for number in range(args.calls):
            ai_ask(purpose="bench", system="Write a short email.", user=f"lead number {number}", schema=Draft)
        return time.perf_counter() - started

    for label in ("asked", "cached"):
        seconds = ask_all()
        rate = args.calls / seconds
        print(f"{label}: {args.calls} calls in {seconds:.2f} s = {rate:.0f} calls/s, {stand_in.request_count} requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
