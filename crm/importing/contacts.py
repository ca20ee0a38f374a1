"""The ways to reach the person a row is about: its email addresses and phone numbers gathered from every column
that holds them, settled once the row is read (the first valid one of each kind is the main one, the others are
kept), phone numbers read in the region the row itself names."""

from __future__ import annotations

from crm.importing.drafts import CellProblem, LeadDraft, keep_invalid
from crm.importing.mapping import header_contact_kind
from crm.normalize import (
    NormalizeError,
    country_region,
    domain_from_url,
    domain_region,
    email_domain_typo,
    email_normalize,
    email_split,
    phone_e164,
    phone_split,
)


class RowContacts:
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


def contacts_settle(draft: LeadDraft, contacts: RowContacts, region: str) -> None:
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
                keep_invalid(draft, header, part, str(exc))
                continue
            if not email:
                continue
            domain = email.rpartition("@")[2]
            typo = email_domain_typo(domain)
            if typo:
                keep_invalid(draft, header, part, f"{domain} looks like a typo of {typo}")
            elif email not in found:
                found.append(email)
    return found


class _PhoneRegion:
    """The region a row's phone numbers without +code are read in, worked out on first need: the row's country
    (a Country column in any language, else the end of its location), else its website's or email's country-code
    domain, else the import's region; with why, for a number that is not valid there."""

    __slots__ = ("_contacts", "_draft", "_found", "default")

    def __init__(self, draft: LeadDraft, contacts: RowContacts, default: str) -> None:
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
                    keep_invalid(draft, header, part, reason)
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


def identity_from_custom(draft: LeadDraft, contacts: RowContacts, region: str) -> None:
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
