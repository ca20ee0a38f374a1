"""Merge fields: a subject and body such as "Hi {{ first_name|default:"there" }}" filled in for one lead.

Templates are written by users, so they run in a sandbox: a Django template engine of their own with no loaders, no
tags at all and only a few text filters, rendered against a plain dict of strings built from the lead's merge fields
(never the lead object), so a template can read those fields and nothing else. A template is checked when saved
(`template_check`): a tag, an unknown field or a syntax error is refused, naming it. A field with no value and no
`default` filter is reported as unresolved when rendering, and a message with one is never sent.

Custom fields are written `{{ custom.key }}`, the key being the custom field's name in lower case with every run of
other characters turned into "_" ("Fleet size" -> `{{ custom.fleet_size }}`). Any such key is accepted when saving,
as leads differ in which custom fields they have; a lead without it leaves the field unresolved.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.template import Context, Engine, Library, Template, TemplateSyntaxError, defaultfilters
from django.template.base import Lexer, TokenType, Variable, VariableNode

if TYPE_CHECKING:
    from crm.models import Lead
    from outreach.models import Mailbox

# name -> what it holds, in the order the forms list them.
MERGE_FIELDS: dict[str, str] = {
    "first_name": "the lead's first name",
    "last_name": "the lead's last name",
    "full_name": "first and last name",
    "title": "job title",
    "email": "the lead's email address",
    "phone": "the lead's phone number",
    "company": "company name",
    "company_domain": "the company's domain (acme.example)",
    "website": "the lead's website, else the company's",
    "location": "the lead's location, else the company's",
    "industry": "the company's industry",
    "sender_name": "the sending mailbox's sender name",
    "signature": "the sending mailbox's signature",
}
CUSTOM_PREFIX = "custom"
# Text filters only: none reads anything but the value it is given.
SAFE_FILTERS = ("default", "upper", "lower", "title", "capfirst", "truncatewords", "truncatechars")

register = Library()
for _name in SAFE_FILTERS:
    register.filter(_name, getattr(defaultfilters, _name))


class _SandboxEngine(Engine):
    # Engine always adds Django's own tags and filters to `builtins`; the sandbox has none of them.
    default_builtins: list[str] = []


@functools.cache
def _engine() -> Engine:
    return _SandboxEngine(loaders=[], builtins=["outreach.merge"], autoescape=False)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    unresolved: list[str] = field(default_factory=list)


def merge_fields() -> list[str]:
    """The names a template may use, besides `custom.<key>`."""
    return list(MERGE_FIELDS)


def custom_key(name: str) -> str:
    """How a custom field's name is written in a template: "Fleet size" -> "fleet_size"."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def _field_name(variable: Variable) -> str | None:
    """The merge field a variable names ("first_name", "custom.fleet_size"), None for a literal such as "there"."""
    return None if variable.lookups is None else ".".join(variable.lookups)


def _is_known(name: str) -> bool:
    if name in MERGE_FIELDS:
        return True
    prefix, _, key = name.partition(".")
    return prefix == CUSTOM_PREFIX and bool(key) and custom_key(key) == key


@dataclass(frozen=True)
class _Use:
    """One `{{ ... }}` of a template: the field it shows, whether it has a default, and fields its filters read."""

    name: str | None
    has_default: bool
    argument_names: tuple[str, ...]


def _names(uses: tuple[_Use, ...]) -> list[str]:
    """Every field the uses read, shown or as a filter's argument, once each, in order."""
    return list(dict.fromkeys(name for use in uses for name in (use.name, *use.argument_names) if name is not None))


# A sequence renders the same few steps for every lead: each is compiled once per process.
@functools.lru_cache(maxsize=512)
def _parsed(text: str, part: str) -> tuple[Template, tuple[_Use, ...]]:
    """Compile one part (subject or body) in the sandbox, refusing tags and syntax errors with a clear reason."""
    tokens = Lexer(text).tokenize()
    tags = [(token.contents.split() or [""])[0] for token in tokens if token.token_type == TokenType.BLOCK]
    if tags:
        names = ", ".join(dict.fromkeys(f"{{% {tag} %}}" for tag in tags))
        raise ValidationError(
            f"The {part} uses template tags ({names}): only {{{{ fields }}}} and filters may be used."
        )
    # Django reads an unclosed "{{" as plain text; here it is a field the writer forgot to close.
    for token in tokens:
        if token.token_type == TokenType.TEXT and ("{{" in token.contents or "{%" in token.contents):
            opener = "{{" if "{{" in token.contents else "{%"
            raise ValidationError(f"The {part} has a {opener} that is never closed (line {token.lineno}).")
    try:
        template = _engine().from_string(text)
    except TemplateSyntaxError as exc:
        hint = f" (filters allowed: {', '.join(SAFE_FILTERS)})" if "Invalid filter" in str(exc) else ""
        raise ValidationError(f"The {part} cannot be read: {exc}{hint}.") from exc
    uses = []
    for node in template.nodelist.get_nodes_by_type(VariableNode):
        expression = node.filter_expression
        argument_names = [
            name
            for _func, arguments in expression.filters
            for is_lookup, argument in arguments
            if is_lookup and (name := _field_name(argument)) is not None
        ]
        has_default = any(func is defaultfilters.default for func, _arguments in expression.filters)
        name = _field_name(expression.var) if isinstance(expression.var, Variable) else None
        uses.append(_Use(name=name, has_default=has_default, argument_names=tuple(argument_names)))
    return template, tuple(uses)


def template_check(subject: str, body: str) -> None:
    """Refuse a subject or body with a tag, a syntax error or an unknown field, naming what is wrong."""
    errors: dict[str, list[str]] = {}
    for part, text in (("subject", subject), ("body", body)):
        try:
            _template, uses = _parsed(text, part)
        except ValidationError as exc:
            errors[part] = exc.messages
            continue
        unknown = [name for name in _names(uses) if not _is_known(name)]
        if unknown:
            shown = ", ".join(f"{{{{ {name} }}}}" for name in unknown)
            errors[part] = [
                f"Unknown merge field{'s' if len(unknown) > 1 else ''} in the {part}: {shown}. "
                f"Use {', '.join(MERGE_FIELDS)}, or custom.<key> for a custom field."
            ]
    if errors:
        raise ValidationError(errors)


def _lead_values(lead: Lead, mailbox: Mailbox | None) -> dict[str, object]:
    """Everything a template may read, as strings: the only context it is ever rendered with."""
    company = lead.company
    values = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        # Not Lead.full_name: its stand-ins (the address, "Lead #7") are no name to greet someone by.
        "full_name": f"{lead.first_name} {lead.last_name}".strip(),
        "title": lead.title,
        "email": lead.email,
        "phone": lead.phone,
        "company": company.name if company else "",
        "company_domain": company.domain if company else "",
        "website": lead.website or (company.website if company else ""),
        "location": lead.location or (company.location if company else ""),
        "industry": company.industry if company else "",
        "sender_name": mailbox.name if mailbox else "",
        "signature": mailbox.signature if mailbox else "",
    }
    strings: dict[str, object] = {name: str(value or "") for name, value in values.items()}
    custom = lead.custom_fields if isinstance(lead.custom_fields, dict) else {}
    strings[CUSTOM_PREFIX] = {
        custom_key(str(key)): str(value) for key, value in custom.items() if value not in (None, "", [], {})
    }
    return strings


def _value_of(values: dict[str, object], name: str) -> str:
    prefix, _, key = name.partition(".")
    if prefix == CUSTOM_PREFIX and key:
        return values[CUSTOM_PREFIX].get(key, "")
    return values[name]


def render_for_lead(subject: str, body: str, lead: Lead, *, mailbox: Mailbox | None = None) -> Rendered:
    """The subject and body filled in for the lead (and the sending mailbox's sender name and signature, if given).

    `unresolved` names each field shown with no value and no `default` filter, and each unknown field: a message with
    any is not to be sent. A tag or a syntax error raises ValidationError, as `template_check` does at save time.
    """
    values = _lead_values(lead, mailbox)
    unresolved: list[str] = []
    parts = []
    for part, text in (("subject", subject), ("body", body)):
        template, uses = _parsed(text, part)
        names = _names(uses)
        unknown = [name for name in names if not _is_known(name)]
        if unknown:
            # Only an unchecked template gets here; its unknown fields stop the message, so nothing is rendered.
            unresolved += unknown
            parts.append("")
            continue
        unresolved += [
            use.name
            for use in uses
            if use.name is not None and not use.has_default and not _value_of(values, use.name).strip()
        ]
        # A custom field the lead lacks reads as empty, also as a filter's argument (`default:custom.nickname`).
        custom = {name.partition(".")[2]: "" for name in names if name.startswith(f"{CUSTOM_PREFIX}.")}
        context = Context({**values, CUSTOM_PREFIX: {**custom, **values[CUSTOM_PREFIX]}}, autoescape=False)
        parts.append(template.render(context))
    # A subject is one line: a newline from a field's value must not reach the header.
    return Rendered(subject=" ".join(parts[0].split()), text=parts[1], unresolved=list(dict.fromkeys(unresolved)))
