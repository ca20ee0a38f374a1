"""Gunicorn's configuration for the production web server (`bin/serve --prod`, the Procfile's `web`)."""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

# LEADFLOW_ADDR as for the demo server; a platform that assigns a port sets PORT instead.
bind = [os.environ.get("LEADFLOW_ADDR") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"]

# Threaded workers: a thread waits on the database or a slow client while the others serve. Twice the cores plus one
# processes (gunicorn's advice), each with a few threads; WEB_CONCURRENCY and WEB_THREADS override both.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("WEB_THREADS", "4"))

# A worker silent this long is killed and replaced; a stopping worker gets this long to finish its requests; an idle
# kept-alive connection is closed after `keepalive` seconds. A new connection that sends nothing holds a thread for
# at most 5 s (gunicorn's gthread data timeout), then waits in the poller until `keepalive` closes it. A client that
# trickles its headers holds a thread until done: the buffering proxy in front absorbs those (README, Production).
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "20"))
# Longer than the clients' and proxies' own idle time (60 s for nginx and most load balancers): the side that waits
# longest must not be the one that closes, or a request sent as the server closes the connection is reset. Idle
# connections cost no thread under gthread (they wait in its poller).
keepalive = int(os.environ.get("WEB_KEEPALIVE", "75"))

# Requests bigger than these are refused before Django sees them.
limit_request_line = 8190
limit_request_fields = 100

# Django, every URL and its views are loaded once in the master before the workers fork from it: a new worker (at
# start, after max_requests) answers its first request at once and shares that memory with the others.
preload_app = True

# A worker is replaced after about this many requests, so slow leaks cannot grow without end.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10

# Django's own JSON log lines carry each request with its id; gunicorn's access log would say it twice.
accesslog = None
# No control socket (gunicornc): several servers on one machine would share its default path.
errorlog = "-"
control_socket_disable = True

# django-prometheus counts in each worker process; /metrics sums the workers' files in this folder. A folder of its
# own per start (unless one is given), emptied at start: figures of an earlier run must not be summed again.
_own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="leadflow-metrics-")


def on_starting(server) -> None:
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def when_ready(server) -> None:
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module, in the master


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
