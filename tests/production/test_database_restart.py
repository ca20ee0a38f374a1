"""PostgreSQL restarted under the production server (gunicorn, the Procfile's web and worker commands) on a
throwaway PostgreSQL of the test's own: while it is down every request fails fast with a 503 (none hangs, none is a
500); once it is back every request succeeds (kept connections are checked before reuse), and the job cluster runs
new work again."""

from __future__ import annotations

import time

import psycopg
import pytest
import requests
from django.db import connection

from tests.production.conftest import DATABASE_URL
from tests.production.own_postgresql import database_copy, own_postgresql_remove, own_postgresql_start
from tests.production.servers import manage, procfile_command, production_environment, server_start

pytestmark = [
    pytest.mark.skipif(not DATABASE_URL.startswith("postgres"), reason="needs PostgreSQL: DATABASE_URL=postgres://…"),
    pytest.mark.django_db(transaction=True),
]

CREATE_TOKEN = """
from django.contrib.auth.models import Group
from crm.models import User
from leadflow.api.tokens import api_token_create
user = User.objects.create_user("ops@leadflow.example", "unused password 42", first_name="Ops")
user.groups.add(Group.objects.get_or_create(name="Admin")[0])
print(api_token_create(user=user, name="restart test").secret)
"""
# A request that cannot hang for long counts as failing fast; the 15 s bound is PostgreSQL's connect_timeout (5 s)
# with room to spare on a busy machine, not a speed measurement.
FAST = 15


@pytest.fixture
def own_postgresql():
    server = own_postgresql_start()
    yield server
    own_postgresql_remove(server)


def _source_url() -> str:
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"


def _task_succeeded(database_url: str, name: str) -> bool:
    with psycopg.connect(database_url) as db:
        return db.execute("SELECT success FROM django_q_task WHERE name = %s", [name]).fetchone() == (True,)


def test_a_postgresql_restart_fails_requests_fast_then_everything_recovers(own_postgresql, tmp_path, request):
    database_url = database_copy(source_url=_source_url(), server=own_postgresql, name="leadflow")
    env = production_environment(database_url=database_url, tmp_path=tmp_path, WEB_THREADS="2")
    token = manage("shell", "-c", CREATE_TOKEN, env=env).strip().splitlines()[-1]
    web = server_start(
        ["bash", "-c", f"exec {procfile_command('web')}"], env=env, log_path=tmp_path / "web.log", ready_within=300
    )
    request.addfinalizer(web.kill)
    worker = server_start(
        ["bash", "-c", f"exec {procfile_command('worker')}"],
        env=env,
        log_path=tmp_path / "worker.log",
        ready_within=None,
    )
    request.addfinalizer(worker.kill)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    leads = f"{web.url}/api/v1/leads/"
    # Every thread of both workers opens (and keeps) a connection.
    assert {api.get(leads, timeout=FAST).status_code for _ in range(12)} == {200}

    own_postgresql.stop()
    down = [api.get(leads, timeout=FAST) for _ in range(6)]
    assert [answer.status_code for answer in down] == [503] * 6
    assert {answer.headers["Retry-After"] for answer in down} == {"10"}
    health = requests.get(f"{web.url}/healthz", timeout=FAST)
    assert (health.status_code, health.json()) == (503, {"status": "error", "database": "unreachable"})

    own_postgresql.start()
    assert [api.get(leads, timeout=FAST).status_code for _ in range(24)] == [200] * 24

    # The cluster lived through it: a task queued now is run.
    queue = "from django_q.tasks import async_task; async_task('math.floor', 2.5, task_name='after-restart')"
    manage("shell", "-c", queue, env=env)
    deadline = time.monotonic() + 120
    while not _task_succeeded(database_url, "after-restart") and time.monotonic() < deadline:
        assert worker.process.poll() is None, worker.log()[-3000:]
        time.sleep(1)
    assert _task_succeeded(database_url, "after-restart"), worker.log()[-3000:]
    assert web.stop() == 0 and worker.stop() == 0
