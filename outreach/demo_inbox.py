"""The inbox's part of the demo (issue 14), after the sequences' part has sent its first emails: an email reply to one
of them (a real reply: the lead's sequence stops and it moves to "Replied"), an out-of-office answer to another
(kept, never counted as a reply), and a WhatsApp thread, each written through outreach.conversations as the email
intake and Twilio's webhooks write them."""

from __future__ import annotations

import datetime
import random

from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from crm.models import Lead, User
from crm.signals import demo_seeding
from outreach.conversations import conversation_open, message_received, message_sent, reply_received
from outreach.demo_sequences import DEMO_NAME  # imported first, its receiver runs first: these answer its emails
from outreach.models import ConversationChannel, ConversationMessage, Message

Kind, Status = ConversationMessage.Kind, ConversationMessage.Status
# The sequences' demo uses its first five sent emails (open, machine open, reply, unsubscribe, bounce).
FIRST_UNUSED = 5
WHATSAPP_NUMBER = "+447700900461"  # Ofcom's range for drama: never a real person's number


def _answer_headers(sent: Message, suffix: str) -> dict:
    domain = sent.to_email.rpartition("@")[2] or "example.com"
    return {
        "message_id": f"<demo-{suffix}-{sent.pk}@{domain}>",
        "in_reply_to": sent.message_id,
        "references": sent.message_id,
        "sequence_message": sent,
    }


def _email_reply(sent: Message) -> None:
    lead = sent.lead
    conversation = conversation_open(
        lead, ConversationChannel.EMAIL, peer=sent.to_email, mailbox=sent.mailbox, subject=sent.subject
    )
    message = message_received(
        conversation, occurred_at=sent.sent_at + datetime.timedelta(minutes=42), sender=sent.to_email,
        recipient=sent.mailbox.address if sent.mailbox else "", subject=f"Re: {sent.subject}",
        text=f"Hi,\n\nTiming is good: we are reviewing our prospecting tools this month. Could you do Thursday at "
        f"10:00?\n\nBest,\n{lead.first_name}",
        quoted=f"> {sent.body[:300]}", **_answer_headers(sent, "reply"),
    )  # fmt: skip
    if message is not None:
        reply_received(message, answered=sent)


def _out_of_office(sent: Message) -> None:
    conversation = conversation_open(
        sent.lead, ConversationChannel.EMAIL, peer=sent.to_email, mailbox=sent.mailbox, subject=sent.subject
    )
    message_received(
        conversation, occurred_at=sent.sent_at + datetime.timedelta(seconds=30), sender=sent.to_email,
        kind=Kind.AUTO_REPLY, subject=f"Automatic reply: {sent.subject}",
        text="I am out of the office until Monday with limited access to email. For urgent matters, call the office.",
        **_answer_headers(sent, "ooo"),
    )  # fmt: skip


def _whatsapp_thread(lead: Lead, manager: User) -> None:
    now = timezone.now()
    conversation = conversation_open(lead, ConversationChannel.WHATSAPP, peer=lead.phone or WHATSAPP_NUMBER)
    hours = datetime.timedelta(hours=1)
    first = message_received(
        conversation, occurred_at=now - 26 * hours, sender=conversation.peer, provider_id=f"SMdemo{lead.pk}a",
        text="Hi! I filled in your form about route planning. Do you integrate with our TMS?",
    )  # fmt: skip
    message_sent(
        conversation, occurred_at=now - 25 * hours, author=manager, recipient=conversation.peer, status=Status.READ,
        provider_id=f"SMdemo{lead.pk}b",
        text=f"Hi {lead.first_name}, yes: we connect to the common TMS platforms. Which one do you use?",
    )  # fmt: skip
    message_received(
        conversation, occurred_at=now - 2 * hours, sender=conversation.peer, provider_id=f"SMdemo{lead.pk}c",
        text="We are on Transporeon. Here is our current route sheet.",
        attachments=[{"name": "routes.pdf", "content_type": "application/pdf", "size": 48213,
                      "url": "https://media.example.com/demo/routes.pdf"}],
    )  # fmt: skip
    if first is not None:
        reply_received(first)


@receiver(demo_seeding, dispatch_uid="outreach.demo_inbox")
def inbox_demo(sender, *, manager: User, rng: random.Random, **kwargs) -> list[str]:
    # rng is left alone, as in the sequences' part: later parts draw the same numbers with or without this one.
    sent = list(
        Message.objects.filter(enrollment__sequence__name=DEMO_NAME, status=Message.Status.SENT, sent_at__isnull=False)
        .select_related("lead", "mailbox")
        .order_by("pk")[FIRST_UNUSED : FIRST_UNUSED + 2]
    )
    if len(sent) == 2:
        _email_reply(sent[0])
        _out_of_office(sent[1])
    busy = {message.lead_id for message in sent}
    lead = Lead.objects.exclude(pk__in=busy).exclude(owner=None).order_by("-pk").first()
    if lead is not None:
        _whatsapp_thread(lead, manager)
    threads = ("an email reply and an out-of-office, " if len(sent) == 2 else "") + "a WhatsApp thread"
    return [f"outreach: inbox at {reverse('outreach:inbox')} with {threads}; the owners are notified of each reply"]
