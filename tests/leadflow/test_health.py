"""/healthz: 200 with database and queue status, "degraded" with the reasons when the job queue is stalled, 503
when the database is unreachable."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connections
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from tests.queue.test_cluster import ROOT, manage_environment

NO_CLUSTER = "no job cluster heartbeat: is `manage.py qcluster` running?"


@pytest.mark.django_db
def test_without_a_running_cluster_it_says_the_queue_is_stalled(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200  # pages still work: only jobs wait
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "queue": {"broker": "orm", "queued": 0, "clusters": 0, "status": "stalled", "oldest_seconds": 0.0},
        "reasons": [NO_CLUSTER],
    }


@pytest.mark.django_db
def test_a_task_waiting_too_long_is_a_reason(client, settings):
    settings.HEALTH_QUEUE_STALL_SECONDS = 300
    OrmQ.objects.create(key="leadflow", payload="x", lock=timezone.now() - timedelta(minutes=12))
    body = client.get(reverse("healthz")).json()
    assert body["status"] == "degraded"
    assert body["queue"]["queued"] == 1 and body["queue"]["oldest_seconds"] >= 720
    assert body["reasons"] == [NO_CLUSTER, "the oldest queued task has waited 720 s"]


@pytest.mark.django_db(transaction=True)
def test_with_a_real_cluster_beating_it_is_ok(client, tmp_path):
    log = tmp_path / "cluster.log"
    with log.open("wb") as output:
        cluster = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=manage_environment(media_root=tmp_path),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while (body := client.get(reverse("healthz")).json())["status"] != "ok" and time.monotonic() < deadline:
            assert cluster.poll() is None, log.read_text()[-3000:]
            time.sleep(1)
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        cluster.wait(timeout=60)
    assert body == {  # (the cluster's log is in tmp_path/cluster.log)
        "status": "ok",
        "database": "ok",
        "queue": {"broker": "orm", "queued": 0, "clusters": 1, "status": "ok", "oldest_seconds": 0.0},
    }


@pytest.mark.django_db
def test_it_is_503_when_the_database_is_unreachable(client, monkeypatch):
    def refuse_connection(*args, **kwargs):
        raise OperationalError("connection refused")

    # The database server going away looks like this to Django: every new cursor fails.
    monkeypatch.setattr(type(connections["default"]), "cursor", refuse_connection)
    response = client.get(reverse("healthz"))
    monkeypatch.undo()
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}
