"""Email coming in (outreach.replies.email_received), fed the real MIME messages under tests/fixtures/mail/: what
each one is matched to, what kind it is, and everything that kind does (and does not do)."""

import datetime as dt
import zoneinfo

import pytest
from django.core import mail as outbox
from django.core.files.storage import default_storage
from django.urls import reverse

from crm.models import Activity, Lead, Notification, Stage
from crm.rescoring import leads_rescore
from crm.services.leads import lead_move_stage
from outreach.conversations import message_sent
from outreach.html_clean import html_clean
from outreach.models import (
    Conversation,
    ConversationMessage,
    Enrollment,
    MessageEvent,
    Suppression,
    UnmatchedEmail,
)
from outreach.replies import email_received
from tests.outreach.reply_world import NEXT_STEP_DUE, fixture_mail, mail_built

Kind = ConversationMessage.Kind


def _stage_name(lead: Lead) -> str:
    return Lead.objects.select_related("stage").get(pk=lead.pk).stage.name


def test_a_gmail_reply_is_matched_by_in_reply_to_and_split_from_its_quoted_history(world):
    message = email_received(fixture_mail("gmail_reply.eml"), via="imap")

    assert message.kind == Kind.MESSAGE and message.direction == ConversationMessage.Direction.IN
    assert message.sequence_message == world.priya.message
    assert message.text == "Hi Sam,\n\nYes, happy to talk – Thursday at 3pm works for me. Can you send an invite?"
    assert message.signature.startswith("Best regards,\nPriya Shah")
    assert message.quoted.startswith("On Tue, 1 Dec 2026 at 10:00, Sam Seller <sam@acme.example> wrote:")
    assert "Unsubscribe" in message.quoted  # our own footer, quoted back: not a request to be removed
    assert message.message_id == "<CAF3b9Yx2kQp7Lr+0mW5pV1dY8zN4uE6@mail.gmail.com>"
    assert message.in_reply_to == "<20261201090000.4f2a1c@acme.example>"
    assert message.occurred_at == dt.datetime(2026, 12, 2, 9, 14, 3, tzinfo=dt.UTC)
    assert 'class="gmail_quote"' in message.html  # kept raw; cleaned when shown
    assert message.raw.read().startswith(b"Delivered-To: sam@acme.example")
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert (conversation.lead, conversation.channel, conversation.peer) == (
        world.priya.lead, "email", "priya.shah@northwind.example"
    )  # fmt: skip
    assert (conversation.subject, conversation.mailbox, conversation.unread) == (
        "Quick question, Priya", world.mailbox, 1
    )  # fmt: skip
    assert conversation.assigned_to == world.priya.lead.owner
    assert conversation.preview.startswith("Hi Sam, Yes, happy to talk")


def test_a_reply_stops_the_sequence_pauses_the_company_promotes_moves_to_replied_and_tells_the_owner(world, rep_alice):
    email_received(fixture_mail("gmail_reply.eml"), via="imap")

    priya, olga = world.priya.refresh(), world.olga.refresh()
    assert (priya.enrollment.status, priya.enrollment.stop_reason) == ("stopped", "replied")
    assert (olga.enrollment.status, olga.enrollment.stop_reason) == ("paused", "company_replied")
    assert world.marc.refresh().enrollment.status == Enrollment.Status.ACTIVE  # another company
    assert priya.lead.lifecycle == Lead.Lifecycle.LEAD
    assert _stage_name(priya.lead) == "Replied"
    assert priya.message.replied_at is not None
    assert priya.message.events.filter(kind=MessageEvent.Kind.REPLIED).count() == 1
    line = priya.lead.activities.get(kind=Activity.Kind.REPLIED)
    assert line.summary == "Replied to “Quick question, Priya”"
    assert priya.lead.score_stale  # the reply is engagement: the score is worked out again
    leads_rescore([priya.lead.pk])
    priya.lead.refresh_from_db()
    assert "1 reply" in priya.lead.score_parts["engagement"]["reason"]
    notification = Notification.objects.get(user=rep_alice)
    assert (notification.kind, notification.lead) == (Notification.Kind.REPLY, priya.lead)
    assert notification.text == "Priya Shah replied (Email)"
    assert outbox.outbox == []  # Alice did not ask for email


def test_the_owner_who_asked_for_email_gets_one(world, rep_alice, django_capture_on_commit_callbacks):
    rep_alice.notify_by_email = True
    rep_alice.save()
    with django_capture_on_commit_callbacks(execute=True):
        email_received(fixture_mail("gmail_reply.eml"), via="imap")
    [sent] = outbox.outbox
    assert sent.to == ["alice@leadflow.test"]
    assert sent.subject == "Priya Shah replied (Email)"
    assert "Thursday at 3pm works for me" in sent.body


def test_a_lead_further_along_than_replied_stays_where_it_is(world, manager_mia):
    lead = world.priya.lead
    meeting = Stage.objects.get(pipeline=lead.stage.pipeline, name="Meeting booked")
    lead_move_stage(lead=lead, stage=meeting, actor=manager_mia)
    email_received(fixture_mail("gmail_reply.eml"), via="imap")
    assert _stage_name(lead) == "Meeting booked"


def test_the_same_email_delivered_twice_is_kept_once(world):
    raw = fixture_mail("gmail_reply.eml")
    assert email_received(raw, via="imap") is not None
    assert email_received(raw, via="mailgun", provider_id="mailgun:other-token") is None

    assert ConversationMessage.objects.count() == 1
    assert Conversation.objects.get().unread == 1
    assert world.priya.lead.activities.filter(kind=Activity.Kind.REPLIED).count() == 1
    assert Notification.objects.count() == 1


def test_an_outlook_reply_without_threading_headers_is_matched_by_its_sender(world):
    message = email_received(fixture_mail("outlook_reply.eml"), via="imap")

    jonas = world.jonas.refresh()
    assert message.conversation.lead == jonas.lead
    assert message.sequence_message == jonas.message  # the latest sequence email sent to that address
    assert message.text.startswith("Hello Sam,\n\nthanks for reaching out. We are reviewing our carriers for Q1 –")
    assert message.signature.startswith("Kind regards\nJonas Weber")
    assert message.quoted.startswith("From: Sam Seller <sam@acme.example>\nSent: Tuesday, December 1, 2026")
    assert "From: Sam Seller" not in message.text
    [attachment] = message.attachments
    assert attachment["name"] == "Contoso_rate_sheet_Q1.pdf"
    assert attachment["content_type"] == "application/pdf"
    with default_storage.open(attachment["path"]) as kept:
        assert kept.read().startswith(b"%PDF-1.4")
    assert attachment["size"] == default_storage.size(attachment["path"])
    assert jonas.enrollment.stop_reason == "replied"


def test_an_out_of_office_is_no_reply_and_holds_the_next_step_until_the_return_date(world, rep_alice):
    message = email_received(fixture_mail("out_of_office.eml"), via="imap")

    assert message.kind == Kind.AUTO_REPLY
    priya = world.priya.refresh()
    assert priya.enrollment.status == Enrollment.Status.ACTIVE
    zone = zoneinfo.ZoneInfo("UTC")  # the lead has no zone of its own: the team's
    assert priya.enrollment.due_at == dt.datetime(2026, 12, 14, 9, 0, tzinfo=zone)
    assert priya.enrollment.version == 2
    assert priya.lead.activities.filter(
        kind=Activity.Kind.SEQUENCE, summary="Next step in sequence Intro held until 14 December 2026: out of office"
    ).exists()
    assert priya.lead.lifecycle == Lead.Lifecycle.CONTACT
    assert _stage_name(priya.lead) != "Replied"
    assert not priya.lead.activities.filter(kind=Activity.Kind.REPLIED).exists()
    assert priya.message.replied_at is None
    assert world.olga.refresh().enrollment.status == Enrollment.Status.ACTIVE
    assert not Notification.objects.filter(user=rep_alice).exists()


def test_an_out_of_office_without_a_return_date_changes_nothing(world):
    raw = mail_built(
        sender="Priya Shah <priya.shah@northwind.example>", subject="Out of Office: Quick question, Priya",
        body="I am away and will answer when I am back.", In_Reply_To="<20261201090000.4f2a1c@acme.example>",
    ).as_bytes()  # fmt: skip
    assert email_received(raw, via="imap").kind == Kind.AUTO_REPLY
    assert world.priya.refresh().enrollment.due_at == NEXT_STEP_DUE


@pytest.mark.parametrize(
    ("headers", "subject"),
    [
        ({"Auto_Submitted": "auto-generated"}, "Re: Quick question"),
        ({"X_Autoreply": "yes"}, "Re: Quick question"),
        ({"X_Autorespond": "Re: Quick question"}, "Re: Quick question"),
        ({"Precedence": "bulk"}, "Re: Quick question"),
        ({"Precedence": "junk"}, "Re: Quick question"),
        ({}, "Abwesenheitsnotiz: Quick question"),
        ({}, "Réponse automatique : Quick question"),
        ({}, "Respuesta automática: Quick question"),
        ({}, "Automatisch antwoord: Quick question"),
        ({}, "Risposta automatica: Quick question"),
    ],
)
def test_automatic_replies_are_recognised_by_headers_and_subjects_and_never_counted(world, headers, subject):
    raw = mail_built(sender="Priya Shah <priya.shah@northwind.example>", subject=subject,
                     body="Thanks, I will read it later.", **headers).as_bytes()  # fmt: skip
    assert email_received(raw, via="imap").kind == Kind.AUTO_REPLY
    assert world.priya.refresh().enrollment.status == Enrollment.Status.ACTIVE


def test_auto_submitted_no_is_a_person_writing(world):
    raw = mail_built(sender="Priya Shah <priya.shah@northwind.example>", subject="Re: Quick question",
                     body="Sounds good.", Auto_Submitted="no").as_bytes()  # fmt: skip
    assert email_received(raw, via="imap").kind == Kind.MESSAGE


def test_a_hard_bounce_is_recorded_on_the_bounced_message_suppresses_and_stops(world):
    message = email_received(fixture_mail("dsn_hard_bounce.eml"), via="imap")

    oliver = world.oliver.refresh()
    assert message.kind == Kind.BOUNCE and message.sequence_message == oliver.message
    assert message.conversation.peer == "old.contact@northwind.example"
    assert (
        Conversation.objects.get(pk=message.conversation_id).unread == 0
    )  # a bounce is for the record, not for reading
    assert message.error.startswith("5.1.1 550 5.1.1 <old.contact@northwind.example>: Recipient address rejected")
    assert (oliver.message.bounce_kind, oliver.message.bounced_at is not None) == ("hard", True)
    event = oliver.message.events.get(kind=MessageEvent.Kind.BOUNCED)
    assert (event.data["code"], event.data["bounce"], event.via) == ("5.1.1", "hard", "imap")
    assert "User unknown" in event.data["reply"]
    assert Suppression.objects.get(email="old.contact@northwind.example").reason == Suppression.Reason.HARD_BOUNCE
    assert (oliver.enrollment.status, oliver.enrollment.stop_reason) == ("stopped", "bounced")
    assert oliver.lead.lifecycle == Lead.Lifecycle.CONTACT
    assert not oliver.lead.activities.filter(kind=Activity.Kind.REPLIED).exists()
    assert world.olga.refresh().enrollment.status == Enrollment.Status.ACTIVE  # a bounce pauses no colleague


def test_a_soft_bounce_is_counted_and_the_address_kept(world):
    message = email_received(fixture_mail("dsn_soft_bounce.eml"), via="imap")

    tom = world.tom.refresh()
    assert message.kind == Kind.BOUNCE and message.sequence_message == tom.message
    event = tom.message.events.get()
    assert (event.kind, event.data["code"]) == (MessageEvent.Kind.DEFERRED, "4.2.2")
    assert tom.message.bounce_kind == "soft" and tom.message.bounced_at is None
    assert not Suppression.objects.exists()
    assert tom.enrollment.status == Enrollment.Status.ACTIVE


def test_a_bounce_quoting_no_message_id_is_matched_by_its_recipient(world):
    world.oliver.message.message_id = ""
    world.oliver.message.save()
    message = email_received(fixture_mail("dsn_hard_bounce.eml"), via="imap")
    assert message.sequence_message == world.oliver.message
    assert Suppression.objects.filter(email="old.contact@northwind.example").exists()


def test_the_same_bounce_twice_is_recorded_once(world):
    raw = fixture_mail("dsn_soft_bounce.eml")
    email_received(raw, via="imap")
    assert email_received(raw, via="imap") is None
    assert MessageEvent.objects.count() == 1


def test_an_unsubscribe_request_suppresses_the_address_and_is_not_a_reply(world, rep_alice):
    message = email_received(fixture_mail("unsubscribe_request.eml"), via="imap")

    marc = world.marc.refresh()
    assert message.kind == Kind.UNSUBSCRIBE
    assert message.text.startswith("Please remove me from your mailing list")
    entry = Suppression.objects.get(email="marc.dubois@fabrikam.example")
    assert (entry.reason, entry.note, entry.message) == ("unsubscribed", "Asked in a reply", marc.message)
    assert (marc.enrollment.status, marc.enrollment.stop_reason) == ("stopped", "unsubscribed")
    assert marc.message.unsubscribed_at is not None
    assert marc.lead.activities.filter(kind=Activity.Kind.UNSUBSCRIBED).exists()
    assert marc.lead.lifecycle == Lead.Lifecycle.CONTACT
    assert not marc.lead.activities.filter(kind=Activity.Kind.REPLIED).exists()
    assert marc.message.replied_at is None
    assert not Notification.objects.filter(user=rep_alice).exists()


@pytest.mark.parametrize(
    "body",
    ["Unsubscribe", "Please take me off your list.", "Stop emailing me.", "Bitte austragen, danke.",
     "Merci de me désinscrire.", "Por favor, darme de baja."],
)  # fmt: skip
def test_unsubscribe_requests_in_several_languages(world, body):
    raw = mail_built(sender="Marc Dubois <marc.dubois@fabrikam.example>", subject="Re: Quick question, Marc",
                     body=body).as_bytes()  # fmt: skip
    assert email_received(raw, via="imap").kind == Kind.UNSUBSCRIBE
    assert Suppression.objects.filter(email="marc.dubois@fabrikam.example").exists()


def test_html_mail_with_scripts_is_kept_raw_read_as_text_and_cleaned_for_display(world):
    message = email_received(fixture_mail("html_with_script.eml"), via="imap")

    assert message.conversation.lead == world.li.lead
    assert message.sequence_message is None
    assert message.text.startswith("Hello Sam,\nWe are interested – please call me next week.")
    assert "document.cookie" not in message.text
    assert "<script>" in message.html
    shown = html_clean(message.html)
    for unsafe in ("<script", "document.cookie", "onmouseover", "onerror", "javascript:", "<img", "<style"):
        assert unsafe not in shown
    assert "<b>interested</b>" in shown
    assert world.li.lead.activities.get(kind=Activity.Kind.REPLIED).summary == "Replied"


def test_an_email_from_an_unknown_sender_is_kept_for_review_and_opens_no_conversation(world):
    raw = mail_built(sender="Stranger <someone@unknown.example>", subject="Partnership?",
                     Message_ID="<abc.1@unknown.example>").as_bytes()  # fmt: skip
    assert email_received(raw, via="imap", mailbox=world.mailbox) is None
    assert email_received(raw, via="imap", mailbox=world.mailbox) is None

    unmatched = UnmatchedEmail.objects.get()
    assert (unmatched.sender, unmatched.subject, unmatched.kind) == (
        "someone@unknown.example",
        "Partnership?",
        "message",
    )
    assert unmatched.mailbox == world.mailbox
    assert unmatched.raw.read().startswith(b"From: Stranger <someone@unknown.example>")
    assert not Conversation.objects.exists()


def test_a_reply_from_another_address_of_the_lead_is_matched(world):
    lead = world.li.lead
    lead.other_emails = ["wei.li@private.example"]
    lead.save()
    raw = mail_built(sender="Li Wei <Wei.Li@private.example>", subject="Re: hello").as_bytes()
    assert email_received(raw, via="imap").conversation.lead == lead


def test_our_own_mail_in_the_folder_is_left_alone(world):
    raw = mail_built(sender="Sam Seller <sam@acme.example>", subject="Quick question, Priya").as_bytes()
    assert email_received(raw, via="imap") is None
    assert not ConversationMessage.objects.exists() and not UnmatchedEmail.objects.exists()


def test_a_20_mb_attachment_is_listed_not_kept_and_small_ones_are_files(world, settings):
    built = mail_built(sender="Li Wei <li.wei@globex.example>", subject="Our catalogue", body="See attached.")
    built.add_attachment(b"\x89PNG" + b"\x00" * 2000, maintype="image", subtype="png", filename="logo.png")
    built.add_attachment(b"%PDF" + b"x" * (20 * 1024 * 1024), maintype="application", subtype="pdf",
                         filename="catalogue.pdf")  # fmt: skip
    message = email_received(built.as_bytes(), via="imap")

    small, big = message.attachments
    assert small["name"] == "logo.png" and default_storage.size(small["path"]) == 2004
    assert big == {"name": "catalogue.pdf", "size": 20 * 1024 * 1024 + 4, "content_type": "application/pdf",
                   "note": "too large, not kept"}  # fmt: skip
    assert message.text == "See attached."
    assert "xxxx" not in message.html + message.text


def test_a_raw_message_above_the_cap_keeps_its_headers_only(world, settings):
    settings.INBOUND_RAW_MAX_BYTES = 2000
    built = mail_built(sender="Li Wei <li.wei@globex.example>", subject="Long", body="word " * 2000)
    message = email_received(built.as_bytes(), via="imap")
    kept = message.raw.read()
    assert kept.startswith(b"From: Li Wei") and kept.endswith(b"\n\n") and b"word" not in kept
    assert message.text.startswith("word word")


def test_a_forwarded_message_is_one_attachment_and_odd_file_names_are_made_safe(world):
    built = mail_built(sender="Li Wei <li.wei@globex.example>", subject="Fwd: our offer", body="See below.")
    built.add_attachment(b"secret", maintype="text", subtype="plain", filename="../../etc/passwd")
    built.add_attachment(b"dots", maintype="application", subtype="octet-stream", filename="..")
    built.add_attachment(mail_built(subject="The offer", body="Inner text."))
    message = email_received(built.as_bytes(), via="imap")

    passwd, dots, forwarded = message.attachments
    assert passwd["name"] == "_.._etc_passwd" and passwd["path"].endswith("/_.._etc_passwd")
    assert dots["name"] == "attachment"
    assert (forwarded["name"], forwarded["content_type"]) == ("forwarded_message.eml", "message/rfc822")
    with default_storage.open(forwarded["path"]) as kept:
        assert b"Subject: The offer" in kept.read()
    assert message.text == "See below."


def test_an_answer_to_the_reps_own_email_from_the_inbox_joins_that_thread(world):
    first = email_received(fixture_mail("gmail_reply.eml"), via="imap")
    conversation = first.conversation
    message_sent(conversation, sender="sam@acme.example", recipient="priya.shah@northwind.example",
                 subject="Re: Quick question, Priya", text="Invite sent.",
                 message_id="<rep.answer.1@acme.example>")  # fmt: skip
    # Her assistant answers from another address, in the same thread.
    raw = mail_built(sender="Assistant <assist@northwind.example>", subject="Re: Quick question, Priya",
                     body="Priya asks to move it to 4pm.", In_Reply_To="<rep.answer.1@acme.example>",
                     Message_ID="<assist.1@northwind.example>").as_bytes()  # fmt: skip
    answer = email_received(raw, via="imap")
    assert answer.conversation == conversation
    assert Conversation.objects.get(pk=conversation.pk).unread == 2


def test_unmatched_email_waits_in_the_back_office(client, admin_ada, world):
    raw = mail_built(sender="Stranger <someone@unknown.example>", subject="Partnership?").as_bytes()
    email_received(raw, via="mailgun")
    client.force_login(admin_ada)
    page = client.get(reverse("admin:outreach_unmatchedemail_changelist")).content.decode()
    assert "someone@unknown.example" in page and "Partnership?" in page
    unmatched = UnmatchedEmail.objects.get()
    assert client.get(reverse("admin:outreach_unmatchedemail_change", args=[unmatched.pk])).status_code == 200
