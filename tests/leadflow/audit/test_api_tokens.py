"""Audit: API tokens made (on My settings and by the command), revoked, and used (at most once an hour each)."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from leadflow.api.tokens import api_token_create
from leadflow.audit import AuditEvent
from leadflow.models import ApiToken

pytestmark = pytest.mark.django_db


def test_a_token_made_on_my_settings_is_recorded_without_its_secret(client, rep_alice, only_event):
    client.force_login(rep_alice)
    page = client.post(reverse("api_token_new"), {"name": "Zapier", "expires_in": ""}, REMOTE_ADDR="203.0.113.7")
    secret = page.context["issued"].secret

    event = only_event("api_token.created")
    token = ApiToken.objects.get()
    assert (event.actor, event.ip, event.object_type, event.object_id) == (
        rep_alice,
        "203.0.113.7",
        "leadflow.apitoken",
        str(token.pk),
    )
    assert event.details == {"user": rep_alice.email, "scope": "read-write", "expires_at": None}
    assert secret not in str(AuditEvent.objects.values())


def test_a_token_made_by_the_command_is_recorded_as_a_command(rep_alice, only_event):
    call_command("api_token", rep_alice.email, "--name", "CI", stdout=io.StringIO(), stderr=io.StringIO())

    event = only_event("api_token.created")
    assert (event.actor, event.channel, event.details["user"]) == (None, "command", rep_alice.email)


def test_revoking_is_recorded(client, rep_alice, only_event):
    issued = api_token_create(user=rep_alice, name="old")
    client.force_login(rep_alice)
    client.post(reverse("api_token_revoke", args=[issued.token.pk]))
    client.post(reverse("api_token_revoke", args=[issued.token.pk]))  # already revoked: nothing more

    event = only_event("api_token.revoked")
    assert (event.actor, event.object_id) == (rep_alice, str(issued.token.pk))


def test_use_is_recorded_with_the_address_at_most_once_an_hour(rep_alice, only_event):
    issued = api_token_create(user=rep_alice, name="Zapier")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    for _ in range(3):
        assert api.get("/api/v1/leads/", REMOTE_ADDR="198.51.100.20").status_code == 200
    # A minute later the last use is written again, but the log already has this hour's.
    QuerySet.update(ApiToken.objects.all(), last_used_at=timezone.now() - timedelta(minutes=2))
    api.get("/api/v1/leads/", REMOTE_ADDR="198.51.100.20")

    event = only_event("api_token.used")
    assert (event.actor, event.channel, event.ip, event.object_id) == (
        rep_alice,
        "api",
        "198.51.100.20",
        str(issued.token.pk),
    )

    # An hour on, the next use is in the log again.
    QuerySet.update(AuditEvent.objects.filter(action="api_token.used"), at=timezone.now() - timedelta(minutes=61))
    QuerySet.update(ApiToken.objects.all(), last_used_at=timezone.now() - timedelta(minutes=2))
    api.get("/api/v1/leads/", REMOTE_ADDR="198.51.100.20")
    assert AuditEvent.objects.filter(action="api_token.used").count() == 2
