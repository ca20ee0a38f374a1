"""Untrusted HTML (a lead's email) made safe to show: nh3 keeps text formatting, tables and links and drops scripts,
styles, forms, event handlers and remote images (a tracking pixel in a reply would tell its sender we read it)."""

from __future__ import annotations

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "div", "em", "font", "h1", "h2", "h3", "h4", "hr", "i", "li",
    "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
# Dropped with what they hold, not just unwrapped: their text is code or styling, never part of the message.
DROPPED_WITH_CONTENT = {"script", "style", "head", "title", "template", "noscript"}


def html_clean(html: str) -> str:
    """The HTML with only harmless tags and attributes left; links open with no referrer to our pages."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
