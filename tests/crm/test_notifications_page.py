"""The header's notification count, the notifications page with mark-read, and choosing to be emailed as well."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Notification
from crm.services.notifications import notify

pytestmark = pytest.mark.django_db


def test_the_header_counts_unread_notifications_and_the_page_lists_them(client, rep_alice, rep_bob):
    notify(rep_alice, kind=Notification.Kind.REPLY, text="Priya Shah replied (Email)", url="/inbox/7/")
    notify(rep_alice, kind=Notification.Kind.LEAD, text="New lead: Omar Haddad")
    notify(rep_bob, kind=Notification.Kind.REPLY, text="Bob's own news")
    client.force_login(rep_alice)
    page = client.get(reverse("crm:dashboard")).content.decode()
    assert 'aria-label="Notifications: 2 unread"' in page and '<span class="menu-count">2</span>' in page
    listing = client.get(reverse("crm:notifications")).content.decode()
    assert 'href="/inbox/7/"' in listing and "New lead: Omar Haddad" in listing and "Bob's own news" not in listing


def test_the_header_count_is_one_query(client, rep_alice):
    notify(rep_alice, kind=Notification.Kind.REPLY, text="Priya Shah replied")
    client.force_login(rep_alice)
    client.get(reverse("crm:tasks"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("crm:tasks"))
    assert len([q for q in queries.captured_queries if "crm_notification" in q["sql"]]) == 1


def test_mark_one_read_then_all_and_never_someone_elses(client, rep_alice, rep_bob):
    first = notify(rep_alice, kind=Notification.Kind.REPLY, text="One")
    second = notify(rep_alice, kind=Notification.Kind.REPLY, text="Two")
    bobs = notify(rep_bob, kind=Notification.Kind.REPLY, text="Bob's")
    client.force_login(rep_alice)
    read = reverse("crm:notifications_read")
    client.post(read, {"ids": [first.pk, bobs.pk, "²"]})
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
    client.post(read, {"all": "1"})
    second.refresh_from_db()
    bobs.refresh_from_db()
    assert second.read_at is not None and bobs.read_at is None
    assert "menu-count" not in client.get(reverse("crm:notifications")).content.decode().split("<main>")[0]


def test_people_choose_to_be_emailed_on_their_own_settings_page(client, rep_alice):
    client.force_login(rep_alice)
    client.post(reverse("crm:my_settings"), {"time_zone": "", "notify_by_email": "on"})
    rep_alice.refresh_from_db()
    assert rep_alice.notify_by_email is True
    client.post(reverse("crm:my_settings"), {"time_zone": ""})
    rep_alice.refresh_from_db()
    assert rep_alice.notify_by_email is False
    assert 'name="notify_by_email"' in client.get(reverse("crm:my_settings")).content.decode()


def test_the_email_goes_once_the_reply_is_kept(rep_alice, django_capture_on_commit_callbacks):
    rep_alice.notify_by_email = True
    rep_alice.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(rep_alice, kind=Notification.Kind.REPLY, text="Priya replied", email_body="Priya wrote: yes")
    assert [message.to for message in mail.outbox] == [[rep_alice.email]]
