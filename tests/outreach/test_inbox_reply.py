"""Answering from the inbox: the email reaches a real SMTP server (aiosmtpd) with the threading headers mail clients
group by, the thread keeps it with our Message-ID and the server's verdict, and the composer fills from an approved
draft or a template. Mark read, snooze and assign, as the conversation's buttons do them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Activity, Note, Task
from outreach.conversations import conversation_open, message_received
from outreach.models import Conversation, ConversationMessage, Draft, Template, WhatsAppTemplate
from tests.factories import CompanyFactory, EnrollmentFactory, LeadFactory, MessageFactory, default_stage

HX = {"HX-Request": "true"}


@pytest.fixture
def priya(rep_alice):
    return LeadFactory(
        first_name="Priya", last_name="Shah", email="priya@northwind.example", owner=rep_alice,
        company=CompanyFactory(name="Northwind Freight"),
    )  # fmt: skip


@pytest.fixture
def replied_thread(priya, mailbox):
    """Our sequence email, and Priya's answer to it (as the intake keeps it)."""
    sent = MessageFactory(
        enrollment=EnrollmentFactory(lead=priya, sequence__mailbox=mailbox), mailbox=mailbox,
        subject="Quick question, Priya", message_id="<seq-1@acme.example>",
    )  # fmt: skip
    conversation = conversation_open(priya, "email", peer=priya.email, mailbox=mailbox, subject=sent.subject)
    message_received(
        conversation, sender=priya.email, recipient=mailbox.address, subject="RE: Quick question, Priya",
        text="Yes, call me Thursday.", message_id="<CAF-priya-1@mail.northwind.example>",
        in_reply_to=sent.message_id, references=sent.message_id, sequence_message=sent,
    )  # fmt: skip
    conversation.refresh_from_db()
    return conversation


def test_the_answer_reaches_the_server_threaded_under_the_leads_reply(client, rep_alice, replied_thread, mail_sink):
    client.force_login(rep_alice)
    url = reverse("outreach:conversation_reply", args=[replied_thread.pk])
    response = client.post(url, {"body": "Thursday 10:00 works. Talk then!"}, headers=HX)
    assert response.status_code == 200
    assert "Sent to priya@northwind.example" in response.content.decode()

    [email] = mail_sink.received_by("priya@northwind.example")
    assert email["In-Reply-To"] == "<CAF-priya-1@mail.northwind.example>"
    assert email["References"].split() == ["<seq-1@acme.example>", "<CAF-priya-1@mail.northwind.example>"]
    assert email["Subject"] == "RE: Quick question, Priya"  # already an answer: no "Re: RE:"
    assert email["From"] == "Sam Seller <sam@acme.example>"
    body = email.get_content()
    assert body.startswith("Thursday 10:00 works. Talk then!")
    assert "> Yes, call me Thursday." in body  # their message quoted below

    answer = replied_thread.messages.get(direction=ConversationMessage.Direction.OUT)
    assert answer.status == ConversationMessage.Status.SENT
    assert answer.message_id == email["Message-ID"] and answer.message_id.endswith("@acme.example>")
    assert answer.author == rep_alice and answer.text == "Thursday 10:00 works. Talk then!"
    replied_thread.refresh_from_db()
    assert replied_thread.preview.startswith("Thursday 10:00") and replied_thread.unread == 0
    assert Activity.objects.filter(lead=replied_thread.lead, kind=Activity.Kind.EMAIL_SENT).exists()


def test_a_first_answer_gets_re_and_threads_under_our_sequence_email(client, rep_alice, priya, mailbox, mail_sink):
    MessageFactory(
        enrollment=EnrollmentFactory(lead=priya), mailbox=mailbox, subject="Freight rates",
        message_id="<seq-9@acme.example>",
    )  # fmt: skip
    conversation = conversation_open(priya, "email", peer=priya.email, subject="Freight rates")
    client.force_login(rep_alice)
    client.post(reverse("outreach:conversation_reply", args=[conversation.pk]), {"body": "Following up."})
    [email] = mail_sink.received_by(priya.email)
    assert email["Subject"] == "Re: Freight rates"
    assert email["In-Reply-To"] == "<seq-9@acme.example>" and email["References"] == "<seq-9@acme.example>"
    assert email["From"] == "Sam Seller <sam@acme.example>"  # the mailbox the lead's sequence email came from


def test_a_refused_answer_is_kept_as_failed_with_the_servers_words(client, rep_alice, replied_thread, mail_sink):
    mail_sink.refusals["priya@northwind.example"] = "550 5.1.1 No such user here"
    client.force_login(rep_alice)
    response = client.post(
        reverse("outreach:conversation_reply", args=[replied_thread.pk]), {"body": "Hello?"}, headers=HX
    )
    assert "550 5.1.1 No such user here" in response.content.decode()
    answer = replied_thread.messages.get(direction=ConversationMessage.Direction.OUT)
    assert answer.status == ConversationMessage.Status.FAILED and "No such user" in answer.error


def test_only_who_may_change_the_lead_or_holds_the_thread_answers(client, rep_bob, viewer_vic, replied_thread):
    url = reverse("outreach:conversation_reply", args=[replied_thread.pk])
    client.force_login(rep_bob)
    assert client.post(url, {"body": "Hi"}).status_code == 404  # Alice's lead: Bob cannot even see it
    client.force_login(viewer_vic)
    assert client.post(url, {"body": "Hi"}).status_code == 403
    assert not replied_thread.messages.filter(direction=ConversationMessage.Direction.OUT).exists()


def test_a_whatsapp_answer_goes_through_twilio_inside_the_window(client, rep_alice, priya_wa, twilio):
    conversation = conversation_open(priya_wa, "whatsapp", peer=priya_wa.phone)
    message_received(conversation, sender=priya_wa.phone, text="Hi from WhatsApp", provider_id="SMin1")
    client.force_login(rep_alice)
    url = reverse("outreach:conversation_reply", args=[conversation.pk])
    response = client.post(url, {"body": "Hello Priya!"}, headers=HX)
    assert response.status_code == 200
    (call,) = twilio.calls
    assert call["To"] == f"whatsapp:{priya_wa.phone}" and call["Body"] == "Hello Priya!"
    answer = conversation.messages.get(direction=ConversationMessage.Direction.OUT)
    assert answer.author == rep_alice and answer.provider_id.startswith("SM")


def test_a_whatsapp_answer_outside_the_window_is_refused_saying_why(client, rep_alice, priya_wa, twilio):
    conversation = conversation_open(priya_wa, "whatsapp", peer=priya_wa.phone)
    message_received(conversation, sender=priya_wa.phone, text="Old message", provider_id="SMin2",
                     occurred_at=timezone.now() - dt.timedelta(days=2))  # fmt: skip
    client.force_login(rep_alice)
    response = client.post(
        reverse("outreach:conversation_reply", args=[conversation.pk]), {"body": "Still there?"}, headers=HX
    )
    assert response.status_code == 422 and "24-hour window is closed" in response.content.decode()
    assert not twilio.calls


def test_a_closed_window_offers_the_approved_templates_and_sends_one(client, rep_alice, priya_wa, twilio):
    template = WhatsAppTemplate.objects.create(
        name="follow-up", content_sid="HX" + "c" * 32, variables=["{{ first_name|default:'there' }}"],
        body_preview="Hi {{1}}, still interested?",
    )  # fmt: skip
    WhatsAppTemplate.objects.create(name="retired", content_sid="HX" + "d" * 32, active=False)
    conversation = conversation_open(priya_wa, "whatsapp", peer=priya_wa.phone)
    message_received(conversation, sender=priya_wa.phone, text="Old message", provider_id="SMin3",
                     occurred_at=timezone.now() - dt.timedelta(days=2))  # fmt: skip
    client.force_login(rep_alice)
    page = client.get(reverse("outreach:conversation", args=[conversation.pk])).content.decode()
    assert "The 24-hour window is closed" in page and "follow-up: Hi {{1}}, still interested?" in page
    assert "retired" not in page and 'name="body"' not in page  # no free text to type
    url = reverse("outreach:conversation_whatsapp_template", args=[conversation.pk])
    response = client.post(url, {"template": template.pk}, headers=HX)
    assert response.status_code == 200 and "Template follow-up sent." in response.content.decode()
    (call,) = twilio.calls
    assert call["ContentSid"] == template.content_sid and json.loads(call["ContentVariables"]) == {"1": "Priya"}
    retired = WhatsAppTemplate.objects.get(name="retired")
    assert client.post(url, {"template": retired.pk}).status_code == 404


def test_the_composer_fills_from_an_approved_draft_or_a_template(client, rep_alice, replied_thread, manager_mia):
    lead = replied_thread.lead
    draft = Draft.objects.create(
        lead=lead, channel="email", subject="Our deck", body="Here is the deck we talked about.", source="builtin",
        status=Draft.Status.APPROVED, decided_by=manager_mia, decided_at=timezone.now(),
    )  # fmt: skip
    Draft.objects.create(lead=lead, channel="email", body="Not approved yet", source="builtin")
    template = Template.objects.create(name="Thanks", body="Thanks {{ first_name }}, from {{ sender_name }}.")
    client.force_login(rep_alice)
    page = client.get(reverse("outreach:conversation", args=[replied_thread.pk])).content.decode()
    assert f'value="{draft.pk}"' in page and "Not approved yet" not in page and "Thanks</option>" in page
    compose = reverse("outreach:conversation_compose", args=[replied_thread.pk])
    assert "Here is the deck we talked about." in client.get(compose, {"draft": draft.pk}, headers=HX).content.decode()
    filled = client.get(compose, {"template": template.pk}, headers=HX).content.decode()
    assert "Thanks Priya, from Sam Seller." in filled
    unapproved = Draft.objects.get(body="Not approved yet")
    assert client.get(compose, {"draft": unapproved.pk}).status_code == 404


def test_mark_unread_and_read_again(client, rep_alice, replied_thread):
    client.force_login(rep_alice)
    url = reverse("outreach:conversation_read", args=[replied_thread.pk])
    client.post(url, headers=HX)
    replied_thread.refresh_from_db()
    assert replied_thread.unread == 0
    client.post(url, {"unread": "1"}, headers=HX)
    replied_thread.refresh_from_db()
    assert replied_thread.unread == 1


def test_snooze_until_a_date_and_a_new_message_wakes_it(client, rep_alice, replied_thread):
    client.force_login(rep_alice)
    url = reverse("outreach:conversation_snooze", args=[replied_thread.pk])
    assert client.post(url, {"until": "2001-01-01T09:00"}, headers=HX).status_code == 422
    until = timezone.localtime(timezone.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, {"until": until}, headers=HX).status_code == 200
    replied_thread.refresh_from_db()
    assert replied_thread.snoozed_until > timezone.now()
    assert "Priya Shah" not in client.get("/inbox/").content.decode()
    message_received(replied_thread, sender="priya@northwind.example", text="Any news?")
    replied_thread.refresh_from_db()
    assert replied_thread.snoozed_until is None
    assert "Priya Shah" in client.get("/inbox/").content.decode()


def test_managers_assign_reps_take_unassigned_ones_only(client, manager_mia, rep_alice, rep_bob):
    lead = LeadFactory(owner=None)
    conversation = conversation_open(lead, "email", peer=lead.email)
    url = reverse("outreach:conversation_assign", args=[conversation.pk])
    client.force_login(rep_alice)
    assert client.post(url, {"assignee": rep_bob.pk}).status_code == 403  # not for someone else
    client.post(url, {"assignee": rep_alice.pk}, headers=HX)
    conversation.refresh_from_db()
    assert conversation.assigned_to == rep_alice
    client.force_login(rep_bob)
    assert client.post(url, {"assignee": rep_bob.pk}).status_code == 403  # taken already
    client.force_login(manager_mia)
    client.post(url, {"assignee": rep_bob.pk}, headers=HX)
    conversation.refresh_from_db()
    assert conversation.assigned_to == rep_bob
    assert client.post(url, {"assignee": "99999999"}).status_code == 404


def test_a_manager_cannot_hand_a_thread_to_a_rep_who_cannot_see_the_lead(client, manager_mia, rep_bob, priya):
    conversation = conversation_open(priya, "email", peer=priya.email)
    client.force_login(manager_mia)
    url = reverse("outreach:conversation_assign", args=[conversation.pk])
    response = client.post(url, {"assignee": rep_bob.pk}, headers=HX)
    assert response.status_code == 422 and "cannot see" in response.content.decode()
    assert Conversation.objects.get(pk=conversation.pk).assigned_to_id == priya.owner_id


def test_quick_actions_move_the_stage_add_a_task_and_a_note(client, rep_alice, replied_thread):
    lead = replied_thread.lead
    client.force_login(rep_alice)
    forms = client.get(reverse("outreach:conversation_work", args=[replied_thread.pk]), headers=HX).content.decode()
    assert 'name="task-title"' in forms and 'name="note-body"' in forms  # loaded when the section opens
    refused = client.post(
        reverse("outreach:conversation_note", args=[replied_thread.pk]), {"note-body": ""}, headers=HX
    )
    assert refused.status_code == 422 and 'name="task-title"' in refused.content.decode()  # both forms, shown open
    stage = default_stage(3)
    client.post(reverse("outreach:conversation_stage", args=[replied_thread.pk]), {"stage": stage.pk}, headers=HX)
    lead.refresh_from_db()
    assert lead.stage == stage
    client.post(
        reverse("outreach:conversation_task", args=[replied_thread.pk]),
        {"task-title": "Call Priya Thursday", "task-kind": "call"}, headers=HX,
    )  # fmt: skip
    assert Task.objects.get(lead=lead).title == "Call Priya Thursday"
    client.post(reverse("outreach:conversation_note", args=[replied_thread.pk]), {"note-body": "Warm."}, headers=HX)
    assert Note.objects.get(lead=lead).body == "Warm."
