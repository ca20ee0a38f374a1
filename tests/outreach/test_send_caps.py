"""Caps hold: per mailbox (with its warm-up ramp), per sequence and per recipient domain, for every worker together;
what a cap holds back waits for the next day's window."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from outreach.models import Enrollment, Message, SendCount
from outreach.scheduler import tick
from tests.outreach.sending import NOW, enrolled, sequence_create

TOMORROW = NOW + dt.timedelta(days=1)


def _enroll_many(sequence, count: int, *, domain: str = "") -> list[Enrollment]:
    return [enrolled(sequence, email=f"lead{n}@{domain or f'company{n}.example'}") for n in range(count)]


def test_the_mailbox_cap_holds_and_the_rest_go_the_next_day(mail_sink, mailbox, sequence):
    mailbox.daily_cap = 3
    mailbox.save()
    _enroll_many(sequence, 5)

    report = tick(now=NOW)

    assert (report.sent, report.deferred, report.deferred_reasons) == (3, 2, {"mailbox daily cap": 2})
    assert len(mail_sink.messages) == 3
    waiting = Enrollment.objects.filter(status=Enrollment.Status.ACTIVE).values_list("due_at", flat=True)
    assert set(waiting) == {dt.datetime(2026, 12, 3, 0, 0, tzinfo=dt.UTC)}  # the mailbox's next day (UTC)
    assert tick(now=NOW + dt.timedelta(hours=1)).sent == 0  # still today

    assert tick(now=TOMORROW).sent == 2
    assert len(mail_sink.messages) == 5


def test_a_mailbox_warming_up_sends_its_ramp_not_its_cap(mail_sink, mailbox, sequence):
    # Began yesterday at 2 a day, 3 more each day: 5 today, whatever the cap of 1000 says.
    mailbox.warmup_start, mailbox.warmup_step, mailbox.warmup_began_on = 2, 3, NOW.date() - dt.timedelta(days=1)
    mailbox.save()
    _enroll_many(sequence, 12)

    assert tick(now=NOW).sent == 5
    assert tick(now=TOMORROW).sent == 7  # 2 + 3 * 2 = 8 allowed, 7 left


def test_the_recipient_domain_cap_holds(mail_sink, sequence, settings):
    settings.OUTREACH_DOMAIN_DAILY_CAP = 2
    _enroll_many(sequence, 4, domain="bigcorp.example")
    enrolled(sequence, email="someone@elsewhere.example")

    report = tick(now=NOW)

    assert (report.sent, report.deferred_reasons) == (3, {"domain daily cap": 2})
    assert len(mail_sink.received_by("someone@elsewhere.example")) == 1
    assert SendCount.objects.get(scope="domain", key="bigcorp.example").sent == 2


def test_the_sequence_cap_holds_while_another_sequence_still_sends(mail_sink, mailbox):
    capped = sequence_create(mailbox, name="Capped", daily_cap=2)
    other = sequence_create(mailbox, name="Other")
    _enroll_many(capped, 4)
    enrolled(other, email="free@other.example")

    report = tick(now=NOW)

    assert (report.sent, report.deferred_reasons) == (3, {"sequence daily cap": 2})
    assert Message.objects.filter(enrollment__sequence=capped, status="sent").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_never_pass_the_cap_or_send_twice(mail_sink, mailbox):
    mailbox.daily_cap = 25
    mailbox.save()
    sequence = sequence_create(mailbox)
    _enroll_many(sequence, 60)
    mail_sink.delay = 0.005  # each send takes a while, so the two workers' batches overlap
    reports = {}

    def worker(name: str) -> None:
        try:
            reports[name] = tick(now=NOW, worker=name)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert reports["one"].sent + reports["two"].sent == 25
    assert len(mail_sink.messages) == 25
    assert set(mail_sink.copies_per_recipient().values()) == {1}
    assert Message.objects.filter(status="sent").count() == 25
    assert Enrollment.objects.filter(due_at__gt=NOW).count() == 35  # the rest wait for tomorrow
