"""Opens and clicks made by machines, not people: security scanners that fetch every link before the person sees the
mail (Microsoft SafeLinks and Defender, Mimecast, Proofpoint, Barracuda, Cisco IronPort…), image proxies, Apple Mail
Privacy Protection's prefetch, hits within seconds of delivery, and every link of a message clicked at once.

They are kept on the message as events with machine=True and their reason, and left out of what counts a person's
engagement (the message's opened_at/clicked_at, the timeline, scores and stop conditions).
"""

from __future__ import annotations

import datetime
import ipaddress
from functools import cache

from django.conf import settings

from outreach.models import Message, MessageEvent
from outreach.tracking import message_links

# Lower-case fragments of user agents, with what sent them. Scanners and proxies name themselves; generic tools too.
AGENTS = (
    ("googleimageproxy", "Gmail image proxy"),
    ("yahoomailproxy", "Yahoo Mail image proxy"),
    ("safelinks", "Microsoft SafeLinks scanner"),
    ("bingpreview", "Microsoft link preview"),
    ("mimecast", "Mimecast scanner"),
    ("proofpoint", "Proofpoint scanner"),
    ("barracuda", "Barracuda scanner"),
    ("ironport", "Cisco IronPort scanner"),
    ("forcepoint", "Forcepoint scanner"),
    ("symantec", "Symantec scanner"),
    ("messagelabs", "Symantec MessageLabs scanner"),
    ("trend micro", "Trend Micro scanner"),
    ("sophos", "Sophos scanner"),
    ("fortiguard", "Fortinet scanner"),
    ("zscaler", "Zscaler scanner"),
    ("headlesschrome", "headless browser"),
    ("python-requests", "script"),
    ("python-urllib", "script"),
    ("go-http-client", "script"),
    ("curl/", "script"),
    ("wget/", "script"),
    ("okhttp", "script"),
    ("libwww-perl", "script"),
    ("java/", "script"),
    ("bot", "bot"),
    ("crawler", "bot"),
    ("spider", "bot"),
)
# Apple Mail Privacy Protection fetches every image when the mail arrives, with exactly this user agent.
APPLE_PREFETCH_AGENT = "mozilla/5.0"
# Published mail-security address ranges: their fetches are scans, whatever user agent they claim.
NETWORKS = (
    # Microsoft Exchange Online Protection (SafeLinks, Defender for Office 365).
    ("40.92.0.0/15", "Microsoft Defender scanner"),
    ("40.107.0.0/16", "Microsoft Defender scanner"),
    ("52.100.0.0/14", "Microsoft Defender scanner"),
    ("104.47.0.0/17", "Microsoft Defender scanner"),
    ("205.139.110.0/24", "Mimecast scanner"),
    ("207.211.30.0/24", "Mimecast scanner"),
    ("216.205.24.0/24", "Mimecast scanner"),
    ("91.220.42.0/24", "Mimecast scanner"),
    ("146.101.78.0/24", "Mimecast scanner"),
    ("67.231.144.0/20", "Proofpoint scanner"),
    ("148.163.128.0/19", "Proofpoint scanner"),
    ("64.235.144.0/20", "Barracuda scanner"),
    ("209.222.80.0/21", "Barracuda scanner"),
)
# Clicks on every link of a message within this many seconds of each other are a scanner following them all.
LINK_BURST_SECONDS = 10
LINK_BURST = "every link clicked at once"


@cache
def _networks() -> tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...]:
    return tuple((ipaddress.ip_network(network), reason) for network, reason in NETWORKS)


def machine_by_agent(user_agent: str) -> str:
    """Why this user agent is a machine's, or "" for what looks like a person's mail program or browser."""
    agent = user_agent.strip().lower()
    if not agent:
        return "no user agent"
    if agent == APPLE_PREFETCH_AGENT:
        return "Apple Mail Privacy Protection prefetch"
    return next((reason for fragment, reason in AGENTS if fragment in agent), "")


def machine_by_address(ip: str) -> str:
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    return next((reason for network, reason in _networks() if address in network), "")


def machine_by_timing(message: Message, at: datetime.datetime) -> str:
    """A hit sooner after sending or delivery than a person reads mail (OUTREACH_MACHINE_SECONDS)."""
    window = datetime.timedelta(seconds=settings.OUTREACH_MACHINE_SECONDS)
    for name, moment in (("delivery", message.delivered_at), ("sending", message.sent_at)):
        if moment is not None and at < moment + window:
            return f"within {settings.OUTREACH_MACHINE_SECONDS} s of {name}"
    return ""


def link_burst_clicks(message: Message, at: datetime.datetime):
    """The message's clicks within LINK_BURST_SECONDS before `at`."""
    since = at - datetime.timedelta(seconds=LINK_BURST_SECONDS)
    return message.events.filter(kind=MessageEvent.Kind.CLICKED, occurred_at__gte=since, occurred_at__lte=at)


def machine_by_link_burst(message: Message, url: str, at: datetime.datetime) -> str:
    """This click completes a burst that clicked every link of a message that has several (our own links, such as
    the unsubscribe link, are no click redirects)."""
    links = {link for link in message_links(message.body) if not link.startswith(settings.SITE_URL)}
    if len(links) < 2 or url not in links:
        return ""
    clicked = set(link_burst_clicks(message, at).values_list("url", flat=True)) | {url}
    return LINK_BURST if links <= clicked else ""


def machine_verdict(
    message: Message, kind: str, *, at: datetime.datetime, user_agent: str | None, ip: str = "", url: str = ""
) -> tuple[bool, str]:
    """(machine, reason) for an open or click of `message` at `at`; user_agent None: the provider gave none."""
    reasons = (
        machine_by_agent(user_agent) if user_agent is not None else "",
        machine_by_address(ip),
        machine_by_timing(message, at),
        machine_by_link_burst(message, url, at) if kind == MessageEvent.Kind.CLICKED else "",
    )
    reason = next((reason for reason in reasons if reason), "")
    return bool(reason), reason
