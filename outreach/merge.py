"""STAND-IN for the mail part's merge fields (dropped at merge): only what the sequence services call."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.template import Template, TemplateSyntaxError

FIELDS = ["first_name", "last_name", "full_name", "title", "company", "email", "location", "website"]
_USED = re.compile(r"{{\s*([a-zA-Z_][\w]*)")


def merge_fields() -> list[str]:
    return list(FIELDS)


def template_check(subject: str, body: str) -> None:
    for text in (subject, body):
        try:
            Template(text)
        except TemplateSyntaxError as exc:
            raise ValidationError(f"The template cannot be read: {exc}") from None
        unknown = sorted({name for name in _USED.findall(text) if name not in FIELDS})
        if unknown:
            raise ValidationError(f"Unknown merge field: {', '.join(unknown)}.")
