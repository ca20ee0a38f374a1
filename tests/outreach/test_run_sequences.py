"""`manage.py run_sequences --once` (for cron) and the job cluster's minute schedule run the same tick and say what
it did."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone
from django.utils.module_loading import import_string

from leadflow.schedules import SCHEDULES
from tests.outreach.sending import enrolled


def test_run_sequences_once_prints_what_it_sent_skipped_and_deferred(mail_sink, sequence):
    due = timezone.now() - timedelta(minutes=1)
    enrolled(sequence, email="ana@northwind.example", due_at=due)
    enrolled(sequence, email="", due_at=due)
    out = StringIO()

    call_command("run_sequences", "--once", "--worker", "cron", stdout=out)

    assert "tick by cron" in out.getvalue()
    assert "sent: 1" in out.getvalue()
    assert "skipped: 1 (no email address: 1)" in out.getvalue()
    assert "deferred: 0" in out.getvalue()
    assert len(mail_sink.received_by("ana@northwind.example")) == 1


def test_the_minute_schedule_runs_a_tick(mail_sink, sequence):
    schedule = SCHEDULES["send due sequence messages"]
    enrolled(sequence, email="ana@northwind.example", due_at=timezone.now() - timedelta(minutes=1))

    result = import_string(schedule["func"])()

    assert (schedule["schedule_type"], schedule["minutes"]) == ("I", 1)
    assert result.startswith("sent: 1;")
    assert len(mail_sink.received_by("ana@northwind.example")) == 1
