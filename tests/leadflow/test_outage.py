"""While the database cannot be reached, a page answers 503 with Retry-After; other errors stay 500s."""

import pytest
from django.db import OperationalError, connections
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_page_is_503_with_retry_after_while_the_database_is_away(rep_alice, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(rep_alice)

    def refuse_connection(*args, **kwargs):
        raise OperationalError("connection refused")

    # The session and the user are read from the database in middleware, before any view runs.
    monkeypatch.setattr(type(connections["default"]), "cursor", refuse_connection)
    response = client.get("/leads/")
    monkeypatch.undo()
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "cannot reach its database" in response.content.decode()


def test_any_other_error_is_still_a_500(rep_alice, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(rep_alice)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("crm.views.leads.leads_visible_to", broken)
    assert client.get("/leads/").status_code == 500
