"""One row of a file turned into a lead draft: normalised fields, custom fields, and every problem found."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

from crm.importing.mapping import CUSTOM, IGNORE
from crm.importing.reading import Row
from crm.matching import identity_email_key, identity_linkedin_slug
from crm.normalize import (
    NormalizeError,
    company_domain_from_email,
    company_key,
    domain_from_url,
    email_normalize,
    linkedin_canonical,
    name_capitalize,
    name_split,
    person_key,
    phone_e164,
    text_clean,
    website_normalize,
)

# Longest text each lead field holds (the model's max_length); a longer cell is a problem, not a silent cut.
FIELD_LENGTHS = {
    "first_name": 100,
    "last_name": 100,
    "title": 200,
    "company": 200,
    "location": 200,
    "source": 60,
}
NOTE_LENGTH = 10_000
MONEY_JUNK = re.compile(r"[^\d,.\-]")


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@dataclass
class CellProblem:
    column: str
    reason: str


@dataclass
class LeadDraft:
    """What the import will store for one row, before it is matched against the database."""

    line: int
    values: list[str]
    fields: dict[str, object] = field(default_factory=dict)
    company_name: str = ""
    company_domain: str = ""
    tags: list[str] = field(default_factory=list)
    note: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    problems: list[CellProblem] = field(default_factory=list)
    rejected: str = ""
    # The keys it is matched on, worked out with the rest of the row (_finish), away from the writer.
    email_key: str = ""
    linkedin_slug: str = ""
    name_key: str = ""
    company_key: str = ""

    @property
    def phone(self) -> str:
        return str(self.fields.get("phone", ""))

    def __reduce__(self) -> tuple[type[LeadDraft], tuple]:
        # Drafts cross from the normalising process to the writing one (crm.importing.drafting) by pickle. As the
        # class and its values, a batch unpickles in less than half the time of the default, attribute by name.
        return LeadDraft, tuple(getattr(self, name) for name in _DRAFT_FIELDS)


_DRAFT_FIELDS = tuple(f.name for f in fields(LeadDraft))


def _money(value: str) -> Decimal:
    """ "$12,500", "12 500 €", "12.500,50" -> Decimal."""
    digits = MONEY_JUNK.sub("", value)
    # The last "," or "." followed by one or two digits is the decimal mark; any other one groups thousands.
    match = re.fullmatch(r"(.*?)[,.](\d{1,2})", digits)
    whole, cents = (match.group(1), match.group(2)) if match else (digits, "0")
    try:
        amount = Decimal(f"{whole.replace(',', '').replace('.', '')}.{cents}")
    except InvalidOperation as exc:
        raise NormalizeError("not an amount of money") from exc
    if amount < 0 or amount >= Decimal("1e10"):
        raise NormalizeError("not a plausible deal value")
    return amount.quantize(Decimal("0.01"))


def _keep_invalid(draft: LeadDraft, header: str, value: str, reason: str) -> None:
    """Report a cell the lead cannot hold, and keep its text among the custom fields so nothing is lost."""
    draft.problems.append(CellProblem(header, reason))
    draft.custom[f"{header} (invalid)"] = value


def _set_text(draft: LeadDraft, target: str, header: str, value: str) -> None:
    try:
        text = text_clean(value, FIELD_LENGTHS[target])
    except NormalizeError as exc:
        _keep_invalid(draft, header, value, str(exc))
        return
    draft.fields[target] = name_capitalize(text) if target in {"first_name", "last_name"} else text


def _apply_cell(draft: LeadDraft, target: str, header: str, value: str, region: str) -> None:
    try:
        if target in FIELD_LENGTHS:
            if target == "company":
                draft.company_name = text_clean(value, FIELD_LENGTHS["company"])
            else:
                _set_text(draft, target, header, value)
        elif target == "full_name":
            first, last = name_split(value)
            draft.fields.setdefault("first_name", first)
            draft.fields.setdefault("last_name", last)
        elif target == "email":
            draft.fields["email"] = email_normalize(value)
        elif target == "phone":
            draft.fields["phone"] = phone_e164(value, region)
        elif target == "linkedin_url":
            draft.fields["linkedin_url"] = linkedin_canonical(value)
        elif target == "website":
            draft.fields["website"] = website_normalize(value)
        elif target in {"city", "country"}:
            draft.fields.setdefault(f"_{target}", text_clean(value, 100))
        elif target == "time_zone":
            if value not in _time_zones():
                raise NormalizeError("not a time zone name such as Europe/Berlin")
            draft.fields["time_zone"] = value
        elif target == "tags":
            draft.tags = sorted({tag.strip().lower()[:50] for tag in value.split(",") if tag.strip()})
        elif target == "deal_value":
            draft.fields["deal_value"] = _money(value)
        elif target == "notes":
            draft.note = text_clean(value, NOTE_LENGTH) if "\n" not in value else value.strip()[:NOTE_LENGTH]
    except NormalizeError as exc:
        _keep_invalid(draft, header, value, str(exc))


def draft_from_row(row: Row, headers: list[str], mapping: list[str], *, region: str) -> LeadDraft:
    """Normalise one row by its mapping; problems are collected, never raised."""
    draft = LeadDraft(line=row.line, values=[*row.values, *row.extra])
    for index in _cell_order(tuple(mapping), len(headers)):
        value = row.values[index].strip()
        target = mapping[index]
        if not value or target == IGNORE:
            continue
        if target == CUSTOM:
            draft.custom[headers[index]] = value
        else:
            _apply_cell(draft, target, headers[index], value, region)
    if row.note:
        draft.problems.append(CellProblem("", row.note))
    if row.extra:
        draft.problems.append(CellProblem("", f"{len(row.extra)} more cell(s) than the header; kept as custom fields"))
        for number, value in enumerate(row.extra, start=1):
            if value.strip():
                draft.custom[f"Extra column {number}"] = value
    _finish(draft)
    return draft


@lru_cache(maxsize=16)
def _cell_order(mapping: tuple[str, ...], width: int) -> list[int]:
    """The order a row's cells are read in, the same for every row of a file."""
    # Full names and city/country only fill what dedicated columns left empty, so they go last.
    return sorted(range(width), key=lambda i: mapping[i] in {"full_name", "city", "country"})


def _finish(draft: LeadDraft) -> None:
    fields = draft.fields
    city, country = fields.pop("_city", ""), fields.pop("_country", "")
    if not fields.get("location") and (city or country):
        fields["location"] = ", ".join(part for part in (city, country) if part)
    email = str(fields.get("email", ""))
    draft.company_domain = domain_from_url(str(fields.get("website", ""))) or (
        company_domain_from_email(email) if email else ""
    )
    draft.email_key = identity_email_key(email)
    draft.linkedin_slug = identity_linkedin_slug(str(fields.get("linkedin_url", "")))
    draft.name_key = person_key(str(fields.get("first_name", "")), str(fields.get("last_name", "")))
    draft.company_key = company_key(draft.company_name) if draft.company_name else ""
    has_name = fields.get("first_name") or fields.get("last_name")
    if not (email or fields.get("phone") or fields.get("linkedin_url") or (has_name and draft.company_name)):
        reasons = "; ".join(f"{p.column}: {p.reason}" for p in draft.problems if p.column)
        draft.rejected = "No email, phone, LinkedIn URL, or name with company" + (f" ({reasons})" if reasons else "")
