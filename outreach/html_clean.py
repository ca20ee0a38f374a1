"""Untrusted email HTML made safe to show: nh3 keeps the formatting tags and drops scripts, styles, event handlers,
forms, frames and images (a remote image in a reply is a read receipt for its sender); links keep http, https and
mailto only and open with rel="noopener noreferrer". The raw HTML stays stored; this runs at display."""

from __future__ import annotations

import nh3

SHOWN_TAGS = set(nh3.ALLOWED_TAGS) - {"img", "map", "area"}
URL_SCHEMES = {"http", "https", "mailto"}


def html_clean(html: str) -> str:
    """The HTML of an email as it may be shown inside our pages."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=SHOWN_TAGS,
        clean_content_tags={"script", "style", "title"},
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
