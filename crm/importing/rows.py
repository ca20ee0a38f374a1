"""One row of a file turned into a lead draft: normalised fields, custom fields, and every problem found."""

from __future__ import annotations

import csv
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.core.exceptions import ValidationError

from crm.companies import company_domain_of
from crm.importing.contacts import RowContacts, contacts_settle, identity_from_custom
from crm.importing.drafts import CellProblem, LeadDraft, keep_invalid
from crm.importing.mapping import CUSTOM, IGNORE
from crm.importing.reading import Row
from crm.lead_fields import lead_field_length
from crm.matching import identity_email_key, identity_linkedin_slug
from crm.models import Tag
from crm.normalize import (
    NormalizeError,
    company_key,
    email_normalize,
    is_placeholder,
    linkedin_canonical,
    name_capitalize,
    name_split,
    person_key,
    social_domain,
    text_fit,
    time_zone_name,
    website_normalize,
)
from crm.normalize.text import PLACEHOLDER_FORMS, text_shorten
from crm.services.consent import lawful_basis_parse

# Longest text each field a cell fills holds (the company: its name), read from the model once (rows are read in a
# forked child, which inherits this): a longer cell is shortened with an ellipsis and reported, never dropped.
FIELD_LENGTHS: dict[str, int] = {
    name: lead_field_length(name) for name in ("first_name", "last_name", "title", "location", "source", "company")
}
TAG_LENGTH: int = Tag._meta.get_field("name").max_length
NOTE_LENGTH = 10_000
MONEY_JUNK = re.compile(r"[^\d,.\-]")
_NAMES = frozenset({"first_name", "last_name", "full_name"})
# Placeholders elsewhere, and names in a name column: the Korean surname Na, the given name Nan.
_NAMES_NOT_PLACEHOLDERS = frozenset({"na", "nan"})
# A name cell that is a phone number: digits and the usual separators only, seven digits or more.
_PHONE_IN_NAME = re.compile(r"(?:p:)?\+?[\d\s().\-/]{7,24}", re.IGNORECASE)
_TAG_SEPARATORS = re.compile(r"\s*(?::::|[,;\n|])\s*")


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


def _fit(draft: LeadDraft, header: str, value: str, length: int) -> str:
    """One line of text that fits `length`: a longer one shortened with an ellipsis, and reported."""
    if len(value) <= length and value.isascii() and value.isprintable() and "  " not in value:
        return value  # most cells: already one clean line (the cell is stripped)
    text, shortened = text_fit(value, length)
    if shortened:
        draft.problems.append(CellProblem(header, f"longer than {length} characters; shortened to fit"))
    return text


def _tags(value: str) -> list[str]:
    """Clean tags from a cell: "a, b", Mailchimp's quoted list ("Customer","Webinar 2024"), Google's labels
    ("* myContacts ::: Clients", whose "*" system labels are dropped)."""
    items: list[str] = []
    if '"' in value:
        try:
            items = next(csv.reader([value], skipinitialspace=True))
        except (csv.Error, StopIteration):
            items = []
    if not items:
        items = _TAG_SEPARATORS.split(value)
    tags = set()
    for item in items:
        tag = " ".join(item.strip().strip('"').split())
        if tag and not tag.startswith("*") and not is_placeholder(tag):
            tags.add(text_shorten(tag.lower(), TAG_LENGTH))
    return sorted(tags)


def _name_cell(draft: LeadDraft, header: str, value: str, contacts: RowContacts) -> bool:
    """Whether a name cell holds an email address or a phone number instead (kept to reach the person by)."""
    if "@" in value:
        try:
            email_normalize(value)
        except NormalizeError:
            return False
        contacts.name_emails.append((header, value))
        draft.problems.append(CellProblem(header, "an email address, not a name"))
        return True
    if value[0] in "+(0123456789pP" and _PHONE_IN_NAME.fullmatch(value) and sum(c.isdigit() for c in value) >= 7:
        contacts.name_phones.append((header, value))
        draft.problems.append(CellProblem(header, "a phone number, not a name"))
        return True
    return False


def _website(draft: LeadDraft, header: str, value: str, contacts: RowContacts) -> None:
    if ":::" in value:
        value = value.partition(":::")[0].strip()  # Google's list of sites: the first
    url = website_normalize(value)
    social = social_domain(url)
    if not social:
        draft.fields["website"] = url
        return
    # A profile or page on a social network is never the company's website, nor its domain the company's.
    if social == "linkedin.com":
        try:
            contacts.linkedin = (header, value, linkedin_canonical(value))
            return
        except NormalizeError:
            pass
    draft.custom[header] = value
    draft.problems.append(CellProblem(header, f"a {social} page, not a company website; kept as a custom field"))


def _apply_cell(draft: LeadDraft, target: str, header: str, value: str, contacts: RowContacts) -> None:
    try:
        if target in FIELD_LENGTHS:
            if target in _NAMES and _name_cell(draft, header, value, contacts):
                return
            text = _fit(draft, header, value, FIELD_LENGTHS[target])
            if target == "company":
                draft.company_name = text
            elif target in {"first_name", "last_name"}:
                draft.fields[target] = name_capitalize(text)
            else:
                draft.fields[target] = text
        elif target == "full_name":
            if _name_cell(draft, header, value, contacts):
                return
            first, last = name_split(value)
            draft.fields.setdefault("first_name", _fit(draft, header, first, FIELD_LENGTHS["first_name"]))
            draft.fields.setdefault("last_name", _fit(draft, header, last, FIELD_LENGTHS["last_name"]))
        elif target == "linkedin_url":
            draft.fields["linkedin_url"] = linkedin_canonical(value)
        elif target == "website":
            _website(draft, header, value, contacts)
        elif target == "city":
            draft.fields.setdefault("_city", _fit(draft, header, value, FIELD_LENGTHS["location"]))
        elif target == "country":
            contacts.country = contacts.country or value
            draft.fields.setdefault("_country", _fit(draft, header, value, FIELD_LENGTHS["location"]))
        elif target == "time_zone":
            draft.fields["time_zone"] = time_zone_name(value)
        elif target == "tags":
            draft.tags = _tags(value)
        elif target == "deal_value":
            draft.fields["deal_value"] = _money(value)
        elif target == "lawful_basis":
            draft.lawful_basis = lawful_basis_parse(value) or draft.lawful_basis
        elif target == "notes":
            if "\n" in value:  # a note keeps its lines
                note, shortened = text_shorten(value, NOTE_LENGTH), len(value) > NOTE_LENGTH
            else:
                note, shortened = text_fit(value, NOTE_LENGTH)
            if shortened:
                draft.problems.append(CellProblem(header, f"longer than {NOTE_LENGTH} characters; shortened to fit"))
            draft.note = note
    except NormalizeError as exc:
        keep_invalid(draft, header, value, str(exc))
    except ValidationError as exc:
        keep_invalid(draft, header, value, " ".join(exc.messages))


def draft_from_row(row: Row, headers: list[str], mapping: list[str], *, region: str) -> LeadDraft:
    """Normalise one row by its mapping; problems are collected, never raised. `region` reads phone numbers written
    without +code when the row names no country of its own (by a country or location, or its website's or email's
    country-code domain)."""
    draft = LeadDraft(line=row.line, values=[*row.values, *row.extra])
    contacts = RowContacts()
    values = row.values
    for index, target, header in _cells(tuple(mapping), tuple(headers)):
        value = values[index].strip()
        if not value:
            continue
        if value in PLACEHOLDER_FORMS and not (target in _NAMES and value.casefold() in _NAMES_NOT_PLACEHOLDERS):
            continue  # "[not provided]", "N/A", "-": no value
        if target == CUSTOM:
            draft.custom[header] = value
        elif target == "email" or target == "other_email":
            contacts.emails.append((header, value))
        elif target == "phone" or target == "other_phone":
            contacts.phones.append((header, value))
        else:
            if target == "location":
                contacts.location = value
            _apply_cell(draft, target, header, value, contacts)
    if row.note:
        draft.problems.append(CellProblem("", row.note))
    if row.extra:
        draft.problems.append(CellProblem("", f"{len(row.extra)} more cell(s) than the header; kept as custom fields"))
        for number, value in enumerate(row.extra, start=1):
            if value.strip():
                draft.custom[f"Extra column {number}"] = value
    contacts_settle(draft, contacts, region)
    _finish(draft, contacts, region)
    return draft


# The order a row's cells are read in: main columns first, then the further email and phone columns (the main one
# counts first), then full names and city/country, which only fill what dedicated columns left empty.
_READ_LATER = {"other_email": 1, "other_phone": 1, "full_name": 2, "city": 2, "country": 2}


@lru_cache(maxsize=16)
def _cells(mapping: tuple[str, ...], headers: tuple[str, ...]) -> tuple[tuple[int, str, str], ...]:
    """(index, target, header) of each cell read, in reading order: the same for every row of a file."""
    cells = [(index, mapping[index], headers[index]) for index in range(min(len(mapping), len(headers)))]
    cells = [cell for cell in cells if cell[1] != IGNORE]
    return tuple(sorted(cells, key=lambda cell: _READ_LATER.get(cell[1], 0)))


def _has_identity(draft: LeadDraft) -> bool:
    fields = draft.fields
    has_name = fields.get("first_name") or fields.get("last_name")
    return bool(
        fields.get("email") or fields.get("phone") or fields.get("linkedin_url") or (has_name and draft.company_name)
    )


def _finish(draft: LeadDraft, contacts: RowContacts, region: str) -> None:
    fields = draft.fields
    city, country = fields.pop("_city", ""), fields.pop("_country", "")
    if not fields.get("location") and (city or country):
        location = ", ".join(part for part in (city, country) if part)
        fields["location"] = text_fit(location, FIELD_LENGTHS["location"])[0]
    identified = _has_identity(draft)
    if not identified and draft.custom:
        identity_from_custom(draft, contacts, region)
        identified = _has_identity(draft)
    email = str(fields.get("email", ""))
    draft.company_domain = company_domain_of(website=str(fields.get("website", "")), email=email)
    draft.email_key = identity_email_key(email)
    draft.linkedin_slug = identity_linkedin_slug(str(fields.get("linkedin_url", "")))
    draft.name_key = person_key(str(fields.get("first_name", "")), str(fields.get("last_name", "")))
    draft.company_key = company_key(draft.company_name) if draft.company_name else ""
    if not identified:
        reasons = "; ".join(f"{p.column}: {p.reason}" for p in draft.problems if p.column)
        draft.rejected = "No email, phone, LinkedIn URL, or name with company" + (f" ({reasons})" if reasons else "")
