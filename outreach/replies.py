"""Email coming in, from Mailgun's inbound webhook or the IMAP poller: one service reads it, finds the lead and the
message it answers, decides what it is, keeps it in the lead's conversation and does what that kind of email does.

Matching: the ids in In-Reply-To and References against our sequence emails' and the threads' Message-IDs, then
the sender's address against leads' addresses (main, canonical, others). An email that matches no lead has no
conversation to join (a conversation needs its lead): it is kept as an UnmatchedEmail for a person to look at.

Kinds: a bounce (DSN) is recorded on the bounced message like an email service's bounce; an automatic reply may hold
the lead's next step until the return date it names; an unsubscribe request suppresses the address and stops the
sequences; only a real message is a reply (reply_received: sequences stop, promoted, "Replied", the rep told)."""

from __future__ import annotations

import datetime
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.text import get_valid_filename

from crm.matching import identity_email_key
from crm.models import Lead
from outreach.conversations import conversation_open, message_received, reply_received
from outreach.enrollments import lead_enrollments_postpone
from outreach.events import HARD, SOFT, event_record
from outreach.inbound_kinds import mail_kind, return_date
from outreach.inbound_mail import InboundMail, mail_headers_only, mail_read, message_id_forms, subject_base
from outreach.models import (
    Conversation,
    ConversationChannel,
    ConversationMessage,
    Mailbox,
    Message,
    MessageEvent,
    Suppression,
    UnmatchedEmail,
)
from outreach.stop_conditions import lead_unsubscribe
from outreach.suppression import suppress
from outreach.windows import lead_zone

logger = logging.getLogger(__name__)
Kind = ConversationMessage.Kind
TOO_LARGE = "too large, not kept"


@dataclass
class Match:
    """Whom an email is from and what it answers."""

    lead: Lead | None = None
    answered: Message | None = None  # the sequence email it answers (or that bounced)
    conversation: Conversation | None = None


def _sent_messages(ids: list[str]) -> dict[str, Message]:
    """Our sequence emails with these Message-IDs (or the email service's ids for them), by bare id."""
    forms = message_id_forms(ids)
    found = Message.objects.filter(Q(message_id__in=forms) | Q(provider_message_id__in=forms)).select_related("lead")
    by_id: dict[str, Message] = {}
    for message in found:
        for value in (message.message_id, message.provider_message_id):
            if value:
                by_id.setdefault(value.strip("<>"), message)
    return by_id


def _thread_match(mail: InboundMail) -> Match:
    """The message this email answers by its In-Reply-To and References: a sequence email, or a message of a
    conversation (a rep's answer from the inbox, or an earlier message of theirs)."""
    ids = mail.thread_ids
    if not ids:
        return Match()
    sent = _sent_messages(ids)
    in_threads = {
        line.message_id.strip("<>"): line
        for line in ConversationMessage.objects.filter(
            message_id__in=message_id_forms(ids), conversation__channel=ConversationChannel.EMAIL
        ).select_related("conversation__lead", "sequence_message")
    }
    for value in (value.strip("<>") for value in ids):
        if value in sent:
            return Match(lead=sent[value].lead, answered=sent[value])
        if value in in_threads:
            line = in_threads[value]
            return Match(lead=line.conversation.lead, answered=line.sequence_message, conversation=line.conversation)
    return Match()


def leads_with_address(address: str) -> list[Lead]:
    """Leads whose main address, its canonical form (no +tag, Gmail's dots) or one of their other addresses is this
    one; a shared mailbox such as info@ matches only where written out in full."""
    if not address:
        return []
    key = identity_email_key(address)
    wanted = Q(email__iexact=address) | Q(other_emails__icontains=address)
    if key:
        wanted |= Q(email_key=key)
    # icontains finds "ann@x.com" inside "joann@x.com" too: keep the leads that hold the address itself.
    return [
        lead
        for lead in Lead.objects.filter(wanted).select_related("owner").order_by("created_at", "id")
        if (key and lead.email_key == key)
        or lead.email.lower() == address
        or address in (str(other).lower() for other in lead.other_emails)
    ]


def _address_match(address: str) -> Match:
    """The lead writing from this address: the one already in an email conversation, else the one we wrote to last,
    else the oldest; the email it answers is that lead's latest sent sequence email."""
    leads = leads_with_address(address)
    if not leads:
        return Match()
    talking = set(
        Conversation.objects.filter(lead__in=leads, channel=ConversationChannel.EMAIL).values_list("lead", flat=True)
    )
    written = dict(
        Message.objects.filter(lead__in=leads, status=Message.Status.SENT)
        .values("lead")
        .annotate(last=Max("sent_at"))
        .values_list("lead", "last")
    )
    oldest = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    lead = max(leads, key=lambda lead: (lead.pk in talking, written.get(lead.pk) or oldest, -lead.pk))
    answered = Message.objects.filter(lead=lead, status=Message.Status.SENT).order_by("-sent_at", "-id").first()
    return Match(lead=lead, answered=answered)


def _bounce_match(mail: InboundMail) -> Match:
    """The sequence email a delivery report is about: by the bounced message's Message-ID, else the latest one sent
    to the recipient that failed."""
    report = mail.report
    ids = [report.original_message_id] if report.original_message_id else []
    answered = next(iter(_sent_messages(ids).values()), None) if ids else None
    if answered is None and report.recipient:
        answered = (
            Message.objects.filter(to_email__iexact=report.recipient, status=Message.Status.SENT)
            .select_related("lead")
            .order_by("-sent_at", "-id")
            .first()
        )
    return Match(lead=answered.lead, answered=answered) if answered else Match()


def mail_match(mail: InboundMail) -> Match:
    if mail.report is not None:
        return _bounce_match(mail)
    match = _thread_match(mail)
    return match if match.lead is not None else _address_match(mail.sender)


def _already_kept(mail: InboundMail, provider_id: str) -> bool:
    """A redelivery (the same webhook again, or the same email read by IMAP and posted by Mailgun)."""
    if provider_id and ConversationMessage.objects.filter(provider_id=provider_id).exists():
        return True
    if not mail.message_id:
        return False
    inbound = ConversationMessage.objects.filter(message_id=mail.message_id, direction=ConversationMessage.Direction.IN)
    return inbound.exists() or UnmatchedEmail.objects.filter(message_id=mail.message_id).exists()


def _raw_file(raw: bytes) -> ContentFile:
    """The raw message as a file to keep: whole up to INBOUND_RAW_MAX_BYTES, else its headers alone."""
    kept = raw if len(raw) <= settings.INBOUND_RAW_MAX_BYTES else mail_headers_only(raw)
    return ContentFile(kept, name=f"{timezone.now():%d}-{secrets.token_hex(8)}.eml")


def _file_name(name: str) -> str:
    """A safe file name for what the sender called it ("../../x" or ".." included)."""
    try:
        return get_valid_filename(name.replace("/", "_").replace("\\", "_").lstrip("."))[-120:]
    except SuspiciousFileOperation:
        return "attachment"


def _attachments_keep(mail: InboundMail) -> list[dict]:
    """Each attachment as a file under MEDIA (up to INBOUND_ATTACHMENT_MAX_BYTES; bigger ones listed as not kept):
    the thread links to them and never shows one inline."""
    kept = []
    folder = f"inbound/attachments/{timezone.now():%Y/%m}/{secrets.token_hex(8)}"
    for attachment in mail.attachments:
        name = _file_name(attachment.name)
        entry = {"name": name, "size": len(attachment.payload), "content_type": attachment.content_type}
        if len(attachment.payload) > settings.INBOUND_ATTACHMENT_MAX_BYTES:
            entry["note"] = TOO_LARGE
        else:
            entry["path"] = default_storage.save(f"{folder}/{name}", ContentFile(attachment.payload))
        kept.append(entry)
    return kept


def _unmatched_keep(mail: InboundMail, raw: bytes, *, kind: str, via: str, mailbox: Mailbox | None) -> None:
    try:
        with transaction.atomic():
            UnmatchedEmail.objects.create(
                mailbox=mailbox, via=via[:20], kind=kind, sender=mail.sender[:254],
                recipient=(mail.recipients[0] if mail.recipients else "")[:254], subject=mail.subject[:300],
                message_id=mail.message_id[:255], text=mail.text[:5000], raw=_raw_file(raw),
                received_at=_occurred_at(mail),
            )  # fmt: skip
    except IntegrityError:  # the same email kept a moment ago by another delivery
        return
    logger.info("Inbound %s via %s matches no lead: kept for review", kind, via)


def _occurred_at(mail: InboundMail) -> datetime.datetime:
    """When it was written, by its Date header; never in the future (a wrong clock would pin it on top)."""
    now = timezone.now()
    return min(mail.date, now) if mail.date else now


def _our_mailbox(mail: InboundMail, match: Match, mailbox: Mailbox | None) -> Mailbox | None:
    if mailbox is not None:
        return mailbox
    if match.answered is not None and match.answered.mailbox_id:
        return match.answered.mailbox
    return Mailbox.objects.filter(address__in=mail.recipients).first()


def _bounced(message: ConversationMessage, mail: InboundMail, match: Match, via: str) -> None:
    """Recorded on the bounced sequence email like an email service's bounce: hard suppresses and stops, soft counts."""
    if match.answered is None:
        return
    report = mail.report
    event_record(
        match.answered,
        MessageEvent.Kind.BOUNCED,
        occurred_at=message.occurred_at,
        provider_event_id=f"dsn:{mail.message_id}" if mail.message_id else "",
        via=via,
        data={
            "bounce": SOFT if report.status.startswith("4") else HARD,
            "code": report.status,
            "reply": (report.diagnostic or report.status)[:500],
            "recipient": report.recipient,
        },
    )


def _automatic(message: ConversationMessage, mail: InboundMail, match: Match, via: str) -> None:
    """An out-of-office naming its return day holds the lead's next steps until that morning, in the lead's zone."""
    back = return_date(mail.text, received=message.occurred_at.date())
    if back is None:
        return
    until = datetime.datetime.combine(back, datetime.time(9, 0), tzinfo=lead_zone(match.lead))
    lead_enrollments_postpone(match.lead, until=until, why="out of office")


def _unsubscribe_asked(message: ConversationMessage, mail: InboundMail, match: Match, via: str) -> None:
    """The address is suppressed and the lead's sequences stop; it is not a positive reply."""
    lead, at = match.lead, message.occurred_at
    if match.answered is None:
        lead_unsubscribe(lead, via="reply", summary="Asked to be removed in a reply", address=mail.sender,
                         note="Asked in a reply", at=at)  # fmt: skip
        return
    suppress(mail.sender or lead.email, Suppression.Reason.UNSUBSCRIBED, message=match.answered,
             note="Asked in a reply")  # fmt: skip
    # The sequence email's own unsubscribe: its time, the timeline line, its address suppressed, sequences stopped.
    event_record(match.answered, MessageEvent.Kind.UNSUBSCRIBED, occurred_at=at, via="reply")


def _replied(message: ConversationMessage, mail: InboundMail, match: Match, via: str) -> None:
    reply_received(message, answered=match.answered)


EFFECTS: dict[str, Callable[[ConversationMessage, InboundMail, Match, str], None]] = {
    Kind.BOUNCE: _bounced,
    Kind.AUTO_REPLY: _automatic,
    Kind.UNSUBSCRIBE: _unsubscribe_asked,
    Kind.MESSAGE: _replied,
}


def _is_ours(mail: InboundMail) -> bool:
    """Written from one of our own mailboxes (a copy of our own mail in the folder read): nothing to do."""
    return bool(mail.sender) and Mailbox.objects.filter(address=mail.sender).exists()


def email_received(
    raw: bytes, *, via: str, mailbox: Mailbox | None = None, provider_id: str = ""
) -> ConversationMessage | None:
    """Read one inbound email and act on it once: the message kept in the lead's email conversation, or None when
    it was kept already, is our own, or matches no lead (then kept as an UnmatchedEmail)."""
    mail = mail_read(raw)
    if mail.report is None and _is_ours(mail):
        return None
    if _already_kept(mail, provider_id):
        return None
    kind = mail_kind(mail)
    match = mail_match(mail)
    if match.lead is None:
        _unmatched_keep(mail, raw, kind=kind, via=via, mailbox=mailbox)
        return None
    with transaction.atomic():
        conversation = match.conversation or conversation_open(
            match.lead,
            ConversationChannel.EMAIL,
            peer=(mail.report.recipient if mail.report else mail.sender) or match.lead.email,
            mailbox=_our_mailbox(mail, match, mailbox),
            subject=subject_base(match.answered.subject if match.answered else mail.subject),
        )
        # One delivery at a time per thread: the webhook and the poller may bring the same email at once.
        Conversation.objects.select_for_update().only("pk").get(pk=conversation.pk)
        message = message_received(
            conversation,
            occurred_at=_occurred_at(mail),
            kind=kind,
            sequence_message=match.answered,
            sender=mail.sender[:254],
            recipient=(mail.recipients[0] if mail.recipients else "")[:254],
            subject=mail.subject[:300],
            text=mail.text,
            quoted=mail.quoted,
            signature=mail.signature,
            html=mail.html,
            message_id=mail.message_id[:255],
            in_reply_to=mail.in_reply_to[:255],
            references=" ".join(mail.references),
            provider_id=provider_id[:255],
            attachments=_attachments_keep(mail),
            raw=_raw_file(raw),
            error=f"{mail.report.status} {mail.report.diagnostic}".strip() if mail.report else "",
        )
        if message is None:
            return None
        EFFECTS[kind](message, mail, match, via)
    return message
