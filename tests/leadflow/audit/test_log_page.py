"""Settings → Audit log: admins only; search, filters, pages; CSV export (formula-safe, itself recorded); the
read-only admin; the expiry command and its daily schedule."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from leadflow.audit import AuditEvent, record
from leadflow.schedules import SCHEDULES
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

URL = "/settings/audit/"


def test_the_url_is_linked_from_the_settings_navigation(client, admin_ada):
    client.force_login(admin_ada)
    assert reverse("audit_log") == URL
    assert f'href="{URL}"' in client.get(reverse("crm:settings_general")).content.decode()


@pytest.mark.parametrize("persona", ["manager_mia", "rep_alice", "viewer_vic"])
def test_only_admins_see_or_export_the_log(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    assert client.get(reverse("audit_log_export")).status_code == 403
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_search_and_filters_find_the_right_events(client, admin_ada, rep_alice):
    record("user.deactivated", actor=admin_ada, target=rep_alice, channel="command")
    record("webhook.deleted", actor=rep_alice, channel="command", details={"url": "https://x.example"})
    old = record("user.reactivated", actor=admin_ada, target=rep_alice, channel="command")
    QuerySet.update(AuditEvent.objects.filter(pk=old.pk), at=timezone.now() - timedelta(days=10))
    client.force_login(admin_ada)

    def actions(**query) -> list[str]:
        response = client.get(URL, query)
        assert response.status_code == 200
        # Signing in is an event too; these are the others.
        return [event.action for event in response.context["page"] if not event.action.startswith("login.")]

    assert actions() == ["webhook.deleted", "user.deactivated", "user.reactivated"]
    assert actions(q="alice") == ["webhook.deleted", "user.deactivated", "user.reactivated"]  # actor or object
    assert actions(q="deactivated") == ["user.deactivated"]  # the action's own label
    assert actions(action="webhook.deleted") == ["webhook.deleted"]
    assert actions(actor=admin_ada.pk) == ["user.deactivated", "user.reactivated"]
    today = timezone.localdate().isoformat()
    assert actions(since=today, until=today) == ["webhook.deleted", "user.deactivated"]
    page = client.get(URL, {"action": "webhook.deleted"}).content.decode()
    assert "Webhook deleted" in page and "https://x.example" in page


@pytest.mark.parametrize(
    "query",
    [{"since": "31/02/2026"}, {"actor": "abc"}, {"actor": "99999999999999999999"}, {"action": "lead.teleported"},
     {"since": "2026-05-02", "until": "2026-05-01"}, {"page": "x"}],
)  # fmt: skip
def test_odd_filter_values_give_a_message_not_a_server_error(client, admin_ada, query):
    client.force_login(admin_ada)
    response = client.get(URL, query)
    assert response.status_code in {200, 400}
    if response.status_code == 400:
        assert 'class="errorlist' in response.content.decode()
        assert client.get(reverse("audit_log_export"), query).status_code == 400


def test_the_log_is_paged(client, admin_ada):
    for _ in range(51):
        record("user.deactivated", actor=admin_ada, channel="command")
    client.force_login(admin_ada)
    first = client.get(URL, {"action": "user.deactivated"})
    second = client.get(URL, {"action": "user.deactivated", "page": "2"})
    assert len(first.context["page"]) == 50 and len(second.context["page"]) == 1
    assert "?action=user.deactivated&page=2" in first.content.decode()


def test_the_export_is_formula_safe_filtered_and_itself_recorded(client, admin_ada):
    admin_ada.email = "=cmd@leadflow.test"
    admin_ada.save()
    lead = LeadFactory(first_name="Priya")
    record("leads.merged", actor=admin_ada, target=lead, channel="command", details={"merge": 1})
    record("webhook.deleted", actor=admin_ada, channel="command")
    client.force_login(admin_ada)

    response = client.get(reverse("audit_log_export"), {"action": "leads.merged"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    assert rows[0] == ["When (UTC)", "Actor", "Channel", "IP", "Action", "Object type", "Object id", "Object",
                       "Changes", "Details"]  # fmt: skip
    assert len(rows) == 2
    assert rows[1][1:] == ["'=cmd@leadflow.test", "command", "", "Leads merged", "crm.lead", str(lead.pk), "", "",
                           '{"merge": 1}']  # fmt: skip
    exported = AuditEvent.objects.get(action="audit.exported")
    assert (exported.actor, exported.details) == (admin_ada, {"filters": {"action": "leads.merged"}, "rows": 1})


def test_the_admin_shows_events_read_only_and_to_admins_only(client, admin_ada, manager_mia):
    event = record("user.deactivated", actor=admin_ada, channel="command")
    client.force_login(admin_ada)
    assert client.get(reverse("admin:leadflow_auditevent_changelist"), {"q": "deactivated"}).status_code == 200
    assert client.get(reverse("admin:leadflow_auditevent_change", args=[event.pk])).status_code == 200
    assert client.get(reverse("admin:leadflow_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:leadflow_auditevent_change", args=[event.pk]), {"action": "x"}).status_code == 403
    assert client.post(reverse("admin:leadflow_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "user.deactivated"
    client.force_login(manager_mia)
    assert client.get(reverse("admin:leadflow_auditevent_changelist")).status_code == 403


def test_expired_events_are_removed_by_the_command_and_a_daily_schedule(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old = record("user.deactivated", channel="command")
    QuerySet.update(AuditEvent.objects.filter(pk=old.pk), at=timezone.now() - timedelta(days=31))
    kept = record("user.reactivated", channel="command")
    out = io.StringIO()

    call_command("expire_audit_events", stdout=out)

    assert out.getvalue() == "Removed 1 audit event(s) older than 30 days.\n"
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [kept.pk]
    schedule = SCHEDULES["expire old audit events"]
    assert schedule["func"] == "leadflow.audit.audit_events_expire" and schedule["schedule_type"] == "D"
