"""STAND-IN (track part): unsubscribe headers, HTML with tracked links and a pixel, and the footers."""

from __future__ import annotations

import re

from django.conf import settings
from django.core import signing
from django.utils.html import escape, linebreaks

LINK = re.compile(r"https?://[^\s<>\"']+")


def _token(message, purpose: str, **extra) -> str:
    return signing.dumps({"m": message.pk, "p": purpose, **extra}, salt="outreach.tracking", compress=True)


def unsubscribe_url(message) -> str:
    return f"{settings.SITE_URL}/o/u/{_token(message, 'u')}/"


def unsubscribe_headers(message) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(message)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _footer_lines(message) -> list[str]:
    postal = message.mailbox.postal_address if message.mailbox else ""
    return [f"Unsubscribe: {unsubscribe_url(message)}", postal]


def message_html(message, text: str) -> str:
    html = linebreaks(escape(text))
    html = LINK.sub(lambda m: f'<a href="{settings.SITE_URL}/o/c/{_token(message, "c", u=m.group(0))}/">'
                    f"{m.group(0)}</a>", html)  # fmt: skip
    pixel = f'<img src="{settings.SITE_URL}/o/o/{_token(message, "o")}.gif" width="1" height="1" alt="">'
    footer = "<br>".join(escape(line) for line in _footer_lines(message) if line)
    return f'{html}<p style="font-size:12px;color:#666">{footer}</p>{pixel}'


def message_text(message, text: str) -> str:
    return text + "\n\n--\n" + "\n".join(line for line in _footer_lines(message) if line)
