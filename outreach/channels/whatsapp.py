"""Sending WhatsApp and SMS messages in a lead's conversation, through Twilio: free text only inside WhatsApp's
24-hour customer service window (it runs from the lead's last message), an approved template at any time, never to
a number on the do-not-call list. The inbox's composer, the sequence's WhatsApp step and the ad-form acknowledgement
all send through `whatsapp_send` / `sms_send` (or the step's `whatsapp_step_deliver`).

A send is claimed before it is sent: its thread line is written as 'sending' (committed) before Twilio is called,
then set to what Twilio answered; a call whose outcome is unknown leaves it 'uncertain', never sent again by itself.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crm.models import Lead, User
from crm.selectors import numbers_not_to_call
from leadflow.roles import require_edit_lead
from outreach.channels import twilio_api
from outreach.conversations import conversation_open, message_sent
from outreach.delivery import Delivery
from outreach.merge import render_for_lead, template_check
from outreach.models import Conversation, ConversationChannel, ConversationMessage, Message, WhatsAppTemplate

# WhatsApp's customer service window: free text may be sent this long after the lead's last message.
WINDOW = timedelta(hours=24)
Status = ConversationMessage.Status
# Twilio's first status of a message it took, as our thread shows it.
ACCEPTED_STATUSES = {"sent": Status.SENT, "delivered": Status.DELIVERED, "read": Status.READ}
_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")


class SendRefused(ValidationError):
    """A message that may not go as asked (the window is closed, the number is on the do-not-call list, Twilio is
    not set up); `templates` are the approved templates that may go instead, where those would do."""

    def __init__(self, message: str, *, templates: list[WhatsAppTemplate] | None = None):
        super().__init__(message)
        self.templates = templates or []


def window_open(conversation: Conversation, *, now: datetime | None = None) -> bool:
    """Whether free text may be sent: the lead wrote within the last 24 hours (SMS has no such window)."""
    if conversation.channel == ConversationChannel.SMS:
        return True
    last = conversation.last_inbound_at
    return last is not None and (now or timezone.now()) - last < WINDOW


def leads_with_window_open(lead_ids: list[int], *, now: datetime) -> set[int]:
    """Which of these leads wrote on WhatsApp within the last 24 hours (one query, for a batch of sends)."""
    open_since = now - WINDOW
    conversations = Conversation.objects.filter(
        channel=ConversationChannel.WHATSAPP, lead_id__in=lead_ids, last_inbound_at__gt=open_since
    )
    return set(conversations.values_list("lead_id", flat=True))


def templates_offered() -> list[WhatsAppTemplate]:
    """The approved templates a closed window leaves."""
    return list(WhatsAppTemplate.objects.filter(active=True))


def template_variables(template: WhatsAppTemplate, lead: Lead) -> tuple[dict[str, str], list[str]]:
    """The template's placeholders filled for the lead ({"1": "Priya", ...}), and the merge fields it could not fill."""
    variables: dict[str, str] = {}
    unresolved: list[str] = []
    for number, text in enumerate(template.variables, start=1):
        rendered = render_for_lead("", str(text), lead)
        variables[str(number)] = rendered.text.strip()
        unresolved += rendered.unresolved
    return variables, list(dict.fromkeys(unresolved))


def whatsapp_template_check(template: WhatsAppTemplate) -> None:
    """Refuse a template whose variables are not a list of merge-field texts that check out, or whose Content SID is
    not one ("HX…"), naming what is wrong."""
    if not template.content_sid.startswith("HX"):
        raise ValidationError("A Content SID starts with HX (Twilio Console, Content Template Builder).")
    if not isinstance(template.variables, list):
        raise ValidationError('The variables are a list, one text per placeholder: ["{{ first_name }}", ...].')
    for number, text in enumerate(template.variables, start=1):
        try:
            template_check("", str(text))
        except ValidationError as exc:
            raise ValidationError(f"Variable {{{{{number}}}}}: {' '.join(exc.messages)}") from None


def template_text(template: WhatsAppTemplate, variables: dict[str, str]) -> str:
    """What the lead reads: the approved text with its placeholders filled (the name when no preview was kept)."""
    text = template.body_preview or f"[template {template.name}]"
    return _PLACEHOLDER.sub(lambda match: variables.get(match.group(1), match.group(0)), text)


def _sender(channel: str) -> str:
    sender = settings.TWILIO_WHATSAPP_FROM if channel == ConversationChannel.WHATSAPP else settings.TWILIO_SMS_FROM
    if not (sender and twilio_api.is_configured()):
        raise SendRefused(f"{ConversationChannel(channel).label} is not set up: Twilio's account, token and sender.")
    return sender


def _status_callback(channel: str) -> str:
    return settings.SITE_URL + reverse(f"twilio:{channel}")


def whatsapp_send(
    conversation: Conversation, *, author: User | None, text: str | None = None,
    template: WhatsAppTemplate | None = None, variables: dict[str, str] | None = None,
) -> ConversationMessage:  # fmt: skip
    """Send free text (window open) or an approved template (its variables given, else filled from the lead's merge
    fields) in a WhatsApp conversation; the thread's new line, whose status says how it went. Raises SendRefused."""
    if author is not None:
        require_edit_lead(author, conversation.lead)
    if template is None:
        if not (text or "").strip():
            raise SendRefused("Write a message or choose a template.")
        if not window_open(conversation):
            raise SendRefused(
                "The 24-hour window is closed (the lead has not written in the last 24 hours): only an approved "
                "template may be sent.",
                templates=templates_offered(),
            )
        return _send(conversation, author=author, text=text.strip())[0]
    if not template.active:
        raise SendRefused(f"The template {template.name!r} is no longer in use.", templates=templates_offered())
    if variables is None:
        variables, unresolved = template_variables(template, conversation.lead)
        if unresolved:
            raise SendRefused(f"The template needs fields this lead lacks: {', '.join(unresolved)}.")
    return _send(conversation, author=author, template=template, variables=variables)[0]


def sms_send(conversation: Conversation, *, author: User | None, text: str) -> ConversationMessage:
    """Send a text message in an SMS conversation; the thread's new line. Raises SendRefused."""
    if author is not None:
        require_edit_lead(author, conversation.lead)
    if not text.strip():
        raise SendRefused("Write a message.")
    return _send(conversation, author=author, text=text.strip())[0]


def _send(
    conversation: Conversation, *, author: User | None, text: str = "", template: WhatsAppTemplate | None = None,
    variables: dict[str, str] | None = None, sequence_message: Message | None = None,
) -> tuple[ConversationMessage, Delivery]:  # fmt: skip
    """1. Refuse a number on the do-not-call list. 2. Write the line as 'sending' (committed: no transaction of
    ours is open). 3. Call Twilio. 4. Record its answer on the line."""
    channel = conversation.channel
    if not conversation.peer:
        raise SendRefused("This conversation has no number to send to.")
    if numbers_not_to_call([conversation.peer]):
        raise SendRefused("This number is on the do-not-call list: it is never messaged.")
    sender = _sender(channel)
    whatsapp = channel == ConversationChannel.WHATSAPP
    line = message_sent(
        conversation, status=Status.SENDING, author=author, sequence_message=sequence_message,
        sender=twilio_api.bare_number(sender), recipient=conversation.peer,
        text=template_text(template, variables or {}) if template else text,
    )  # fmt: skip
    address = twilio_api.whatsapp_address if whatsapp else str
    try:
        accepted = twilio_api.message_create(
            to=address(conversation.peer), from_=sender, status_callback=_status_callback(channel),
            body=text, content_sid=template.content_sid if template else "", content_variables=variables,
        )  # fmt: skip
    except twilio_api.TwilioFailure as failure:
        status = Status.UNCERTAIN if failure.outcome == "uncertain" else Status.FAILED
        ConversationMessage.objects.filter(pk=line.pk).update(status=status, error=str(failure))
        line.status, line.error = status, str(failure)
        return line, Delivery(failure.outcome, error=str(failure))
    line.status, line.provider_id = ACCEPTED_STATUSES.get(accepted.status, Status.QUEUED), accepted.sid
    ConversationMessage.objects.filter(pk=line.pk).update(status=line.status, provider_id=line.provider_id)
    return line, Delivery("sent", provider_message_id=accepted.sid)


def whatsapp_step_deliver(message: Message) -> Delivery:
    """The scheduler's send of a claimed WhatsApp step: its composed free text (the claim found the window open),
    else the step's template filled for the lead; what became of it, as the email sends report theirs."""
    lead = message.lead
    conversation = conversation_open(lead, ConversationChannel.WHATSAPP, peer=lead.phone)
    template = None if message.body else message.step.whatsapp_template
    variables = template_variables(template, lead)[0] if template else None
    try:
        _line, delivery = _send(
            conversation, author=None, text=message.body, template=template, variables=variables,
            sequence_message=message,
        )  # fmt: skip
    except SendRefused as exc:
        return Delivery("permanent", error=" ".join(exc.messages))
    return delivery
