"""What a sequence email carries for tracking and opting out: the open pixel, click redirects and the unsubscribe
link, each a signed token on SITE_URL, and the RFC 8058 one-click unsubscribe headers.

A click token signs the exact target URL with the message's id, so the redirect goes only where we sent the person:
a token changed by hand fails its signature, and there is no way to make it point anywhere else (no open redirect).
Tokens never expire (a person may click a year later); SECRET_KEY_FALLBACKS keeps old ones valid across a rotation.
"""

from __future__ import annotations

import re
from html import escape

from django.conf import settings
from django.core import signing
from django.urls import reverse

from outreach.models import Message

OPEN_SALT = "outreach.tracking.open"
CLICK_SALT = "outreach.tracking.click"
UNSUBSCRIBE_SALT = "outreach.tracking.unsubscribe"

# http(s) links in a plain-text body; punctuation closing a sentence after a link is the sentence's, not the link's.
LINK = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
LINK_TRAILING = ".,;:!?)]}'"
# A paragraph ends at a blank line.
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def _sign(value: object, salt: str) -> str:
    return signing.Signer(salt=salt).sign_object(value, compress=True)


def _unsign(token: str, salt: str) -> object | None:
    try:
        return signing.Signer(salt=salt).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None


def _site(path: str) -> str:
    return settings.SITE_URL + path


def open_pixel_url(message: Message) -> str:
    return _site(reverse("tracking:open", args=[_sign(message.pk, OPEN_SALT)]))


def click_url(message: Message, url: str) -> str:
    return _site(reverse("tracking:click", args=[_sign([message.pk, url], CLICK_SALT)]))


def unsubscribe_url(message: Message) -> str:
    return _site(reverse("tracking:unsubscribe", args=[_sign(message.pk, UNSUBSCRIBE_SALT)]))


def _message_pk(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def open_token_read(token: str) -> int | None:
    """The message id an open pixel's token carries, or None for a token we did not sign."""
    return _message_pk(_unsign(token, OPEN_SALT))


def click_token_read(token: str) -> tuple[int, str] | None:
    """(message id, target URL) of a click token, or None for a token we did not sign."""
    value = _unsign(token, CLICK_SALT)
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], str)):
        return None
    pk, url = _message_pk(value[0]), value[1]
    return (pk, url) if pk is not None and LINK.fullmatch(url) else None


def unsubscribe_token_read(token: str) -> int | None:
    return _message_pk(_unsign(token, UNSUBSCRIBE_SALT))


def unsubscribe_headers(message: Message) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail providers POST "List-Unsubscribe=One-Click" to the https link."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(message)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _link_end(url: str) -> str:
    return url.rstrip(LINK_TRAILING)


def message_links(text: str) -> list[str]:
    """Every distinct link of a plain-text body, in order of appearance."""
    return list(dict.fromkeys(_link_end(match.group()) for match in LINK.finditer(text)))


def _postal_address(message: Message) -> str:
    mailbox = message.mailbox or message.enrollment.sequence.mailbox
    return mailbox.postal_address.strip() if mailbox else ""


def message_text(message: Message, text: str) -> str:
    """The plain-text part: the text, then the sender's postal address and the personal unsubscribe link."""
    footer = [line for line in (_postal_address(message), f"Unsubscribe: {unsubscribe_url(message)}") if line]
    return text.rstrip() + "\n\n--\n" + "\n".join(footer) + "\n"


def _paragraph_html(message: Message, paragraph: str) -> str:
    """One paragraph escaped, its links sent through signed click redirects, its line breaks kept."""
    parts, done = [], 0
    for match in LINK.finditer(paragraph):
        url = _link_end(match.group())
        parts.append(escape(paragraph[done : match.start()]))
        parts.append(f'<a href="{escape(click_url(message, url))}">{escape(url)}</a>')
        done = match.start() + len(url)
    parts.append(escape(paragraph[done:]))
    return "<p>" + "".join(parts).replace("\n", "<br>\n") + "</p>"


def message_html(message: Message, text: str) -> str:
    """The HTML part: the text as paragraphs with tracked links, a footer (postal address, unsubscribe link) and the
    open pixel."""
    paragraphs = [part for part in PARAGRAPH_BREAK.split(text.strip().replace("\r\n", "\n")) if part.strip()]
    body = "\n".join(_paragraph_html(message, paragraph) for paragraph in paragraphs)
    address = escape(_postal_address(message)).replace("\n", "<br>\n")
    unsubscribe = f'<a href="{escape(unsubscribe_url(message))}">Unsubscribe</a> from these emails.'
    footer = f'<p style="color:#666;font-size:12px">{address + "<br>" if address else ""}{unsubscribe}</p>'
    pixel = f'<img src="{escape(open_pixel_url(message))}" width="1" height="1" alt="">'
    return f"<!DOCTYPE html>\n<html><body>\n{body}\n<hr>\n{footer}\n{pixel}\n</body></html>\n"
