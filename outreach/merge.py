"""STAND-IN for the mail part's merge fields (dropped at merge): only what the sequence services call."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.template import Context, Template, TemplateSyntaxError

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


@dataclass
class Rendered:
    subject: str
    text: str
    unresolved: list[str]


def render_for_lead(subject: str, body: str, lead) -> Rendered:
    values = {name: getattr(lead, name, "") for name in FIELDS if name != "company"}
    values["company"] = lead.company.name if lead.company_id else ""
    context = Context(values, autoescape=False)
    return Rendered(Template(subject).render(context), Template(body).render(context), [])
