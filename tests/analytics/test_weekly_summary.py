"""The weekly summary email: to managers and admins who did not opt out, once a week, through a real SMTP server."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from analytics.models import SummaryOptOut, SummarySent
from analytics.summary import last_week, weekly_summaries_send
from crm.models import Activity
from tests.factories import LeadFactory
from tests.fakes.mail_sink import MailSink

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 4, 13)  # the summary covers 6-12 April


@pytest.fixture
def last_weeks_leads(rep_alice):
    at = timezone.make_aware(datetime(2026, 4, 8, 10))
    for _ in range(3):
        LeadFactory(source="Webinar", created_at=at, owner=rep_alice)
    replied = LeadFactory(source="=cmd|' /C calc'!A0", created_at=at, deal_value=Decimal("100"))
    Activity.objects.create(lead=replied, kind=Activity.Kind.REPLIED, summary="Re", created_at=at)


def test_the_summary_covers_the_last_full_week():
    assert last_week(MONDAY) == (date(2026, 4, 6), date(2026, 4, 12))
    assert last_week(date(2026, 4, 19)) == (date(2026, 4, 6), date(2026, 4, 12))  # a Sunday: that week is not over


def test_managers_and_admins_get_it_once_reps_viewers_and_those_who_opted_out_do_not(
    admin_ada, manager_mia, rep_alice, viewer_vic, last_weeks_leads, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    first = weekly_summaries_send(MONDAY)
    again = weekly_summaries_send(MONDAY)
    assert sorted(first.sent) == ["ada@leadflow.test", "mia@leadflow.test"]
    assert sorted(again.already) == ["ada@leadflow.test", "mia@leadflow.test"] and not again.sent
    assert len(mail.outbox) == 2
    message = mail.outbox[0]
    assert message.subject == "Leadflow weekly summary: 6 Apr – 12 Apr 2026"
    assert "New leads and contacts: 4 (week before: 0)" in message.body
    assert "Replies: 1 (week before: 0)" in message.body
    assert "- Webinar: 3 added, 0 MQL, 0 won" in message.body
    html = message.alternatives[0][0]
    assert "<strong>4</strong>" in html
    assert "=cmd|&#x27; /C calc&#x27;!A0" in html  # lead-supplied text is escaped in the HTML part

    SummaryOptOut.objects.create(user=manager_mia)
    next_week = weekly_summaries_send(date(2026, 4, 20))
    assert next_week.sent == ["ada@leadflow.test"] and next_week.opted_out == ["mia@leadflow.test"]


def test_it_is_delivered_through_smtp_and_a_refused_address_is_tried_again(
    admin_ada, manager_mia, last_weeks_leads, settings
):
    sink = MailSink().start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = sink.host, sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        sink.refusals["mia@leadflow.test"] = "451 4.7.1 Try again later"
        run = weekly_summaries_send(MONDAY)
        assert run.sent == ["ada@leadflow.test"] and run.failed == ["mia@leadflow.test"]
        received = sink.received_by("ada@leadflow.test")
        assert len(received) == 1
        assert received[0]["Subject"] == "Leadflow weekly summary: 6 Apr – 12 Apr 2026"
        assert received[0].get_body(("html",)) is not None
        assert not SummarySent.objects.filter(user=manager_mia).exists()

        del sink.refusals["mia@leadflow.test"]
        assert weekly_summaries_send(MONDAY).sent == ["mia@leadflow.test"]
        assert sink.copies_per_recipient() == {"ada@leadflow.test": 1, "mia@leadflow.test": 1}
    finally:
        sink.stop()


def test_the_command_says_who_got_it(admin_ada, capsys, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("send_weekly_summary")
    out = capsys.readouterr().out
    assert "Weekly summary for" in out and "sent to ada@leadflow.test" in out


def test_a_manager_opts_out_and_back_in_on_the_settings_page(client, manager_mia, rep_alice):
    client.force_login(manager_mia)
    client.post(reverse("analytics:summary_settings"))
    assert SummaryOptOut.objects.filter(user=manager_mia).exists()
    client.post(reverse("analytics:summary_settings"), {"wanted": "1"})
    assert not SummaryOptOut.objects.exists()
    assert reverse("analytics:summary_settings") in client.get(reverse("crm:my_settings")).content.decode()
    client.force_login(rep_alice)
    assert "goes to managers and admins" in client.get(reverse("analytics:summary_settings")).content.decode()
