"""STAND-IN (mail part): merge fields rendered for a lead, to the contract's signatures."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FIELD = re.compile(r"{{\s*(\w+)\s*(?:\|\s*default\s*:\s*(\"[^\"]*\"|'[^']*'))?\s*}}")


@dataclass
class Rendered:
    subject: str
    text: str
    unresolved: list[str] = field(default_factory=list)


def _value(lead, name: str) -> str:
    if name == "company":
        return lead.company.name if lead.company_id else ""
    if name in ("first_name", "last_name", "title", "email", "phone", "location", "website"):
        return getattr(lead, name) or ""
    return str(lead.custom_fields.get(name) or "")


def render_for_lead(subject: str, body: str, lead) -> Rendered:
    unresolved: list[str] = []

    def fill(match: re.Match) -> str:
        value = _value(lead, match.group(1))
        if value:
            return value
        if match.group(2) is not None:
            return match.group(2)[1:-1]
        unresolved.append(match.group(1))
        return ""

    rendered_subject = FIELD.sub(fill, subject)
    rendered_text = FIELD.sub(fill, body)
    return Rendered(subject=rendered_subject, text=rendered_text, unresolved=sorted(set(unresolved)))


def template_check(subject: str, body: str) -> None:
    return None


def merge_fields() -> list[str]:
    return ["first_name", "last_name", "title", "company", "email", "phone", "location", "website"]
