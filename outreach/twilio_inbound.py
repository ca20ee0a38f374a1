"""What Twilio's webhooks bring (WhatsApp and SMS alike): a message from a lead, kept once in their conversation and
treated as a reply; an opt-out ("STOP") honoured by putting the number on the do-not-call list, the one list every
sender asks (a later "START" takes that entry off again); and delivery and read states of our messages, which only
ever move forwards.

A number no lead has becomes a new contact (source "whatsapp" or "sms", no owner: the conversation is unassigned),
so that nobody who wrote is lost."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.models import Activity, Lead
from crm.normalize import NormalizeError, name_split, phone_e164
from crm.services.do_not_call import do_not_call_opt_in, do_not_call_opt_out
from crm.services.leads import lead_create
from crm.services.pipelines import pipeline_default
from crm.services.timeline import activity_record
from crm.webhooks.events import EventType
from crm.webhooks.publish import lead_event_publish
from outreach.channels.twilio_api import bare_number
from outreach.conversations import conversation_open, message_received, reply_received
from outreach.models import Conversation, ConversationMessage, Enrollment, Message
from outreach.stop_conditions import lead_enrollments_stop

Status = ConversationMessage.Status
# Twilio's default opt-out keywords (a message that is one of them, alone), and its OptOutType field.
OPT_OUT_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
OPT_IN_WORDS = {"START", "UNSTOP", "YES"}
# Twilio's MessageStatus as our thread shows it; the statuses each one may replace (never a later one).
TWILIO_STATUSES = {
    "accepted": Status.QUEUED, "scheduled": Status.QUEUED, "queued": Status.QUEUED, "sending": Status.QUEUED,
    "sent": Status.SENT, "delivered": Status.DELIVERED, "read": Status.READ,
    "failed": Status.FAILED, "undelivered": Status.FAILED, "canceled": Status.FAILED,
}  # fmt: skip
_BEFORE_SENT = [Status.SENDING, Status.UNCERTAIN, Status.QUEUED]
REPLACES = {
    Status.QUEUED: [Status.SENDING, Status.UNCERTAIN],
    Status.SENT: _BEFORE_SENT,
    Status.DELIVERED: [*_BEFORE_SENT, Status.SENT],
    Status.READ: [*_BEFORE_SENT, Status.SENT, Status.DELIVERED],
    # A message read or delivered did not fail afterwards: a late "undelivered" is an older report.
    Status.FAILED: [*_BEFORE_SENT, Status.SENT],
}


def is_status_callback(form: Mapping[str, str]) -> bool:
    """A report on one of our messages, not a message from the lead (whose status is "received")."""
    status = form.get("MessageStatus") or form.get("SmsStatus") or "received"
    return status not in ("received", "receiving")


def twilio_status_received(form: Mapping[str, str]) -> bool:
    """Move our message (found by its MessageSid) to the reported status, unless it is already further; whether it
    moved. A delivered sequence message is marked delivered too."""
    status = TWILIO_STATUSES.get(form.get("MessageStatus") or form.get("SmsStatus") or "")
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if status is None or not sid:
        return False
    changes: dict = {"status": status}
    if status == Status.FAILED and form.get("ErrorCode"):
        code = form["ErrorCode"]
        changes["error"] = f"Twilio error {code}: https://www.twilio.com/docs/api/errors/{code}"
    lines = ConversationMessage.objects.filter(provider_id=sid, direction=ConversationMessage.Direction.OUT)
    moved = lines.filter(status__in=REPLACES[status]).update(**changes)
    if moved and status in (Status.DELIVERED, Status.READ):
        message_ids = lines.exclude(sequence_message=None).values_list("sequence_message_id", flat=True)
        Message.objects.filter(pk__in=list(message_ids), delivered_at=None).update(delivered_at=timezone.now())
    return bool(moved)


def is_opt_out(form: Mapping[str, str]) -> bool:
    return form.get("OptOutType", "").upper() == "STOP" or form.get("Body", "").strip().upper() in OPT_OUT_WORDS


def is_opt_in(form: Mapping[str, str]) -> bool:
    return form.get("OptOutType", "").upper() == "START" or form.get("Body", "").strip().upper() in OPT_IN_WORDS


def _opt_out_origin(conversation: Conversation) -> str:
    return f"{conversation.get_channel_display()} opt-out (STOP)"


def _media(form: Mapping[str, str]) -> list[dict]:
    """The message's media as links (Twilio keeps the files): https addresses only, as a page shows them."""
    try:
        count = min(int(form.get("NumMedia") or 0), 10)  # WhatsApp and MMS carry at most 10
    except ValueError:
        count = 0
    media = []
    for index in range(count):
        url = form.get(f"MediaUrl{index}", "")
        if url.startswith("https://"):
            content_type = form.get(f"MediaContentType{index}", "")
            media.append({"name": f"Attachment {index + 1}", "url": url, "content_type": content_type})
    return media


def _lead_for(number: str, channel: str, profile_name: str) -> Lead:
    """The lead this number belongs to: the one already talking on it, else the lead with it as main number (the
    most recently changed), else one of their other numbers; a new contact otherwise."""
    conversation = Conversation.objects.filter(channel=channel, peer=number).select_related("lead").first()
    if conversation is not None:
        return conversation.lead
    lead = (
        Lead.objects.filter(phone=number).order_by("-updated_at").first()
        or Lead.objects.filter(other_phones__icontains=number).order_by("-updated_at").first()
    )
    if lead is not None:
        return lead
    first, last = name_split(profile_name) if profile_name.strip() else ("", "")
    return lead_create(
        actor=None, stage=pipeline_default().stages.first(), first_name=first, last_name=last, phone=number,
        source=channel,
    )  # fmt: skip


def _answered(conversation: Conversation) -> Message | None:
    """The sequence message of ours the lead most likely answers: the latest one in this thread."""
    line = conversation.messages.filter(direction=ConversationMessage.Direction.OUT).exclude(sequence_message=None)
    latest = line.select_related("sequence_message").order_by("-occurred_at", "-id").first()
    return latest.sequence_message if latest else None


@transaction.atomic
def twilio_message_received(channel: str, form: Mapping[str, str]) -> ConversationMessage | None:
    """Keep a WhatsApp or SMS message from a lead in their conversation (None when kept already, or when its sender
    is no phone number), then treat it as a reply, or as an opt-out."""
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if not sid or ConversationMessage.objects.filter(provider_id=sid).exists():
        return None
    try:
        number = phone_e164(bare_number(form.get("From", "")))
    except (NormalizeError, ValueError):
        return None
    if not number:
        return None
    try:
        lead = _lead_for(number, channel, form.get("ProfileName", ""))
    except ValidationError:
        return None
    opt_out = is_opt_out(form)
    conversation = conversation_open(lead, channel, peer=number)
    message = message_received(
        conversation, provider_id=sid, status=Status.RECEIVED, sender=number, recipient=bare_number(form.get("To", "")),
        text=form.get("Body", ""), attachments=_media(form),
        kind=ConversationMessage.Kind.UNSUBSCRIBE if opt_out else ConversationMessage.Kind.MESSAGE,
    )  # fmt: skip
    if message is None:  # the same webhook, kept by another worker meanwhile: nothing of this one stays
        transaction.set_rollback(True)
        return None
    if opt_out:
        _opted_out(lead, number, conversation)
        return message
    if is_opt_in(form):  # a START undoes this channel's STOP, nothing else on the list
        do_not_call_opt_in(number=number, origin=_opt_out_origin(conversation))
    reply_received(message, answered=_answered(conversation))
    return message


def _opted_out(lead: Lead, number: str, conversation: Conversation) -> None:
    channel = conversation.get_channel_display()
    do_not_call_opt_out(number=number, origin=_opt_out_origin(conversation))
    lead_enrollments_stop(lead, Enrollment.StopReason.UNSUBSCRIBED)
    activity_record(
        lead=lead, actor=None, kind=Activity.Kind.UNSUBSCRIBED,
        summary=f"Opted out by {channel} (STOP): the number is on the do-not-call list",
        data={"conversation": conversation.pk},
    )  # fmt: skip
    lead_event_publish(EventType.LEAD_UNSUBSCRIBED, lead, channel=conversation.channel, via="STOP")
