"""What the reply tests share: the real MIME messages under tests/fixtures/mail/, and the people they come from,
each enrolled in a sequence and sent the message the fixture answers (same Message-ID, same subject).

Sam Seller (sam@acme.example) writes for Acme; Alice owns every lead. Priya (Northwind) answers from Gmail and is
away; her colleague Olga at Northwind is in the same sequence, which pauses the company on a reply; Oliver's old
address at Northwind hard-bounces; Jonas (Contoso) answers from Outlook without threading headers; Tom's mailbox at
Contoso is full; Marc (Fabrikam) asks to be removed; Li (Globex) writes HTML with scripts, to no sequence email."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from crm.models import Lead
from outreach.models import Enrollment, Mailbox, Message, Sequence
from tests.factories import CompanyFactory, LeadFactory
from tests.outreach.sequence_builders import message_made, sequence_made

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"
# Every lead's next step is due after the fixtures were written (2 December 2026) and before Priya is back.
NEXT_STEP_DUE = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


def fixture_mail(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Person:
    lead: Lead
    enrollment: Enrollment | None
    message: Message | None

    def refresh(self) -> Person:
        for row in (self.lead, self.enrollment, self.message):
            if row is not None:
                row.refresh_from_db()
        return self


@dataclass
class World:
    mailbox: Mailbox
    sequence: Sequence
    priya: Person
    olga: Person
    oliver: Person
    jonas: Person
    tom: Person
    marc: Person
    li: Person


def _person(sequence: Sequence | None, *, message_id: str = "", subject: str = "", **lead_fields) -> Person:
    lead = LeadFactory(**lead_fields)
    if sequence is None:
        return Person(lead, None, None)
    enrollment = Enrollment.objects.create(sequence=sequence, lead=lead, due_at=NEXT_STEP_DUE, next_position=2)
    message = None
    if message_id:
        sent_at = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
        message = message_made(enrollment, message_id=message_id, subject=subject, mailbox=sequence.mailbox,
                               sent_at=sent_at)  # fmt: skip
    return Person(lead, enrollment, message)


@pytest.fixture
def world(db, rep_alice) -> World:
    mailbox = Mailbox.objects.create(
        name="Sam Seller", address="sam@acme.example", transport=Mailbox.Transport.CONSOLE, postal_address="1 Main St"
    )
    sequence = sequence_made("Intro", mailbox=mailbox, pause_company_on_reply=True)
    northwind, contoso = CompanyFactory(name="Northwind Freight"), CompanyFactory(name="Contoso")
    people = {
        "priya": _person(sequence, message_id="<20261201090000.4f2a1c@acme.example>",
                         subject="Quick question, Priya", first_name="Priya", last_name="Shah",
                         email="priya.shah@northwind.example", company=northwind, owner=rep_alice),
        "olga": _person(sequence, first_name="Olga", last_name="Nowak", email="olga.nowak@northwind.example",
                        company=northwind, owner=rep_alice),
        "oliver": _person(sequence, message_id="<20261202090500.77aa01@acme.example>",
                          subject="Quick question, Oliver", first_name="Oliver", email="old.contact@northwind.example",
                          company=northwind, owner=rep_alice),
        "jonas": _person(sequence, message_id="<20261201103000.1d2e3f@acme.example>",
                         subject="Freight costs at Contoso", first_name="Jonas", last_name="Weber",
                         email="jonas.weber@contoso.example", company=contoso, owner=rep_alice),
        "tom": _person(sequence, message_id="<20261202091000.88bb02@acme.example>", subject="Quick question, Tom",
                       first_name="Tom", email="tom.busy@contoso.example", company=contoso, owner=rep_alice),
        "marc": _person(sequence, message_id="<20261201091500.99cc03@acme.example>",
                        subject="Quick question, Marc", first_name="Marc", last_name="Dubois",
                        email="marc.dubois@fabrikam.example", owner=rep_alice),
        "li": _person(None, first_name="Li", last_name="Wei", email="li.wei@globex.example", owner=rep_alice),
    }  # fmt: skip
    return World(mailbox=mailbox, sequence=sequence, **people)


def mail_built(
    *, sender: str = "Li Wei <li.wei@globex.example>", subject: str = "Hello", body: str = "Hello Sam.", **headers
) -> EmailMessage:
    """A message written here for a case no fixture covers; headers given as Auto_Submitted="auto-replied"."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "Sam Seller <sam@acme.example>"
    mail["Subject"] = subject
    mail["Date"] = "Wed, 2 Dec 2026 12:00:00 +0000"
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail
