"""Seeds' workflow: a person who fills in an ad form is answered at once, by WhatsApp (an approved template) or by
email, when the form's source says so; and their conversation opens with the form's answers, so the rep who picks
it up reads what they asked for. Each delivery is acknowledged once, however often its save runs."""

from __future__ import annotations

from email.utils import formataddr, make_msgid

from django.core.mail import EmailMessage
from django.dispatch import receiver

from crm.models import Activity, Lead
from crm.services.timeline import activity_record
from outreach.channels.whatsapp import SendRefused, whatsapp_send
from outreach.conversations import conversation_open, message_received, message_sent
from outreach.delivery import MailboxConnections
from outreach.merge import render_for_lead
from outreach.models import Conversation, ConversationChannel, ConversationMessage, Mailbox, Template, WhatsAppTemplate
from outreach.suppression import suppression_reason
from scraping.models import AdDelivery, Source
from scraping.signals import ad_leads_saved

# The form answers' line in a thread carries this id, so a delivery saved twice opens its conversation once.
FORM_ID_PREFIX = "adform:"
# An email that did not go now is not tried again: the rep sees it failed in the thread and answers by hand.
DELIVERY_STATUSES = {"sent": ConversationMessage.Status.SENT, "uncertain": ConversationMessage.Status.UNCERTAIN}


@receiver(ad_leads_saved, dispatch_uid="outreach_ad_leads_acknowledge")
def ad_leads_acknowledge(sender, *, source: Source, deliveries: list[AdDelivery], **kwargs) -> None:
    if source.acknowledge_by not in ConversationChannel.values:
        return
    leads = Lead.objects.select_related("company").in_bulk([delivery.lead_id for delivery in deliveries])
    for delivery in deliveries:
        if delivery.lead_id in leads:
            ad_lead_acknowledge(leads[delivery.lead_id], source=source, delivery=delivery)


def answers_text(source: Source, fields: dict) -> str:
    lines = [f"{name}: {value}" for name, value in fields.items() if str(value).strip()]
    return f"Answers to the form of {source.name}:\n" + "\n".join(lines)


def ad_lead_acknowledge(lead: Lead, *, source: Source, delivery: AdDelivery) -> None:
    """Open the lead's conversation on the source's channel with the form's answers, then send the acknowledgement
    (what stopped it, if anything, goes on the lead's timeline)."""
    channel = source.acknowledge_by
    peer = lead.phone if channel == ConversationChannel.WHATSAPP else lead.email
    conversation = conversation_open(lead, channel, peer=peer, subject=f"Your enquiry ({source.name})")
    answers = message_received(
        conversation, kind=ConversationMessage.Kind.FORM, provider_id=f"{FORM_ID_PREFIX}{delivery.pk}",
        sender=peer, text=answers_text(source, delivery.fields), occurred_at=delivery.received_at,
    )  # fmt: skip
    if answers is None:  # acknowledged when this delivery was first saved
        return
    try:
        if not peer:
            raise SendRefused(f"the lead has no {'number' if channel == ConversationChannel.WHATSAPP else 'email'}")
        if channel == ConversationChannel.WHATSAPP:
            template = WhatsAppTemplate.objects.filter(name=source.acknowledge_template, active=True).first()
            if template is None:
                raise SendRefused(f"no active WhatsApp template named {source.acknowledge_template!r}")
            whatsapp_send(conversation, author=None, template=template)
        else:
            _email_acknowledge(conversation, source)
    except SendRefused as exc:
        activity_record(
            lead=lead, actor=None, kind=Activity.Kind.SEQUENCE,
            summary=f"Ad form not acknowledged ({source.name}): {' '.join(exc.messages)}"[:300],
        )  # fmt: skip


def _email_acknowledge(conversation: Conversation, source: Source) -> None:
    """Email the acknowledgement from the source's mailbox: claimed as 'sending' in the thread before the server is
    called, then sent, failed or uncertain."""
    lead = conversation.lead
    mailbox = Mailbox.objects.filter(address__iexact=source.acknowledge_from, active=True).first()
    template = Template.objects.filter(name=source.acknowledge_template).first()
    if mailbox is None or template is None:
        raise SendRefused(f"the source names no active mailbox and email template ({source.acknowledge_from!r}, "
                          f"{source.acknowledge_template!r})")  # fmt: skip
    if reason := suppression_reason(lead.email):
        raise SendRefused(f"the address is suppressed ({reason})")
    rendered = render_for_lead(template.subject, template.body, lead)
    if rendered.unresolved:
        raise SendRefused(f"the template needs fields this lead lacks: {', '.join(rendered.unresolved)}")
    message_id = make_msgid(domain=mailbox.address.rpartition("@")[2])
    line = message_sent(
        conversation, status=ConversationMessage.Status.SENDING, sender=mailbox.address, recipient=lead.email,
        subject=rendered.subject, text=rendered.text, message_id=message_id,
    )  # fmt: skip
    email = EmailMessage(
        subject=rendered.subject, body=rendered.text, from_email=formataddr((mailbox.name, mailbox.address)),
        to=[lead.email], headers={"Message-ID": message_id},
    )  # fmt: skip
    with MailboxConnections() as connections:
        delivery = connections.deliver(mailbox, email)
    status = DELIVERY_STATUSES.get(delivery.result, ConversationMessage.Status.FAILED)
    ConversationMessage.objects.filter(pk=line.pk).update(
        status=status, error=delivery.error, provider_id=delivery.provider_message_id
    )
