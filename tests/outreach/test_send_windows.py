"""Sequence emails go out only inside the sequence's window in the lead's own zone (from the lead, its phone, its
country, else the team's) and inside the mailbox's window in its zone; outside, they wait for the next opening."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from crm.models import Lead, SiteSettings
from outreach.models import Message, SequenceStep
from outreach.scheduler import tick
from outreach.windows import lead_zone, window_next_open
from tests.outreach.sending import NOW, enrolled, sequence_create

OFFICE_DAYS = ["mon", "tue", "wed", "thu", "fri"]
OFFICE_HOURS = {"window_days": OFFICE_DAYS, "window_start": dt.time(9), "window_end": dt.time(17)}
UTC = dt.UTC


def test_a_lead_outside_its_window_waits_for_the_next_opening_then_gets_the_email(mail_sink, mailbox):
    # 14:00 UTC on Wednesday is 23:00 in Tokyo: the email waits for Thursday 09:00 there (00:00 UTC).
    enrollment = enrolled(sequence_create(mailbox, **OFFICE_HOURS), time_zone="Asia/Tokyo", email="kenji@t.example")

    report = tick(now=NOW)

    assert (report.sent, report.deferred) == (0, 1)
    assert report.deferred_reasons == {"outside the sending window": 1}
    assert mail_sink.received_by("kenji@t.example") == []
    assert not Message.objects.exists()
    enrollment.refresh_from_db()
    assert enrollment.due_at == dt.datetime(2026, 12, 3, 0, 0, tzinfo=UTC)

    assert tick(now=NOW + dt.timedelta(hours=10, minutes=30)).sent == 1
    assert len(mail_sink.received_by("kenji@t.example")) == 1


def test_a_lead_inside_its_window_is_sent_at_once(mail_sink, mailbox):
    enrolled(sequence_create(mailbox, **OFFICE_HOURS), time_zone="America/New_York", email="ny@t.example")  # 09:00

    assert tick(now=NOW).sent == 1


def test_the_leads_zone_comes_from_its_phone_then_its_country_then_the_team(db):
    SiteSettings.objects.create(pk=SiteSettings.SINGLETON_PK, currency="USD", time_zone="Asia/Tokyo")

    assert lead_zone(Lead(time_zone="Europe/Rome", phone="+14155550100")) == ZoneInfo("Europe/Rome")
    assert lead_zone(Lead(phone="+1 415 555 0100")) == ZoneInfo("America/Los_Angeles")
    assert lead_zone(Lead(phone="020 7946 0958", location="London, United Kingdom")).key in {
        "Europe/London", "Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey",  # all the same clock
    }  # fmt: skip
    assert lead_zone(Lead(location="Lyon, France")) == ZoneInfo("Europe/Paris")
    # A country over several zones says nothing sure: the team's zone it is.
    assert lead_zone(Lead(location="Denver, United States")) == ZoneInfo("Asia/Tokyo")
    assert lead_zone(Lead()) == ZoneInfo("Asia/Tokyo")


def test_a_lead_whose_phone_puts_it_in_california_is_not_woken_at_six(mail_sink, mailbox):
    enrollment = enrolled(sequence_create(mailbox, **OFFICE_HOURS), phone="+1 415 555 0100", email="sf@t.example")

    assert tick(now=NOW).deferred == 1  # 06:00 in San Francisco

    enrollment.refresh_from_db()
    assert enrollment.due_at == dt.datetime(2026, 12, 2, 17, 0, tzinfo=UTC)  # 09:00 there


def test_a_lead_with_no_zone_of_its_own_gets_the_teams(mail_sink, mailbox):
    SiteSettings.objects.create(pk=SiteSettings.SINGLETON_PK, currency="USD", time_zone="Asia/Tokyo")
    enrolled(sequence_create(mailbox, **OFFICE_HOURS), email="someone@t.example")

    assert tick(now=NOW).deferred == 1  # 23:00 in Tokyo


def test_no_email_goes_out_at_the_weekend_on_a_business_days_window(mail_sink, mailbox):
    saturday = dt.datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    enrollment = enrolled(sequence_create(mailbox, **OFFICE_HOURS), time_zone="UTC", due_at=saturday)

    assert tick(now=saturday).deferred == 1

    enrollment.refresh_from_db()
    assert enrollment.due_at == dt.datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # Monday morning


def test_the_mailboxs_own_window_holds_too(mail_sink, mailbox):
    # The mailbox sends 09:00-17:00 London time; the lead takes mail 09:00-17:00 New York time: they overlap
    # from 14:00 to 17:00 UTC. At 18:00 UTC the lead's window is open but the mailbox's is not.
    mailbox.time_zone, mailbox.window_start, mailbox.window_end = "Europe/London", dt.time(9), dt.time(17)
    mailbox.window_days = OFFICE_DAYS
    mailbox.save()
    late = dt.datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    enrollment = enrolled(sequence_create(mailbox, **OFFICE_HOURS), time_zone="America/New_York", due_at=late)

    assert tick(now=late).deferred == 1

    enrollment.refresh_from_db()
    assert enrollment.due_at == dt.datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


def test_a_step_delayed_in_business_days_skips_the_weekend(mail_sink, mailbox):
    thursday = dt.datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    sequence = sequence_create(mailbox, steps=2)
    SequenceStep.objects.filter(sequence=sequence, position=2).update(business_days=True)
    enrollment = enrolled(sequence, time_zone="UTC", due_at=thursday)

    assert tick(now=thursday).sent == 1

    enrollment.refresh_from_db()
    assert (enrollment.next_position, enrollment.due_at) == (2, dt.datetime(2026, 12, 7, 10, 0, tzinfo=UTC))


def test_a_window_over_midnight_is_open_after_midnight_and_opens_again_in_the_evening():
    zone = ZoneInfo("UTC")
    night = {"zone": zone, "days": [], "start": dt.time(22), "end": dt.time(6)}
    at_three = dt.datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
    at_noon = dt.datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

    assert window_next_open(at_three, **night) == at_three
    assert window_next_open(at_noon, **night) == dt.datetime(2026, 12, 3, 22, 0, tzinfo=UTC)


def test_a_window_follows_the_clock_change():
    # New York changes from EDT (UTC-4) to EST (UTC-5) on Sunday 1 November 2026: 09:00 Monday is 14:00 UTC.
    sunday = dt.datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    opens = window_next_open(sunday, ZoneInfo("America/New_York"), OFFICE_DAYS, dt.time(9), dt.time(17))
    assert opens == dt.datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
