"""Reading an inbound email (RFC 5322 bytes) with the standard library: its addresses and threading ids, the body
as text and HTML, the new text apart from the quoted history and signature (mail-parser-reply), the attachments,
and what a delivery status notification reports. Nothing here touches the database."""

from __future__ import annotations

import datetime
import email
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.policy import default
from email.utils import getaddresses, parsedate_to_datetime

from bs4 import BeautifulSoup
from mailparser_reply import EmailReplyParser

# The languages whose "On … wrote:" lines, "From: … Sent: …" blocks and sign-offs the reply parser knows.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Threading ids read from one message at most (a References header can grow long in old threads).
MAX_THREAD_IDS = 30
# HTML elements that end a line when an HTML-only body is read as text.
BLOCK_TAGS = ["p", "div", "li", "tr", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table"]
REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|réf|rif|fw|fwd|wg|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


@dataclass
class Attachment:
    name: str
    content_type: str
    payload: bytes


@dataclass
class DeliveryReport:
    """The first failed or delayed recipient of a delivery status notification (RFC 3464)."""

    status: str  # the enhanced status code, "5.1.1"
    action: str  # "failed" or "delayed"
    recipient: str
    diagnostic: str  # the remote server's words
    original_message_id: str  # the bounced message's Message-ID, when the report quotes its headers


@dataclass
class InboundMail:
    message: EmailMessage
    message_id: str
    in_reply_to: str
    references: list[str]
    sender: str  # the From address, lower-cased
    sender_name: str
    recipients: list[str]  # To, Cc and Delivered-To addresses, lower-cased
    subject: str
    date: datetime.datetime | None
    text: str  # the new text
    quoted: str
    signature: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)
    report: DeliveryReport | None = None

    @property
    def thread_ids(self) -> list[str]:
        """The ids this message answers, the one it names in In-Reply-To first, then References newest first."""
        ids = MESSAGE_ID.findall(self.in_reply_to) + list(reversed(self.references))
        return list(dict.fromkeys(ids))[:MAX_THREAD_IDS]


def message_id_forms(ids: list[str]) -> list[str]:
    """Message-IDs as they may be stored: with and without their angle brackets."""
    bare = [value.strip().strip("<>") for value in ids if value.strip().strip("<>")]
    return bare + [f"<{value}>" for value in bare]


def subject_base(subject: str) -> str:
    """A subject without its "Re:" / "AW:" / "Fwd:" prefixes."""
    return REPLY_PREFIX.sub("", subject or "").strip()


def _header(message: Message, name: str) -> str:
    try:
        return str(message.get(name, "") or "").strip()
    except (ValueError, IndexError, TypeError):  # a header too broken for the parser to turn into text
        return ""


def _addresses(message: Message, *names: str) -> list[tuple[str, str]]:
    values = [_header(message, name) for name in names]
    return [(name, address.lower()) for name, address in getaddresses([value for value in values if value])
            if "@" in address]  # fmt: skip


def _date(message: Message) -> datetime.datetime | None:
    try:
        value = parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value


def part_text(part: Message) -> str:
    """A text part's content, decoded; an unknown charset is read as UTF-8 with replacements."""
    try:
        return part.get_content()
    except (LookupError, UnicodeError, KeyError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def html_to_text(html: str) -> str:
    """What a reader sees of an HTML body, as plain text (scripts and styles dropped)."""
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style", "head", "title"]):
        hidden.decompose()
    for line_break in soup.find_all("br"):
        line_break.replace_with("\n")
    for block in soup.find_all(BLOCK_TAGS):
        block.append("\n")
    lines = (" ".join(line.split()) for line in soup.get_text().splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _bodies(message: EmailMessage) -> tuple[Message | None, Message | None]:
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return plain, html


def _leaves(part: Message) -> Iterator[Message]:
    """The parts that hold content, in order; a forwarded message (message/rfc822) is one part, not opened."""
    if part.get_content_type() == "message/rfc822":
        yield part
    elif part.is_multipart():
        for inner in part.get_payload():
            yield from _leaves(inner)
    else:
        yield part


def _attachments(message: EmailMessage, bodies: tuple[Message | None, Message | None]) -> list[Attachment]:
    """Every part besides the text and HTML bodies that is a file: attachments, inline images, forwarded mail."""
    found = []
    top = message.get_payload() if message.is_multipart() else []
    for index, part in enumerate(leaf for inner in top for leaf in _leaves(inner)):
        if any(part is body for body in bodies):
            continue
        name = part.get_filename()
        if part.get_content_type() == "message/rfc822":
            forwarded = part.get_payload()
            found.append(Attachment(name or "forwarded message.eml", "message/rfc822", forwarded[0].as_bytes()))
        elif name or part.get_content_disposition() in {"attachment", "inline"}:
            payload = part.get_payload(decode=True) or b""
            found.append(Attachment(name or f"part-{index + 1}", part.get_content_type(), payload))
    return found


def reply_split(text: str) -> tuple[str, str, str]:
    """(new text, quoted history, signature) of a plain-text body, by mail-parser-reply."""
    parsed = EmailReplyParser(languages=REPLY_LANGUAGES).read(text)
    if not parsed.replies:
        return text.strip(), "", ""
    latest, *earlier = parsed.replies
    quoted = "\n\n".join(reply.content for reply in earlier).strip()
    return latest.body, quoted, latest.signatures


def _delivery_report(message: EmailMessage) -> DeliveryReport | None:
    """What a multipart/report; report-type=delivery-status says, or None for any other message."""
    if message.get_content_type() != "multipart/report" or message.get_param("report-type") != "delivery-status":
        return None
    status_part = next((part for part in message.walk() if part.get_content_type() == "message/delivery-status"), None)
    if status_part is None:
        return None
    blocks = status_part.get_payload()
    if not isinstance(blocks, list):  # a report the parser could not split into field blocks
        blocks = [HeaderParser(policy=default).parsestr(block) for block in str(blocks).split("\n\n")]
    recipients = [block for block in blocks[1:] if _header(block, "Final-Recipient") or _header(block, "Status")]
    chosen = next(
        (block for block in recipients if _header(block, "Action").lower() in {"failed", "delayed"}),
        recipients[0] if recipients else None,
    )
    if chosen is None:
        return None
    recipient = _header(chosen, "Final-Recipient") or _header(chosen, "Original-Recipient")
    diagnostic = _header(chosen, "Diagnostic-Code")
    return DeliveryReport(
        status=_header(chosen, "Status").split()[0] if _header(chosen, "Status") else "",
        action=_header(chosen, "Action").lower(),
        recipient=recipient.rpartition(";")[2].strip().strip("<>").lower(),
        diagnostic=" ".join((diagnostic.partition(";")[2] if ";" in diagnostic else diagnostic).split()),
        original_message_id=_original_message_id(message),
    )


def _original_message_id(report: EmailMessage) -> str:
    """The bounced message's Message-ID, from the report's text/rfc822-headers or message/rfc822 part."""
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "text/rfc822-headers":
            headers = HeaderParser(policy=default).parsestr(part_text(part).lstrip())
        elif kind in {"message/rfc822", "message/rfc822-headers"}:
            payload = part.get_payload()
            headers = payload[0] if isinstance(payload, list) and payload else None
        else:
            continue
        found = MESSAGE_ID.search(_header(headers, "Message-ID")) if headers is not None else None
        if found:
            return found.group()
    return ""


def mail_read(raw: bytes) -> InboundMail:
    """Everything Leadflow keeps of one email, read from its raw bytes."""
    message = email.message_from_bytes(raw, policy=default)
    plain, html_part = bodies = _bodies(message)
    html = part_text(html_part) if html_part is not None else ""
    body = part_text(plain) if plain is not None else html_to_text(html)
    report = _delivery_report(message)
    if report is not None:  # a report's human-readable part says it all; its other parts are the report
        text, quoted, signature, attachments = body.strip(), "", "", []
    else:
        text, quoted, signature = reply_split(body)
        attachments = _attachments(message, bodies)
    senders = _addresses(message, "From") or _addresses(message, "Sender", "Return-Path")
    sender_name, sender = senders[0] if senders else ("", "")
    return InboundMail(
        message=message,
        message_id=(MESSAGE_ID.findall(_header(message, "Message-ID")) or [""])[0],
        in_reply_to=_header(message, "In-Reply-To"),
        references=MESSAGE_ID.findall(_header(message, "References")),
        sender=sender,
        sender_name=sender_name,
        recipients=list(dict.fromkeys(address for _name, address in _addresses(message, "To", "Cc", "Delivered-To"))),
        subject=_header(message, "Subject"),
        date=_date(message),
        text=text,
        quoted=quoted,
        signature=signature,
        html=html,
        attachments=attachments,
        report=report,
    )


def mail_headers_only(raw: bytes) -> bytes:
    """The header block of a raw message (what is kept of one too big to keep whole)."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(separator)
        if end != -1:
            return raw[: end + len(separator)]
    return raw[:65536]
