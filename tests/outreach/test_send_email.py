"""What a sequence email looks like when it reaches the recipient's server (a real SMTP server on 127.0.0.1)."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import timedelta

from crm.models import Activity
from outreach.models import Channel, Draft, Enrollment, Message, SequenceStep, StepVariant
from outreach.scheduler import tick
from tests.outreach.sending import NOW, enrolled, sequence_create


def test_a_due_message_arrives_from_the_mailbox_to_the_lead_with_its_fields_filled(mail_sink, sequence):
    enrollment = enrolled(sequence, first_name="Priya", last_name="Shah", email="priya@northwind.example")

    report = tick(now=NOW, worker="test")

    assert report.sent == 1
    [arrived] = mail_sink.received_by("priya@northwind.example")
    assert arrived["From"] == "Sam Seller <sam@acme.example>"
    assert arrived["To"] == "Priya Shah <priya@northwind.example>"
    assert arrived["Subject"] == "Quick question, Priya"
    text = arrived.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Hi Priya, I saw Northwind Freight is hiring." in text
    assert "Sam Seller\nAcme Logistics" in text  # the signature
    assert "1 Harbour Road" in text  # the postal address footer
    message = Message.objects.get(enrollment=enrollment)
    assert (message.status, message.sent_at, message.claimed_by) == (Message.Status.SENT, NOW, "test")
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.FINISHED  # its only step is done


def test_the_message_id_is_ours_and_was_stored_on_the_message(mail_sink, sequence):
    enrollment = enrolled(sequence, email="ana@northwind.example")

    tick(now=NOW)

    [arrived] = mail_sink.received_by("ana@northwind.example")
    message = Message.objects.get(enrollment=enrollment)
    assert re.fullmatch(r"<[^@>]+@acme\.example>", message.message_id)
    assert arrived["Message-ID"] == message.message_id


def test_it_carries_one_click_unsubscribe_headers(mail_sink, sequence, settings):
    settings.SITE_URL = "https://crm.acme.example"
    enrolled(sequence, email="ana@northwind.example")

    tick(now=NOW)

    [arrived] = mail_sink.received_by("ana@northwind.example")
    assert re.search(r"<https://crm\.acme\.example/[^>]+>", arrived["List-Unsubscribe"])
    assert arrived["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_its_html_has_tracked_links_the_open_pixel_and_the_footer(mail_sink, sequence, settings):
    settings.SITE_URL = "https://crm.acme.example"
    enrolled(sequence, email="ana@northwind.example")

    tick(now=NOW)

    [arrived] = mail_sink.received_by("ana@northwind.example")
    html = arrived.get_body(("html",)).get_content()
    links = re.findall(r'href="([^"]+)"', html)
    assert links and all(link.startswith("https://crm.acme.example/") for link in links)
    assert "https://acme.example/case-study" not in links  # the link goes through the click redirect
    assert re.search(r'<img[^>]+src="https://crm\.acme\.example/[^"]+"', html)  # the open pixel
    assert "1 Harbour Road" in html


def test_a_sent_email_is_on_the_leads_timeline_and_the_next_step_comes_due_two_days_later(mail_sink, mailbox):
    enrollment = enrolled(sequence_create(mailbox, steps=2), email="ana@northwind.example")

    tick(now=NOW)

    activity = Activity.objects.get(lead=enrollment.lead, kind=Activity.Kind.EMAIL_SENT)
    assert "Quick question" in activity.summary
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.next_position) == (Enrollment.Status.ACTIVE, 2)
    assert enrollment.due_at == NOW + timedelta(days=2)


def test_one_connection_carries_a_whole_tick(mail_sink, sequence):
    for number in range(5):
        enrolled(sequence, email=f"lead{number}@northwind{number}.example")
    before = mail_sink.connections  # the sink's own start-up check connects once

    assert tick(now=NOW).sent == 5

    assert mail_sink.connections - before == 1


def test_an_ab_step_splits_its_leads_evenly_at_random_and_keeps_the_variant_on_each_message(mail_sink, sequence):
    random.seed(13)
    step = sequence.steps.get()
    step.variants.update(label="A")
    StepVariant.objects.create(step=step, label="B", subject="Another idea for {{ company }}", body="Hello!")
    for number in range(200):
        enrolled(sequence, email=f"lead{number}@company{number}.example")

    assert tick(now=NOW).sent == 200

    split = Counter(Message.objects.values_list("variant__label", flat=True))
    assert set(split) == {"A", "B"}
    assert 70 <= split["A"] <= 130  # an even split: 100 expected, 30 is over four standard deviations
    b_subjects = {m["Subject"] for _rcpt, m in mail_sink.messages if m["Subject"].startswith("Another idea")}
    assert b_subjects == {"Another idea for Northwind Freight"}


def test_an_approved_writer_draft_is_sent_where_the_variant_says_so(mail_sink, sequence):
    StepVariant.objects.filter(step__sequence=sequence).update(use_approved_draft=True)
    enrollment = enrolled(sequence, email="ana@northwind.example")
    Draft.objects.create(
        lead=enrollment.lead, channel=Channel.EMAIL, subject="Your freight lanes", body="Ana, about your lanes...",
        source=Draft.Source.TEMPLATE, status=Draft.Status.APPROVED, decided_at=NOW,
    )  # fmt: skip
    without_draft = enrolled(sequence, email="ben@northwind.example")

    assert tick(now=NOW).sent == 2

    [drafted] = mail_sink.received_by("ana@northwind.example")
    assert drafted["Subject"] == "Your freight lanes"
    assert "Ana, about your lanes..." in drafted.get_body(("plain",)).get_content()
    [templated] = mail_sink.received_by(without_draft.lead.email)
    assert templated["Subject"].startswith("Quick question")  # no approved draft: the variant's own text


def test_a_manual_step_is_handed_to_a_person_and_the_next_email_follows_on_time(mail_sink, mailbox):
    sequence = sequence_create(mailbox, steps=2)
    SequenceStep.objects.filter(sequence=sequence, position=1).update(kind=SequenceStep.Kind.TASK, task_title="Call")
    enrollment = enrolled(sequence, email="ana@northwind.example")

    report = tick(now=NOW)

    assert (report.handed_off, report.sent) == (1, 0)
    assert Message.objects.get(enrollment=enrollment).status == Message.Status.TASK
    assert mail_sink.messages == []
    enrollment.refresh_from_db()
    assert (enrollment.next_position, enrollment.due_at) == (2, NOW + timedelta(days=2))
