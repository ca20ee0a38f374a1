"""/healthz: 200 with database and queue status, 503 when the database is unreachable."""

import pytest
from django.db import OperationalError, connections
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_reports_database_and_queue_without_login(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["queue"] == {"broker": "orm", "queued": 0, "status": "ok"}


def test_it_is_503_when_the_database_is_unreachable(client, monkeypatch):
    def refuse_connection(*args, **kwargs):
        raise OperationalError("connection refused")

    # The database server going away looks like this to Django: every new cursor fails.
    monkeypatch.setattr(type(connections["default"]), "cursor", refuse_connection)
    response = client.get(reverse("healthz"))
    monkeypatch.undo()
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}
