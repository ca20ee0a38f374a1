"""What a sequence email says and how it is built: the step's variant (an even random split for A/B steps), its
content for the lead (or the lead's approved writer draft), and the finished email with our own Message-ID, the
unsubscribe headers, the tracked HTML and the plain text with their footers."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formataddr, make_msgid

from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from crm.models import Lead
from outreach.merge import render_for_lead
from outreach.models import Channel, Draft, Mailbox, Message, SequenceStep, StepVariant
from outreach.tracking import message_html, message_text, unsubscribe_headers


@dataclass(frozen=True)
class Content:
    """A step's message for one lead: what it says, or the merge fields it could not fill."""

    variant: StepVariant | None
    subject: str
    text: str
    unresolved: list[str]


def variant_choose(step: SequenceStep) -> StepVariant | None:
    """One of the step's variants, each as likely as the others (prefetched `variants`)."""
    variants = list(step.variants.all())
    return random.choice(variants) if variants else None  # noqa: S311 (an A/B split, not a secret)


def approved_drafts(lead_ids: Iterable[int]) -> dict[int, Draft]:
    """Each lead's latest approved email draft from the writer."""
    latest: dict[int, Draft] = {}
    drafts = Draft.objects.filter(lead_id__in=list(lead_ids), channel=Channel.EMAIL, status=Draft.Status.APPROVED)
    for draft in drafts.order_by("lead_id", "-decided_at", "-id"):
        latest.setdefault(draft.lead_id, draft)
    return latest


def content_for(
    step: SequenceStep, lead: Lead, *, mailbox: Mailbox, drafts: dict[int, Draft], variant: StepVariant | None
) -> Content:
    """The variant's subject and body (its template's where it has none of its own), or the lead's approved draft
    where the variant says so and one exists, rendered for the lead and signed by the mailbox."""
    subject, body = "", ""
    if variant is not None:
        template = variant.template
        subject = variant.subject or (template.subject if template else "")
        body = variant.body or (template.body if template else "")
        draft = drafts.get(lead.pk) if variant.use_approved_draft else None
        if draft is not None:
            subject, body = draft.subject, draft.body
    rendered = render_for_lead(subject, body, lead)
    text = f"{rendered.text.rstrip()}\n\n{mailbox.signature.strip()}" if mailbox.signature.strip() else rendered.text
    return Content(variant=variant, subject=rendered.subject, text=text, unresolved=list(rendered.unresolved))


def message_id_new(mailbox: Mailbox) -> str:
    """Our own Message-ID, on the mailbox's domain: stored on the row before sending, so that events and replies
    find the message by it."""
    return make_msgid(domain=mailbox.address.rpartition("@")[2])


def email_build(message: Message, lead: Lead, *, connection: BaseEmailBackend | None = None) -> EmailMultiAlternatives:
    """The email for a claimed message, as it goes out."""
    mailbox = message.mailbox
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message_text(message, message.body),
        from_email=formataddr((mailbox.name, mailbox.address)),
        to=[formataddr((f"{lead.first_name} {lead.last_name}".strip(), message.to_email))],
        headers={"Message-ID": message.message_id, **unsubscribe_headers(message)},
        connection=connection,
    )
    email.attach_alternative(message_html(message, message.body), "text/html")
    return email
