"""What the sending tests share: a real SMTP sink, a mailbox pointed at it, a sequence, enrolled leads, and a fixed
clock (Wednesday 2 December 2026, 14:00 UTC) passed to the tick as `now=`."""

from __future__ import annotations

import datetime as dt

import pytest

from outreach.models import Enrollment, Mailbox, Sequence, SequenceStep, StepVariant
from tests.factories import CompanyFactory, LeadFactory
from tests.fakes.mail_sink import MailSink

NOW = dt.datetime(2026, 12, 2, 14, 0, tzinfo=dt.UTC)
EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MIDNIGHT = dt.time(0, 0)  # a window from midnight to midnight: the whole day


@pytest.fixture
def mail_sink():
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def mailbox(db, mail_sink) -> Mailbox:
    return Mailbox.objects.create(
        name="Sam Seller",
        address="sam@acme.example",
        signature="Sam Seller\nAcme Logistics",
        postal_address="Acme Logistics Ltd, 1 Harbour Road, Leith EH6 6QW, United Kingdom",
        transport=Mailbox.Transport.SMTP,
        smtp_host=mail_sink.host,
        smtp_port=mail_sink.port,
        daily_cap=1000,
        time_zone="UTC",
        window_days=EVERY_DAY,
        window_start=MIDNIGHT,
        window_end=MIDNIGHT,
    )


def sequence_create(mailbox: Mailbox, *, name: str = "Intro", steps: int = 1, **fields) -> Sequence:
    """An active sequence sending every day at any hour (unless `fields` say otherwise), with `steps` email steps
    two days apart."""
    fields = {"window_days": EVERY_DAY, "window_start": MIDNIGHT, "window_end": MIDNIGHT, "daily_cap": 1000, **fields}
    sequence = Sequence.objects.create(name=name, mailbox=mailbox, status=Sequence.Status.ACTIVE, **fields)
    for position in range(1, steps + 1):
        step = SequenceStep.objects.create(sequence=sequence, position=position, delay_days=0 if position == 1 else 2)
        StepVariant.objects.create(
            step=step,
            subject="Quick question, {{ first_name|default:'there' }}" if position == 1 else "Following up",
            body='Hi {{ first_name|default:"there" }}, I saw {{ company }} is hiring.\n\n'
            "Our case study: https://acme.example/case-study",
        )
    return sequence


@pytest.fixture
def sequence(mailbox) -> Sequence:
    return sequence_create(mailbox)


def enrolled(sequence: Sequence, lead=None, *, due_at: dt.datetime = NOW, **lead_fields) -> Enrollment:
    """A lead (a new one with `lead_fields` unless given) enrolled in the sequence, its first step due at `due_at`."""
    if lead is None:
        lead_fields.setdefault("company", CompanyFactory(name="Northwind Freight"))
        lead = LeadFactory(**lead_fields)
    return Enrollment.objects.create(sequence=sequence, lead=lead, due_at=due_at, next_position=1)
