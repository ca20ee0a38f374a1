"""The audit log's one writer and its append-only rule."""

from datetime import timedelta

import pytest
from django.db.models import QuerySet
from django.test import RequestFactory
from django.utils import timezone

from leadflow.audit import AppendOnlyError, AuditEvent, record
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_event_from_a_request_names_the_user_their_address_and_browser():
    user = UserFactory(email="ann@leadflow.test")
    request = RequestFactory().get("/leads/", HTTP_USER_AGENT="Firefox/140", REMOTE_ADDR="203.0.113.9")
    request.user = user

    event = record("login.succeeded", request=request, target=user)

    event.refresh_from_db()
    assert (event.actor, event.actor_label, event.channel) == (user, "ann@leadflow.test", "web")
    assert (event.ip, event.user_agent) == ("203.0.113.9", "Firefox/140")
    assert (event.object_type, event.object_id, event.object_label) == ("crm.user", str(user.pk), str(user))


def test_a_lead_is_named_by_its_id_only():
    lead = LeadFactory(first_name="Priya", email="priya@example.com")

    event = record("login.failed", target=lead, channel="command")

    assert (event.object_type, event.object_id, event.object_label, event.channel) == (
        "crm.lead",
        str(lead.pk),
        "",
        "command",
    )


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError, match=r"add it to leadflow\.audit\.ACTIONS"):
        record("lead.teleported")
    assert not AuditEvent.objects.exists()


def test_events_are_never_changed_or_deleted_from_the_app():
    event = record("login.failed", details={"email": "nobody@example.com"})

    event.details = {}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(action="login.succeeded")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().details == {"email": "nobody@example.com"}


def test_only_events_older_than_the_cutoff_expire():
    old = record("login.failed")
    QuerySet.update(AuditEvent.objects.filter(pk=old.pk), at=timezone.now() - timedelta(days=800))  # a test back door
    recent = record("login.failed")

    assert AuditEvent.objects.expire_before(timezone.now() - timedelta(days=730)) == 1

    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]
