"""Load: simulated staff and signed provider webhooks at once against the production server over a large CRM.

    .venv/bin/python bench/load.py [--users 50] [--webhooks-per-second 20] [--duration 300] [--leads 1000000]
        [--pg-url postgres://postgres@127.0.0.1:5432/leadflow_bench_load] [--reuse] [--redis-url redis://...]

The PostgreSQL database at --pg-url is dropped and seeded with --leads leads by `bench/crm_world.py` (as
bench/pages.py seeds), or with --reuse used as an earlier run (or `bench/pages.py --keep`) left it. The bench then
gives the seeded manager and reps a password, adds a Meta lead-ads source, and sequence emails and WhatsApp texts the
webhooks report on, starts the production server on a free port (gunicorn with a worker per core and one more, and
the job cluster, DEBUG off; `--redis-url` puts the queue and the cache on Redis, whose database is emptied first) and
a local stand-in for Meta's Graph API, and runs locust headless in a process of its own:

- `--users` members of staff sign in (one every 2.5 s, under allauth's 30 a minute from one address), then browse the
  leads table (the whole page; then pages 2-20, sorted and searched as the page's htmx asks for them: the table part
  alone), open leads, load the board, move cards (the htmx move endpoint, CSRF token in X-CSRFToken; a stale move
  refused with 409 is a right answer, counted apart) and add notes, 2-6 s apart. A page request whose kept-alive
  connection the server closed under it (a gunicorn worker restarting after max_requests) is sent again once, as
  browsers do, and counted;
- `--webhooks-per-second` webhooks arrive from the first second: Meta leadgen notifications (X-Hub-Signature-256;
  the cluster fetches each lead from the stand-in and saves it), Mailgun tracking events (HMAC signature and basic
  auth, through anymail) for sequence emails, and Twilio status callbacks (X-Twilio-Signature) for WhatsApp texts.

After every member of staff has signed in, the load runs for --duration seconds. It prints requests per second, the
median and p95 per endpoint, and every error, flagging a p95 over 300 ms and any error (the targets on a 2-core
machine: no error, every p95 under 300 ms), then what the server logged as errors and what became of the webhooks.
Everything it writes (passwords, notes, moved cards, leads from webhooks) leaves the database usable for another run.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
TARGET_MS = 300
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/leadflow_bench_load"
SIGN_INS_PER_SECOND = 0.4
# Sequence emails and WhatsApp texts the tracking and status webhooks report on.
REPORTED_MESSAGES = 200
BENCH_SOURCE = "Load bench: Meta lead ads"
BENCH_SEQUENCE = "Load bench"
WEBHOOKS_PER_SENDER = 5.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="simulated staff (default 50)")
    parser.add_argument("--webhooks-per-second", type=float, default=20.0, help="default 20")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of full load (default 300)")
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads to seed (default 1000000)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="the PostgreSQL database to seed and load")
    parser.add_argument("--reuse", action="store_true", help="load the database at --pg-url as it is, no seeding")
    parser.add_argument("--redis-url", default="", help="the job queue and cache on this Redis database (emptied)")
    parser.add_argument("--stage", choices=["prepare", "locust", "report"], help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        return {"prepare": stage_prepare, "locust": stage_locust, "report": stage_report}[args.stage](args)
    return run(args)


def run(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(BENCH))
    from scratch_databases import postgres_recreate, worker_environment

    from tests.fakes.meta_graph_server import MetaGraphStandIn

    scratch = Path(tempfile.mkdtemp(prefix="leadflow-bench-load-"))
    address = f"127.0.0.1:{free_port()}"
    plan = {
        "site_url": f"http://{address}",
        "users": args.users,
        "webhooks_per_second": args.webhooks_per_second,
        "webhook_senders": max(1, math.ceil(args.webhooks_per_second / WEBHOOKS_PER_SENDER)),
        "sign_ins_per_second": SIGN_INS_PER_SECOND,
        "duration": args.duration,
        "leads": args.leads,
        "reuse": args.reuse,
        # Made up for this run: nothing secret lives in the repository or outlives the run.
        "password": secrets.token_urlsafe(16),
        "meta_app_secret": secrets.token_hex(16),
        "mailgun_signing_key": secrets.token_hex(16),
        "anymail_webhook_secret": f"mailgun:{secrets.token_urlsafe(12)}",
        "twilio_auth_token": secrets.token_hex(16),
        # Leadgen ids unique to this run, so each notification is a new lead.
        "first_leadgen_id": time.time_ns() // 1000,
    }
    env = worker_environment(
        args.pg_url,
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=plan["site_url"],
        # The bench speaks plain HTTP on the loopback; in production a proxy in front terminates TLS.
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        TWILIO_AUTH_TOKEN=plan["twilio_auth_token"],
        MAILGUN_WEBHOOK_SIGNING_KEY=plan["mailgun_signing_key"],
        ANYMAIL_WEBHOOK_SECRET=plan["anymail_webhook_secret"],
        # The Graph API stand-in listens on localhost.
        HTTP_ALLOW_PRIVATE_HOSTS="localhost",
        HTTP_RATE_PER_HOST="0",
    )
    if args.redis_url:
        redis_empty(args.redis_url)
        env.update(Q_REDIS_URL=args.redis_url, CACHE_URL=args.redis_url)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request of the Graph stand-in
    graph = MetaGraphStandIn.started()
    graph.answers_every_lead()
    plan["graph_base_url"] = graph.base_url
    plan_file = scratch / "plan.json"
    plan_file.write_text(json.dumps(plan))
    server: list[subprocess.Popen] = []
    try:
        if not args.reuse:
            postgres_recreate(args.pg_url)
        stage_run("prepare", plan_file, env)
        plan = json.loads(plan_file.read_text())
        log = scratch / "server.log"
        server = server_start(env, address, log)
        server_wait(plan["site_url"], server, log)
        print(f"load: {args.users} staff, {args.webhooks_per_second:g} webhooks/s, {args.duration:g} s", flush=True)
        print("load average before: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()), flush=True)
        stage_run("locust", plan_file, {**os.environ, "PYTHONPATH": str(ROOT)})
        print("load average after: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()), flush=True)
        # The cluster's last fetches get a moment to finish before the report counts saved leads.
        time.sleep(5)
    finally:
        server_stop(server)
        graph.stop()
    figures = json.loads((scratch / "figures.json").read_text())
    server_errors = server_log_errors(log)
    stage_run("report", plan_file, env)
    print_summary(args, plan, figures, server_errors)
    print(f"server log: {log}")
    return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_empty(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def stage_run(stage: str, plan_file: Path, env: dict) -> None:
    """One stage in a fresh interpreter: Django's settings (prepare, report) or locust's gevent (locust) stay there."""
    command = [sys.executable, __file__, "--stage", stage, "--plan", str(plan_file)]
    subprocess.run(command, env=env, cwd=ROOT, check=True)


# ---------------------------------------------------------------------------------------------------
# The production server.
# ---------------------------------------------------------------------------------------------------


def server_start(env: dict, address: str, log: Path) -> list[subprocess.Popen]:
    """The production server as an operator starts it: `bin/serve --prod` (static files collected, migrations and
    schedules, then gunicorn and the job cluster) on LEADFLOW_ADDR, in a session of its own."""
    with log.open("ab") as out:
        command = [str(ROOT / "bin/serve"), "--prod"]
        env = {**env, "LEADFLOW_ADDR": address}
        server = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return [server]


def server_wait(site_url: str, server: list[subprocess.Popen], log: Path, timeout: float = 300) -> None:
    """Until /healthz answers 200 (a busy machine takes a while to start the workers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in server):
            raise SystemExit(f"the server stopped while starting; see {log}")
        try:
            with urllib.request.urlopen(f"{site_url}/healthz", timeout=10):  # noqa: S310 (the bench's own http URL)
                return
        except urllib.error.HTTPError as exc:
            raise SystemExit(f"/healthz answered {exc.code}: {exc.read()[:300]!r}; see {log}") from exc
        except OSError:
            time.sleep(1)
    raise SystemExit(f"the server did not answer {site_url}/healthz within {timeout:.0f} s; see {log}")


def server_stop(server: list[subprocess.Popen]) -> None:
    """SIGTERM to each process group the bench started (gunicorn's and the cluster's workers with them)."""
    for process in server:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in server:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def server_log_errors(log: Path) -> list[str]:
    """The error lines the server logged (Django's "Internal Server Error", tracebacks' last lines, worker timeouts)."""
    markers = ("Internal Server Error", "ERROR", "CRITICAL", "WORKER TIMEOUT", "Error:", "Exception:")
    return [line for line in log.read_text(errors="replace").splitlines() if any(m in line for m in markers)]


# ---------------------------------------------------------------------------------------------------
# The stages, each in its own interpreter.
# ---------------------------------------------------------------------------------------------------


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(BENCH))
    import django

    django.setup()


def stage_prepare(args: argparse.Namespace) -> int:
    """Migrate, seed (unless reused), and make what the simulated people need."""
    _django()
    from django.core.management import call_command
    from load_setup import load_setup_make
    from pages import seed, seeded_world

    from crm.models import User

    plan_file = Path(args.plan)
    plan = json.loads(plan_file.read_text())
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    if plan["reuse"]:
        try:
            world = seeded_world()
        except User.DoesNotExist:
            raise SystemExit("--reuse: no bench world in this database (run once without --reuse)") from None
        made = "reused"
    else:
        world = seed(plan["leads"], sql=True)  # the leads in SQL: minutes at a million
        made = f"seeded {plan['leads']:,} leads"
    plan.update(load_setup_make(plan, world, source_name=BENCH_SOURCE, sequence_name=BENCH_SEQUENCE))
    plan["count_before"] = plan["count_now"]
    plan_file.write_text(json.dumps(plan))
    print(f"database: {made}, {plan['count_now']:,} leads, ready in {time.perf_counter() - started:.0f} s", flush=True)
    return 0


def stage_locust(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(BENCH))
    from load_scenarios import locust_run  # imports locust first, which patches the standard library with gevent

    plan_file = Path(args.plan)
    figures = locust_run(json.loads(plan_file.read_text()))
    (plan_file.parent / "figures.json").write_text(json.dumps(figures))
    return 0


def stage_report(args: argparse.Namespace) -> int:
    """What became of the webhooks' leads, and of the staff's notes."""
    _django()
    from load_setup import load_outcome

    plan = json.loads(Path(args.plan).read_text())
    print(load_outcome(plan, source_name=BENCH_SOURCE), flush=True)
    return 0


# ---------------------------------------------------------------------------------------------------
# The figures.
# ---------------------------------------------------------------------------------------------------


def print_summary(args: argparse.Namespace, plan: dict, figures: dict, server_errors: list[str]) -> None:
    total = figures["total"]
    print(
        f"\n== Load: {args.users} staff + {args.webhooks_per_second:g} webhooks/s over {plan['count_before']:,} leads; "
        f"{figures['ramp']:.0f} s of sign-ins, then {args.duration:g} s (target p95 <= {TARGET_MS} ms, no errors) =="
    )
    header = f"{'endpoint':<30} {'requests':>8} {'req/s':>6} {'median':>7} {'p95':>6} {'max':>6} {'errors':>6}"
    print(header)
    print("-" * len(header))
    over = []
    for row in figures["rows"]:
        flag = "!" if row["p95"] > TARGET_MS or row["failures"] else " "
        print(
            f"{row['name']:<30} {row['requests']:8d} {row['rps']:6.1f} {row['median']:7.0f} {row['p95']:6.0f}"
            f" {row['max']:6.0f} {row['failures']:6d}{flag}"
        )
        if row["p95"] > TARGET_MS:
            over.append(f"{row['name']}: p95 {row['p95']:.0f} ms")
    print("-" * len(header))
    print(f"{'all':<30} {total['requests']:8d} {total['rps']:6.1f} {'':>7} {'':>6} {'':>6} {total['failures']:6d}")
    print(
        f"(ms; ! = p95 over {TARGET_MS} ms or an error; stale board moves refused with 409: {figures['stale_moves']};"
        f" page requests resent after the server closed their kept-alive connection: {figures['resent']})"
    )
    if over:
        print("\nOver the target:\n  " + "\n  ".join(over))
    if figures["errors"]:
        print("\nErrors:")
        for error in figures["errors"]:
            print(f"  {error['count']:5d} x {error['method']} {error['name']}: {error['error']}")
    if server_errors:
        print(f"\nServer log: {len(server_errors)} error lines, the first:\n  " + "\n  ".join(server_errors[:10]))
    if not over and not figures["errors"] and not server_errors:
        print("\nEvery endpoint within the target, no errors.")


if __name__ == "__main__":
    sys.exit(main())
