"""Template filters of the inbox."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from outreach.html_clean import html_clean

register = template.Library()


@register.filter
def cleaned_html(html: str) -> SafeString:
    """A lead's HTML after nh3 has cleaned it: only then is it marked safe to show."""
    return mark_safe(html_clean(html))  # noqa: S308 (cleaned by nh3 just above)


@register.filter
def web_link(url: object) -> str:
    """The URL when it is a web address (a provider's media link), else "": never a javascript: or data: link."""
    return url if isinstance(url, str) and url.lower().startswith(("https://", "http://")) else ""
