"""The one service every channel feeds: a conversation per lead and channel, each message in or out recorded once,
and what a real reply does (sequences stop, the contact becomes a lead, the "Replied" stage, the owner told).

Email replies (Mailgun's inbound webhook, the IMAP poller), WhatsApp and SMS (Twilio) and the inbox's composer all
write through here, so the inbox, the lead page and the counts read one set of records."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from crm.models import Lead, Notification, Stage
from crm.services.leads import lead_move_stage
from crm.services.notifications import notify
from crm.webhooks.events import EventType, absolute_url
from crm.webhooks.publish import lead_event_publish
from outreach.models import Conversation, ConversationMessage, Message
from outreach.stop_conditions import lead_replied

PREVIEW_LENGTH = Conversation._meta.get_field("preview").max_length
# The stage a first reply moves a lead to, found by name in the lead's pipeline (admins may rename the others).
REPLIED_STAGE = "replied"
# How much of a reply's text its webhook event carries.
REPLY_EXCERPT = 2000


def conversation_open(lead: Lead, channel: str, *, peer: str = "", mailbox=None, subject: str = "") -> Conversation:
    """The lead's conversation on this channel, opened (assigned to the lead's owner) the first time."""
    defaults = {"assigned_to_id": lead.owner_id, "peer": peer, "mailbox": mailbox, "subject": subject[:300]}
    try:
        with transaction.atomic():
            conversation, created = Conversation.objects.get_or_create(lead=lead, channel=channel, defaults=defaults)
    except IntegrityError:  # opened by another worker meanwhile
        conversation, created = Conversation.objects.get(lead=lead, channel=channel), False
    if not created:
        missing = {
            name: value
            for name, value in (("peer", peer), ("mailbox", mailbox), ("subject", subject[:300]))
            if value and not getattr(conversation, name)
        }
        if missing:
            Conversation.objects.filter(pk=conversation.pk).update(**missing, updated_at=timezone.now())
            for name, value in missing.items():
                setattr(conversation, name, value)
    return conversation


@transaction.atomic
def message_received(
    conversation: Conversation, *, occurred_at: datetime.datetime | None = None, **fields
) -> ConversationMessage | None:
    """Keep a message from the lead; None when it was kept already (a redelivered webhook: same provider id, or
    same Message-ID in this thread). Raises the thread's unread count and moves it to the top."""
    provider_id, message_id = fields.get("provider_id", ""), fields.get("message_id", "")
    if provider_id and ConversationMessage.objects.filter(provider_id=provider_id).exists():
        return None
    if message_id and conversation.messages.filter(message_id=message_id).exists():
        return None
    at = occurred_at or timezone.now()
    try:
        with transaction.atomic():
            message = ConversationMessage.objects.create(
                conversation=conversation, direction=ConversationMessage.Direction.IN, occurred_at=at, **fields
            )
    except IntegrityError:  # the same delivery, kept by another worker a moment ago
        return None
    kind = fields.get("kind", ConversationMessage.Kind.MESSAGE)
    counts = kind != ConversationMessage.Kind.BOUNCE
    # Ad-form answers are theirs but no message on the channel: WhatsApp's 24-hour window stays as it was.
    _thread_touch(conversation, message, at, inbound=counts, written=kind != ConversationMessage.Kind.FORM)
    return message


@transaction.atomic
def message_sent(conversation: Conversation, **fields) -> ConversationMessage:
    """Keep a message of ours in the thread (a rep's answer, a sequence step, a WhatsApp template)."""
    at = fields.pop("occurred_at", None) or timezone.now()
    message = ConversationMessage.objects.create(
        conversation=conversation, direction=ConversationMessage.Direction.OUT, occurred_at=at, **fields
    )
    _thread_touch(conversation, message, at, inbound=False)
    return message


def _thread_touch(
    conversation: Conversation, message: ConversationMessage, at, *, inbound: bool, written: bool = True
) -> None:
    preview = " ".join((message.text or message.subject or "").split())[:PREVIEW_LENGTH]
    changes: dict = {"preview": preview, "last_message_at": at, "updated_at": timezone.now()}
    if inbound:
        changes |= {"unread": F("unread") + 1, "snoozed_until": None}
        if written:
            changes["last_inbound_at"] = at
    # Only a newer message moves the thread (a late webhook for an old one leaves its place alone); the first message
    # always does, however old (an email read today that was written yesterday opens its thread today).
    first = ~Exists(ConversationMessage.objects.filter(conversation=OuterRef("pk")).exclude(pk=message.pk))
    newest = Conversation.objects.filter(Q(last_message_at__lte=at) | first, pk=conversation.pk).update(**changes)
    if not newest:
        Conversation.objects.filter(pk=conversation.pk).update(
            updated_at=changes["updated_at"], **({"unread": F("unread") + 1} if inbound else {})
        )


@transaction.atomic
def reply_received(message: ConversationMessage, *, answered: Message | None = None) -> None:
    """What a real reply does (an automatic reply, a bounce or an unsubscribe request does none of it): the lead's
    sequences stop (and the company's where a sequence says so) and a contact becomes a lead (lead_replied), the
    lead moves to "Replied" unless it is further already, and the conversation's rep is told."""
    conversation = message.conversation
    lead = Lead.objects.select_related("stage").get(pk=conversation.lead_id)
    lead_replied(lead, message=answered, at=message.occurred_at)
    _replied_stage_reach(lead)
    lead_event_publish(
        EventType.LEAD_REPLIED,
        lead,
        channel=conversation.channel,
        received_at=message.occurred_at.isoformat(),
        text=message.text[:REPLY_EXCERPT],
        conversation_url=absolute_url(reverse("outreach:conversation", args=[conversation.pk])),
    )
    rep = conversation.assigned_to or lead.owner
    if rep is not None:
        channel = conversation.get_channel_display()
        notify(
            rep,
            kind=Notification.Kind.REPLY,
            text=f"{lead.full_name or conversation.peer} replied ({channel})",
            url=reverse("outreach:conversation", args=[conversation.pk]),
            lead=lead,
            email_body=f"{lead.full_name or conversation.peer} wrote:\n\n{message.text[:2000]}",
        )


def _replied_stage_reach(lead: Lead) -> None:
    replied = Stage.objects.filter(pipeline_id=lead.stage.pipeline_id, name__iexact=REPLIED_STAGE).first()
    if replied is None or lead.stage.kind != Stage.Kind.OPEN or lead.stage.position >= replied.position:
        return
    lead_move_stage(lead=lead, stage=replied, actor=None, expected_stage_id=lead.stage_id)
