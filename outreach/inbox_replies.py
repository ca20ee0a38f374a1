"""Answering a conversation from the inbox: the composer's subject and text (typed, or from an approved draft or a
template), and the answer sent on the conversation's channel and kept in its thread.

Email goes out through the mailbox the thread runs through (else the one the lead's latest sequence email came
from, else the first active one), over the same connection and error sorting as sequence sends
(outreach.delivery), with the threading headers mail clients group by: In-Reply-To the lead's last message,
References its references and it, the same subject after "Re: ". WhatsApp and SMS go through Twilio
(outreach.channels.whatsapp: free text inside WhatsApp's 24-hour window); REPLY_SENDERS maps each channel to its
sender."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formataddr

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from crm.models import Activity, User
from crm.services.timeline import activity_record
from outreach.channels.whatsapp import sms_send, whatsapp_send
from outreach.compose import message_id_new
from outreach.conversations import message_sent
from outreach.delivery import MailboxConnections
from outreach.inbox_actions import can_answer
from outreach.merge import render_for_lead
from outreach.models import (
    Channel,
    Conversation,
    ConversationChannel,
    ConversationMessage,
    Draft,
    Mailbox,
    Message,
    WhatsAppTemplate,
)
from outreach.models import Template as MessageTemplate

Status = ConversationMessage.Status
# What became of an email (outreach.delivery.Delivery.result) as the thread shows it: a refusal, now or for good,
# is a failed answer the rep may send again.
DELIVERY_STATUS = {"sent": Status.SENT, "transient": Status.FAILED, "permanent": Status.FAILED}
REPLY_PREFIX = "Re: "


@dataclass(frozen=True)
class Composed:
    subject: str
    body: str


def last_inbound(conversation: Conversation) -> ConversationMessage | None:
    """The lead's latest message in the thread (the one an answer answers)."""
    inbound = conversation.messages.filter(direction=ConversationMessage.Direction.IN)
    return inbound.order_by("-occurred_at", "-id").first()


def reply_subject(conversation: Conversation, answering: ConversationMessage | None) -> str:
    """The thread's subject with one "Re: " in front (never "Re: Re: ...")."""
    subject = (answering.subject if answering and answering.subject else conversation.subject).strip()
    return subject if subject.lower().startswith("re:") else f"{REPLY_PREFIX}{subject}".strip()


def reply_threading(conversation: Conversation, answering: ConversationMessage | None) -> tuple[str, str]:
    """(In-Reply-To, References) for an answer: the lead's last message and its references, else our own last
    email in the thread (a follow-up before they wrote)."""
    if answering is None or not answering.message_id:
        ours = conversation.messages.exclude(message_id="").order_by("-occurred_at", "-id").first()
        sequence = conversation.lead.messages.filter(status=Message.Status.SENT).exclude(message_id="").first()
        answered_id = ours.message_id if ours else sequence.message_id if sequence else ""
        return answered_id, answered_id
    references = " ".join([*answering.references.split(), answering.message_id])
    return answering.message_id, references


def reply_mailbox(conversation: Conversation) -> Mailbox | None:
    """The mailbox the thread runs through, else the lead's latest sequence email's, else the first active one."""
    if conversation.mailbox is not None and conversation.mailbox.active:
        return conversation.mailbox
    latest = conversation.lead.messages.filter(mailbox__active=True).select_related("mailbox").first()
    return latest.mailbox if latest else Mailbox.objects.filter(active=True).order_by("pk").first()


def approved_drafts_for(conversation: Conversation):
    """The lead's approved drafts for the conversation's channel, newest first: the composer offers them."""
    channel = Channel.EMAIL if conversation.channel == ConversationChannel.EMAIL else conversation.channel
    drafts = Draft.objects.filter(lead_id=conversation.lead_id, channel=channel, status=Draft.Status.APPROVED)
    return drafts.order_by("-decided_at", "-id")


def composed(
    conversation: Conversation, *, draft: Draft | None = None, template: MessageTemplate | None = None
) -> Composed:
    """What the composer starts with: the draft's text, the template filled in for the lead (merge fields it cannot
    fill are left empty for the rep to see), or nothing; the subject is always the thread's."""
    subject = reply_subject(conversation, last_inbound(conversation))
    if draft is not None:
        return Composed(subject=subject, body=draft.body)
    if template is not None:
        mailbox = reply_mailbox(conversation)
        rendered = render_for_lead(template.subject, template.body, conversation.lead, mailbox=mailbox)
        return Composed(subject=subject, body=rendered.text.strip())
    return Composed(subject=subject, body="")


def conversation_reply(*, conversation: Conversation, actor: User, body: str) -> ConversationMessage:
    """Answer the conversation on its channel; the answer is in the thread whatever became of it (its status and
    the server's error say)."""
    if not can_answer(actor, conversation):
        raise PermissionDenied("You can answer conversations of leads you may change, or assigned to you.")
    if not body.strip():
        raise ValidationError("Write something to send.")
    sender = REPLY_SENDERS.get(conversation.channel)
    if sender is None:
        raise ValidationError(f"Answering on {conversation.get_channel_display()} is not available yet.")
    return sender(conversation, actor, body.strip())


def conversation_whatsapp_template(
    *, conversation: Conversation, actor: User, template: WhatsAppTemplate
) -> ConversationMessage:
    """Send an approved WhatsApp template (its variables filled from the lead): what may go once the 24-hour window
    has closed."""
    if not can_answer(actor, conversation) or conversation.channel != ConversationChannel.WHATSAPP:
        raise PermissionDenied("You cannot send templates in this conversation.")
    return whatsapp_send(conversation, author=actor, template=template)


def _quoted(message: ConversationMessage | None) -> str:
    if message is None or not message.text:
        return ""
    when = timezone.localtime(message.occurred_at).strftime("%a, %d %b %Y at %H:%M")
    lines = "\n".join(f"> {line}" if line else ">" for line in message.text.splitlines())
    return f"On {when}, {message.sender or 'you'} wrote:\n{lines}"


def _email_reply(conversation: Conversation, actor: User, body: str) -> ConversationMessage:
    """1. Keep the answer in the thread as 'sending', with our Message-ID, committed before the server is called
    (a crash leaves a visible line, never an unrecorded email); 2. send; 3. record what the server said."""
    mailbox = reply_mailbox(conversation)
    if mailbox is None:
        raise ValidationError("There is no active mailbox to send from: add one on the mailboxes page.")
    lead = conversation.lead
    to = conversation.peer or lead.email
    if not to:
        raise ValidationError(f"{lead.full_name} has no email address to answer.")
    answering = last_inbound(conversation)
    in_reply_to, references = reply_threading(conversation, answering)
    subject = reply_subject(conversation, answering)
    quoted = _quoted(answering)
    signature = mailbox.signature.strip()
    with transaction.atomic():
        answer = message_sent(
            conversation, status=Status.SENDING, author=actor, sender=mailbox.address, recipient=to,
            subject=subject, text=body, signature=signature, quoted=quoted, message_id=message_id_new(mailbox),
            in_reply_to=in_reply_to, references=references,
        )  # fmt: skip
        Conversation.objects.filter(pk=conversation.pk).update(
            unread=0, mailbox=conversation.mailbox or mailbox, subject=conversation.subject or subject
        )
    headers = {"Message-ID": answer.message_id}
    if in_reply_to:
        headers |= {"In-Reply-To": in_reply_to, "References": references}
    email = EmailMessage(
        subject=subject,
        body="\n\n".join(part for part in (body, signature, quoted) if part),
        from_email=formataddr((mailbox.name, mailbox.address)),
        to=[formataddr((f"{lead.first_name} {lead.last_name}".strip(), to))],
        headers=headers,
    )
    with MailboxConnections() as connections:
        delivery = connections.deliver(mailbox, email)
    answer.status = DELIVERY_STATUS.get(delivery.result, Status.UNCERTAIN)
    answer.error = delivery.error
    answer.provider_id = delivery.provider_message_id
    with transaction.atomic():
        answer.save(update_fields=["status", "error", "provider_id"])
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
        sent = answer.status == Status.SENT
        summary = f"Answered: {subject}" if sent else f"Answer not sent: {subject} ({delivery.error})"
        activity_record(
            lead=lead, actor=actor, kind=Activity.Kind.EMAIL_SENT if sent else Activity.Kind.EMAIL_NOT_SENT,
            summary=summary,
            data={"conversation": conversation.pk, "conversation_message": answer.pk},
        )  # fmt: skip
    return answer


def _whatsapp_reply(conversation: Conversation, actor: User, body: str) -> ConversationMessage:
    # Free text only inside the 24-hour window: outside it SendRefused (a ValidationError) says so.
    return whatsapp_send(conversation, author=actor, text=body)


def _sms_reply(conversation: Conversation, actor: User, body: str) -> ConversationMessage:
    return sms_send(conversation, author=actor, text=body)


# channel -> how an answer goes out on it; a channel missing here is shown read-only.
REPLY_SENDERS: dict[str, Callable[[Conversation, User, str], ConversationMessage]] = {
    ConversationChannel.EMAIL: _email_reply,
    ConversationChannel.WHATSAPP: _whatsapp_reply,
    ConversationChannel.SMS: _sms_reply,
}
