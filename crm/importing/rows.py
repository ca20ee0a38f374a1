"""One row of a file turned into a lead draft: normalised fields, custom fields, and every problem found."""

from __future__ import annotations

import csv
import re
import zoneinfo
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

from crm.importing.mapping import CUSTOM, IGNORE, header_contact_kind
from crm.importing.reading import Row
from crm.matching import identity_email_key, identity_linkedin_slug
from crm.models import Company, Lead, Tag
from crm.normalize import (
    NormalizeError,
    company_domain_from_email,
    company_key,
    country_region,
    domain_from_url,
    domain_region,
    email_domain_typo,
    email_normalize,
    email_split,
    is_placeholder,
    linkedin_canonical,
    name_capitalize,
    name_split,
    person_key,
    phone_e164,
    phone_split,
    social_domain,
    text_fit,
    website_normalize,
)
from crm.normalize.text import PLACEHOLDER_FORMS, text_shorten

# Longest text each lead field holds, read from the model once (rows are read in a forked child, which inherits
# this): a longer cell is shortened with an ellipsis and reported, never dropped.
FIELD_LENGTHS: dict[str, int] = {
    **{name: Lead._meta.get_field(name).max_length for name in ("first_name", "last_name", "title", "location")},
    "source": Lead._meta.get_field("source").max_length,
    "company": Company._meta.get_field("name").max_length,
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


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@dataclass
class CellProblem:
    column: str
    reason: str


@dataclass
class LeadDraft:
    """What the import will store for one row, before it is matched against the database.

    `fields` holds lead fields by name, "other_emails" and "other_phones" among them (lists of further normalised
    addresses and numbers, present only when the row has some)."""

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


class _Contacts:
    """What a row says about reaching the person, gathered from its cells and settled once all are read: the
    email and phone cells in the order they count, and what decides the region of its phone numbers."""

    __slots__ = ("country", "emails", "linkedin", "location", "name_emails", "name_phones", "phones")

    def __init__(self) -> None:
        self.emails: list[tuple[str, str]] = []  # (column, cell): the main column's first, then the others'
        self.phones: list[tuple[str, str]] = []
        self.name_emails: list[tuple[str, str]] = []  # found in a name cell: used last
        self.name_phones: list[tuple[str, str]] = []
        self.linkedin: tuple[str, str, str] | None = None  # (column, cell, profile) found in a website cell
        self.country = ""
        self.location = ""


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
    key = f"{header} (invalid)"
    kept = draft.custom.get(key)
    draft.custom[key] = f"{kept}; {value}" if kept and kept != value else value


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


def _name_cell(draft: LeadDraft, header: str, value: str, contacts: _Contacts) -> bool:
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


def _website(draft: LeadDraft, header: str, value: str, contacts: _Contacts) -> None:
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


def _apply_cell(draft: LeadDraft, target: str, header: str, value: str, contacts: _Contacts) -> None:
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
            if value not in _time_zones():
                raise NormalizeError("not a time zone name such as Europe/Berlin")
            draft.fields["time_zone"] = value
        elif target == "tags":
            draft.tags = _tags(value)
        elif target == "deal_value":
            draft.fields["deal_value"] = _money(value)
        elif target == "notes":
            if "\n" in value:  # a note keeps its lines
                note, shortened = text_shorten(value, NOTE_LENGTH), len(value) > NOTE_LENGTH
            else:
                note, shortened = text_fit(value, NOTE_LENGTH)
            if shortened:
                draft.problems.append(CellProblem(header, f"longer than {NOTE_LENGTH} characters; shortened to fit"))
            draft.note = note
    except NormalizeError as exc:
        _keep_invalid(draft, header, value, str(exc))


def draft_from_row(row: Row, headers: list[str], mapping: list[str], *, region: str) -> LeadDraft:
    """Normalise one row by its mapping; problems are collected, never raised. `region` reads phone numbers written
    without +code when the row names no country of its own (by a country or location, or its website's or email's
    country-code domain)."""
    draft = LeadDraft(line=row.line, values=[*row.values, *row.extra])
    contacts = _Contacts()
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
    _contacts_settle(draft, contacts, region)
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


def _contacts_settle(draft: LeadDraft, contacts: _Contacts, region: str) -> None:
    """The row's email, phone and LinkedIn profile: the first valid value of each kind is the main one, every other
    valid one is kept (other_emails, other_phones), every invalid one reported and kept among the custom fields."""
    fields = draft.fields
    emails = _emails_valid(draft, [*contacts.emails, *contacts.name_emails])
    if emails:
        fields["email"] = emails[0]
        if len(emails) > 1:
            fields["other_emails"] = emails[1:]
    phone_cells = [*contacts.phones, *contacts.name_phones]
    if phone_cells:
        phones = _phones_valid(draft, phone_cells, _PhoneRegion(draft, contacts, region))
        if phones:
            fields["phone"] = phones[0]
            if len(phones) > 1:
                fields["other_phones"] = phones[1:]
    if contacts.linkedin:
        header, value, profile = contacts.linkedin
        if not fields.get("linkedin_url"):
            fields["linkedin_url"] = profile  # a LinkedIn profile in the website column
        elif fields["linkedin_url"] != profile:
            draft.custom[header] = value


def _emails_valid(draft: LeadDraft, cells: list[tuple[str, str]]) -> list[str]:
    """The valid addresses of these cells, normalised, in order, each once; the others reported."""
    found: list[str] = []
    for header, value in cells:
        for part in email_split(value):
            try:
                email = email_normalize(part)
            except NormalizeError as exc:
                _keep_invalid(draft, header, part, str(exc))
                continue
            if not email:
                continue
            domain = email.rpartition("@")[2]
            typo = email_domain_typo(domain)
            if typo:
                _keep_invalid(draft, header, part, f"{domain} looks like a typo of {typo}")
            elif email not in found:
                found.append(email)
    return found


class _PhoneRegion:
    """The region a row's phone numbers without +code are read in, worked out on first need: the row's country
    (a Country column in any language, else the end of its location), else its website's or email's country-code
    domain, else the import's region; with why, for a number that is not valid there."""

    __slots__ = ("_contacts", "_draft", "_found", "default")

    def __init__(self, draft: LeadDraft, contacts: _Contacts, default: str) -> None:
        self._draft, self._contacts, self.default = draft, contacts, default
        self._found: tuple[str, str] | None = None

    def get(self) -> tuple[str, str]:
        if self._found is None:
            self._found = self._work_out()
        return self._found

    def _work_out(self) -> tuple[str, str]:
        country = self._contacts.country
        if country:
            code = country_region(country)
            if code:
                return code, f"read as {code} because the row's country is {country}; check the number or the country"
        elif self._contacts.location:
            code = country_region(self._contacts.location)
            if code:
                return code, f"read as {code} from the row's location; check the number, or add a Country column"
        fields = self._draft.fields
        website, email = str(fields.get("website", "")), str(fields.get("email", ""))
        for what, host in (("website", domain_from_url(website)), ("email", email.rpartition("@")[2])):
            code = domain_region(host) if host else ""
            if code:
                return (
                    code,
                    f"read as {code} from the row's {what} domain ({host}); add a Country column to say otherwise",
                )
        default = (self.default or "US").upper()
        why = f"the row's country {country!r} is not one we know" if country else "the row names no country"
        return default, f"read as {default} because {why}; add a Country column, or choose the region of the import"


def _phones_valid(draft: LeadDraft, cells: list[tuple[str, str]], region: _PhoneRegion) -> list[str]:
    """The valid numbers of these cells in E.164, in order, each once; the others reported with the region used."""
    found: list[str] = []
    for header, value in cells:
        for part in phone_split(value):
            international = part.lstrip("pP: ").startswith("+")
            code, why = (region.default, "") if international else region.get()
            try:
                phone = phone_e164(part, code)
            except NormalizeError as exc:
                phone = _phone_in_default(part, code, region.default)
                if not phone:
                    reason = str(exc)
                    if why and reason.endswith(f"for {code}"):
                        reason = f"{reason} ({why})"
                    _keep_invalid(draft, header, part, reason)
                    continue
            if phone and phone not in found:
                found.append(phone)
    return found


def _phone_in_default(text: str, tried: str, default: str) -> str:
    """A number not valid in the row's region, read in the import's instead (a US mobile of someone in London);
    "" when it is not valid there either."""
    if not default or tried == default.upper():
        return ""
    try:
        return phone_e164(text, default)
    except NormalizeError:
        return ""


def _has_identity(draft: LeadDraft) -> bool:
    fields = draft.fields
    has_name = fields.get("first_name") or fields.get("last_name")
    return bool(
        fields.get("email") or fields.get("phone") or fields.get("linkedin_url") or (has_name and draft.company_name)
    )


def _identity_from_custom(draft: LeadDraft, contacts: _Contacts, region: str) -> None:
    """A row with nothing to know the person by takes an email or phone from a column left as a custom field whose
    header names one ("Secondary Email"), rather than being rejected."""
    for header, value in list(draft.custom.items()):
        if header.endswith(" (invalid)"):
            continue
        kind = header_contact_kind(header)
        if kind == "email":
            found = _emails_valid(draft, [(header, value)])
        elif kind == "phone":
            found = _phones_valid(draft, [(header, value)], _PhoneRegion(draft, contacts, region))
        else:
            continue
        if found:
            draft.fields[kind] = found[0]
            if len(found) > 1:
                draft.fields[f"other_{kind}s"] = found[1:]
            del draft.custom[header]
            draft.problems.append(CellProblem(header, f"used as the {kind}, which the row had nowhere else"))
            return


def _finish(draft: LeadDraft, contacts: _Contacts, region: str) -> None:
    fields = draft.fields
    city, country = fields.pop("_city", ""), fields.pop("_country", "")
    if not fields.get("location") and (city or country):
        location = ", ".join(part for part in (city, country) if part)
        fields["location"] = text_fit(location, FIELD_LENGTHS["location"])[0]
    identified = _has_identity(draft)
    if not identified and draft.custom:
        _identity_from_custom(draft, contacts, region)
        identified = _has_identity(draft)
    email = str(fields.get("email", ""))
    draft.company_domain = domain_from_url(str(fields.get("website", ""))) or (
        company_domain_from_email(email) if email else ""
    )
    draft.email_key = identity_email_key(email)
    draft.linkedin_slug = identity_linkedin_slug(str(fields.get("linkedin_url", "")))
    draft.name_key = person_key(str(fields.get("first_name", "")), str(fields.get("last_name", "")))
    draft.company_key = company_key(draft.company_name) if draft.company_name else ""
    if not identified:
        reasons = "; ".join(f"{p.column}: {p.reason}" for p in draft.problems if p.column)
        draft.rejected = "No email, phone, LinkedIn URL, or name with company" + (f" ({reasons})" if reasons else "")
