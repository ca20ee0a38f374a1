"""`bin/serve --prod` (what `make prod` runs) on PostgreSQL and Redis with DEBUG off: static files from WhiteNoise
with far-future caching, /healthz with a live cluster, /metrics, a sign-in through allauth's form and a page, JSON
log lines with request ids and no emails, and a clean stop."""

from __future__ import annotations

import json
import re
import socket
import time

import pytest
import requests

from tests.production.conftest import REDIS_URL, needs_postgresql_and_redis
from tests.production.servers import manage, production_environment, server_start, signed_in_session

pytestmark = needs_postgresql_and_redis

EMAIL, PASSWORD = "olga.operator@leadflow.example", "a long production password 42"
CREATE_ADMIN = f"""
from django.contrib.auth.models import Group
from crm.models import User
user = User.objects.create_user({EMAIL!r}, {PASSWORD!r}, first_name="Olga", is_staff=True, is_superuser=True)
user.groups.add(Group.objects.get(name="Admin"))
"""


@pytest.fixture(scope="module")
def production_server(fresh_postgresql_database, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("production")
    env = production_environment(
        database_url=fresh_postgresql_database,
        tmp_path=tmp_path,
        Q_REDIS_URL=REDIS_URL,
        CACHE_URL=REDIS_URL,
        WEB_KEEPALIVE="5",  # silent clients are seen closed within the test's minute
    )
    # Migrations, static files and schedules come first: minutes on a busy 2-core machine.
    server = server_start(["bin/serve", "--prod"], env=env, log_path=tmp_path / "server.log", ready_within=900)
    try:
        manage("shell", "-c", CREATE_ADMIN, env=env)
    except BaseException:
        server.kill()
        raise
    yield server
    server.kill()


def test_static_files_are_served_hashed_compressed_and_cached_for_a_year(production_server):
    page = requests.get(f"{production_server.url}/accounts/login/", timeout=30).text
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page)[1]
    answer = requests.get(f"{production_server.url}{stylesheet}", headers={"Accept-Encoding": "br, gzip"}, timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "max-age=315360000, public, immutable"
    assert answer.headers["Content-Encoding"] in ("br", "gzip")
    assert "body" in answer.text
    # Only hashed names are kept (WHITENOISE_KEEP_ONLY_HASHED_FILES).
    assert requests.get(f"{production_server.url}/static/css/app.css", timeout=30).status_code == 404


def test_healthz_reports_the_database_and_a_live_cluster_on_redis(production_server):
    deadline = time.monotonic() + 120
    while True:  # the cluster's first heartbeat follows its start by a few seconds
        body = requests.get(f"{production_server.url}/healthz", timeout=30).json()
        if body["status"] == "ok" or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert body["status"] == "ok", body
    assert body["queue"]["broker"] == "redis" and body["queue"]["clusters"] >= 1


def test_a_person_signs_in_and_opens_pages_with_debug_off(production_server):
    session = signed_in_session(production_server.url, EMAIL, PASSWORD)
    leads = session.get(f"{production_server.url}/leads/", headers={"X-Request-ID": "e2e-leads-1"}, timeout=30)
    assert leads.status_code == 200 and "Olga" in leads.text
    assert leads.headers["X-Request-ID"] == "e2e-leads-1"
    search = session.get(f"{production_server.url}/leads/", params={"q": "someone.else@client.example"}, timeout=30)
    assert search.status_code == 200
    missing = session.get(f"{production_server.url}/no-such-page/", timeout=30)
    assert missing.status_code == 404 and "URLconf" not in missing.text  # no debug page


def test_metrics_count_requests_and_leadflows_figures(production_server):
    text = requests.get(f"{production_server.url}/metrics", timeout=30).text
    # The requests above went to either of the two workers: the figures are summed over both.
    (served,) = re.findall(r'^django_http_responses_total_by_status_total\{status="200"\} (\S+)$', text, re.M)
    assert float(served) >= 4
    assert re.search(r"^leadflow_queue_depth \d", text, re.M)
    assert re.search(r"^leadflow_clusters_running [1-9]", text, re.M)
    assert re.search(r"^leadflow_messages_sent_total 0\.0$", text, re.M)


def test_log_lines_are_json_with_request_ids_and_no_email(production_server):
    lines = [json.loads(line) for line in production_server.log().splitlines() if line.startswith("{")]
    (leads,) = [line for line in lines if line.get("request_id") == "e2e-leads-1"]
    assert (leads["logger"], leads["path"], leads["status"]) == ("leadflow.requests", "/leads/", 200)
    searches = [line["path"] for line in lines if line.get("path", "").startswith("/leads/?q=")]
    assert searches == ["/leads/?q=s***@client.example"]
    assert "someone.else" not in production_server.log() and EMAIL not in production_server.log()


def test_slow_and_silent_clients_do_not_hold_up_other_people(production_server):
    """Fewer stalled clients than threads (2 workers with 4 threads each here): the others are served meanwhile, and
    the silent ones are dropped by gunicorn (handed back to its poller after 5 s, closed after WEB_KEEPALIVE)."""
    address = production_server.url.removeprefix("http://").split(":")
    silent = [socket.create_connection((address[0], int(address[1]))) for _ in range(3)]
    trickling = [socket.create_connection((address[0], int(address[1]))) for _ in range(2)]
    for connection in trickling:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # and never the rest
    try:
        # The 15 s bound is how long a person would wait, not a speed measurement.
        assert [requests.get(f"{production_server.url}/healthz", timeout=15).status_code for _ in range(8)] == [200] * 8
        for connection in silent:
            connection.settimeout(60)
            assert connection.recv(1) == b""  # closed by the server
    finally:
        for connection in silent + trickling:
            connection.close()


def test_it_stops_cleanly_with_its_web_server_and_cluster(production_server):
    production_server.stop()
    assert not production_server.group_alive()  # gunicorn, its workers and the cluster all ended
    assert "Shutting down: Master" in production_server.log()
    assert re.search(r"Q Cluster \S+ has stopped", production_server.log())
