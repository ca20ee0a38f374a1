"""Every time shows in the signed-in person's zone (else the site's), and the page says which zone that is."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from crm.models import Activity
from crm.services.site import site_settings_update
from crm.services.users import user_set_time_zone
from tests.factories import LeadFactory, TaskFactory

pytestmark = pytest.mark.django_db

NOON_UTC = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)


def _my_tasks(client, user) -> str:
    TaskFactory(lead=LeadFactory(owner=user), assignee=user, title="Call Noor", due_at=NOON_UTC)
    client.force_login(user)
    return client.get(reverse("crm:tasks")).content.decode()


def test_a_user_in_kolkata_sees_task_times_shifted_and_labelled(client, rep_alice):
    rep_alice.time_zone = "Asia/Kolkata"
    rep_alice.save()
    html = _my_tasks(client, rep_alice)
    assert "due Tue 15 Jan, 17:30" in html
    assert "Times in Asia/Kolkata (IST)" in html


def test_a_user_in_kolkata_sees_the_timeline_and_lead_dates_shifted(client, rep_alice):
    rep_alice.time_zone = "Asia/Kolkata"
    rep_alice.save()
    lead = LeadFactory(owner=rep_alice)
    type(lead).objects.filter(pk=lead.pk).update(created_at=NOON_UTC)
    activity = lead.activities.create(kind="note", summary="Note: called")
    Activity.objects.filter(pk=activity.pk).update(created_at=NOON_UTC)
    client.force_login(rep_alice)
    html = client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    assert "<dt>Created</dt><dd>15 Jan 2030 17:30</dd>" in html
    assert 'datetime="2030-01-15T17:30:00+05:30" title="Jan. 15, 2030, 5:30 p.m."' in html
    assert "Times in Asia/Kolkata (IST)" in html


def test_the_site_default_applies_to_someone_who_chose_no_zone(client, admin_ada, rep_bob):
    client.force_login(admin_ada)
    client.post(reverse("crm:settings_general"), {"currency": "EUR", "time_zone": "Europe/Paris"})
    html = _my_tasks(client, rep_bob)
    assert "due Tue 15 Jan, 13:00" in html
    assert "Times in Europe/Paris (CET)" in html


def test_before_any_admin_chose_the_site_zone_comes_from_the_settings(client, settings, rep_bob):
    settings.TIME_ZONE = "America/New_York"
    html = _my_tasks(client, rep_bob)
    assert "due Tue 15 Jan, 07:00" in html
    assert "Times in America/New_York (EST)" in html


def test_a_task_entered_in_kolkata_is_kept_in_utc_and_its_timeline_line_names_the_zone(client, rep_alice):
    rep_alice.time_zone = "Asia/Kolkata"
    rep_alice.save()
    lead = LeadFactory(owner=rep_alice)
    client.force_login(rep_alice)
    client.post(
        reverse("crm:lead_task_add", args=[lead.pk]),
        {"title": "Call Noor", "kind": "call", "due_at": "2030-01-15T17:30"},
    )
    assert lead.tasks.get().due_at == NOON_UTC
    assert lead.activities.get(kind="task").summary == "Task: Call Noor, due 15 Jan 17:30 IST"


def test_my_settings_is_linked_from_the_top_bar_and_saves_a_real_zone(client, rep_alice):
    client.force_login(rep_alice)
    dashboard = client.get(reverse("crm:dashboard")).content.decode()
    assert f'<a href="{reverse("crm:my_settings")}">Alice Example</a>' in dashboard
    assert "The site&#x27;s (UTC)" in client.get(reverse("crm:my_settings")).content.decode()
    refused = client.post(reverse("crm:my_settings"), {"time_zone": "Mars/Olympus"})
    assert refused.status_code == 422
    assert "Select a valid choice. Mars/Olympus is not one of the available choices." in refused.content.decode()
    saved = client.post(reverse("crm:my_settings"), {"time_zone": "Asia/Kolkata"}, follow=True)
    assert "Times in Asia/Kolkata (IST)" in saved.content.decode()
    rep_alice.refresh_from_db()
    assert rep_alice.time_zone == "Asia/Kolkata"
    client.post(reverse("crm:my_settings"), {"time_zone": ""})
    rep_alice.refresh_from_db()
    assert rep_alice.time_zone == ""


def test_a_viewer_chooses_their_zone_too(client, viewer_vic):
    client.force_login(viewer_vic)
    client.post(reverse("crm:my_settings"), {"time_zone": "Europe/Berlin"})
    viewer_vic.refresh_from_db()
    assert viewer_vic.time_zone == "Europe/Berlin"


def test_the_services_refuse_unreal_zones_and_other_peoples_settings(rep_alice, rep_bob, admin_ada):
    with pytest.raises(ValidationError):
        user_set_time_zone(user=rep_alice, time_zone="Mars/Olympus", actor=rep_alice)
    with pytest.raises(PermissionDenied):
        user_set_time_zone(user=rep_alice, time_zone="Asia/Kolkata", actor=rep_bob)
    with pytest.raises(ValidationError) as refused:
        site_settings_update(actor=admin_ada, currency="XQQ", time_zone="Europe/Paris")
    assert refused.value.message_dict == {"currency": ["XQQ is no ISO 4217 currency code such as USD or EUR."]}


def test_the_back_office_shows_times_in_the_users_zone_and_says_so(client, manager_mia):
    manager_mia.time_zone = "Asia/Kolkata"
    manager_mia.save()
    TaskFactory(title="Call Noor", due_at=NOON_UTC)
    client.force_login(manager_mia)
    html = client.get(reverse("admin:crm_task_changelist")).content.decode()
    assert "Jan. 15, 2030, 5:30 p.m." in html
    assert "Times in Asia/Kolkata (IST)" in html
