"""The result shapes capture knows, and the lead field each of their columns holds.

Two kinds: PhantomBuster's result tables (CSV or result object), whose own headers are kept and mapped, and Apify
dataset items (JSON objects), turned into columns with headers of our own (a custom field is named by its header:
"Category", "Rating"). A column no shape names is left to the import's suggestions (crm.importing.mapping).

Column names are the providers' real ones, as their result files and dataset items carry them:
- Sales Navigator Search Export: profileUrl (a Sales Navigator link), fullName, firstName, lastName, companyName,
  title, companyId, companyUrl, regularCompanyUrl, summary, titleDescription, industry, companyLocation, location,
  durationInRole, durationInCompany, pastExperience*, connectionDegree, profileImageUrl, sharedConnectionsCount,
  name, vmid, linkedInProfileUrl, isPremium, isOpenLink, query, timestamp, defaultProfileUrl.
- LinkedIn Search Export: profileUrl (the profile itself), fullName, firstName, lastName, job (the headline),
  additionalInfo, location, connectionDegree, profileImageUrl, vmid, query, category, timestamp.
- LinkedIn Profile Scraper: linkedinProfileUrl, baseUrl, profileId, fullName, firstName, lastName, headline,
  description, company, companyUrl, jobTitle, jobDescription, jobLocation, location, mail, mailFromDropcontact,
  phoneNumber, website, companyWebsite, twitter, skills, timestamp.
- Apify compass/crawler-google-places: title, categoryName, address, street, city, postalCode, state, countryCode,
  website, phone, phoneUnformatted, totalScore, reviewsCount, placeId, url, emails (with contact enrichment).
- Apify people actors: dev_fusion/Linkedin-Profile-Scraper and harvestapi (fullName, firstName, lastName, headline,
  jobTitle, companyName, companyWebsite, email, mobileNumber, linkedinUrl, addressWithCountry), Apollo scrapers
  (name, first_name, last_name, title, headline, email, linkedin_url, city, state, country, organization.name,
  organization.website_url, phone_numbers.0.sanitized_number).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

# The import's custom-field target: the value is kept on the lead under the column's header.
CUSTOM = ""


@dataclass(frozen=True)
class TableShape:
    """A result table whose headers are kept: each lead field takes the first of its candidate headers present."""

    name: str
    # Headers that, present together, tell this shape from the others.
    signature: frozenset[str]
    fields: dict[str, tuple[str, ...]]

    def score(self, headers: list[str]) -> int:
        present = set(headers)
        return len(self.signature & present) if self.signature <= present else 0

    def mapping(self, headers: list[str]) -> dict[str, str]:
        """{header: lead field} for the headers this shape knows; one header per field."""
        present = set(headers)
        mapping: dict[str, str] = {}
        for field, candidates in self.fields.items():
            header = next((candidate for candidate in candidates if candidate in present), None)
            if header is not None and header not in mapping:
                mapping[header] = field
        return mapping


SALES_NAVIGATOR_SEARCH_EXPORT = TableShape(
    name="Sales Navigator Search Export",
    signature=frozenset({"profileUrl", "companyName", "title", "linkedInProfileUrl"}),
    fields={
        "first_name": ("firstName",),
        "last_name": ("lastName",),
        "full_name": ("fullName", "name"),
        # profileUrl is a Sales Navigator lead link; the public profile is linkedInProfileUrl (or defaultProfileUrl).
        "linkedin_url": ("linkedInProfileUrl", "defaultProfileUrl"),
        "company": ("companyName",),
        "title": ("title",),
        "location": ("location",),
        "email": ("email", "mail", "mailFromDropcontact"),
        "phone": ("phoneNumber", "phone"),
    },
)
LINKEDIN_SEARCH_EXPORT = TableShape(
    name="LinkedIn Search Export",
    signature=frozenset({"profileUrl", "job", "connectionDegree"}),
    fields={
        "first_name": ("firstName",),
        "last_name": ("lastName",),
        "full_name": ("fullName", "name"),
        "linkedin_url": ("profileUrl", "linkedInProfileUrl", "defaultProfileUrl"),
        # The search result's one line under the name: a headline, the nearest thing to a job title it has.
        "title": ("job", "title"),
        "company": ("company", "companyName"),
        "location": ("location",),
    },
)
LINKEDIN_PROFILE_SCRAPER = TableShape(
    name="LinkedIn Profile Scraper",
    signature=frozenset({"linkedinProfileUrl", "jobTitle"}),
    fields={
        "first_name": ("firstName",),
        "last_name": ("lastName",),
        "full_name": ("fullName", "name"),
        "linkedin_url": ("linkedinProfileUrl", "baseUrl", "profileUrl"),
        "title": ("jobTitle", "headline"),
        "company": ("company", "companyName"),
        "email": ("mail", "email", "mailFromDropcontact", "emailFromDropcontact"),
        "phone": ("phoneNumber", "phone"),
        "website": ("companyWebsite", "website"),
        "location": ("location", "jobLocation"),
    },
)
PHANTOMBUSTER_SHAPES = (SALES_NAVIGATOR_SEARCH_EXPORT, LINKEDIN_PROFILE_SCRAPER, LINKEDIN_SEARCH_EXPORT)


def phantombuster_mapping(headers: list[str]) -> tuple[str | None, dict[str, str] | None]:
    """The known shape these headers come from (its name) and its mapping, or (None, None) when none fits."""
    best = max(PHANTOMBUSTER_SHAPES, key=lambda shape: shape.score(headers))
    if best.score(headers) == 0:
        return None, None
    return best.name, best.mapping(headers)


@dataclass(frozen=True)
class ItemColumn:
    """One column made from dataset items: its header, where its value is (the first non-empty path wins; a dotted
    path reads nested objects, a number picks from a list), and the lead field it holds ("" a custom field)."""

    header: str
    paths: tuple[str, ...]
    field: str


@dataclass(frozen=True)
class ItemShape:
    name: str
    actors: frozenset[str]
    # Top-level keys of an item that, present together, tell this shape apart (any one of the sets).
    signatures: tuple[frozenset[str], ...]
    columns: tuple[ItemColumn, ...]

    def mapping(self) -> dict[str, str]:
        return {column.header: column.field for column in self.columns}

    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def fields(self) -> list[str]:
        """The items' top-level fields the columns read, to ask a dataset for only those (Apify's `fields`): a Google
        Maps place carries its reviews, photos and opening hours, many times what a lead needs."""
        return list(dict.fromkeys(steps[0] for paths in self._steps for steps in paths))

    def row(self, item: dict) -> list[str]:
        return [first_value(item, steps) for steps in self._steps]

    @cached_property
    def _steps(self) -> tuple[tuple[tuple[str, ...], ...], ...]:
        # Each column's paths split once, not once per item (a 50,000-item dataset reads 600,000 cells).
        return tuple(tuple(tuple(path.split(".")) for path in column.paths) for column in self.columns)

    def fits(self, actor: str, item: dict) -> bool:
        return actor in self.actors or any(signature <= item.keys() for signature in self.signatures)


GOOGLE_MAPS_PLACES = ItemShape(
    name="Google Maps places",
    actors=frozenset({"compass/crawler-google-places", "compass/google-maps-extractor"}),
    signatures=(frozenset({"placeId", "title"}),),
    columns=(
        ItemColumn("Company", ("title",), "company"),
        ItemColumn("Phone", ("phone", "phoneUnformatted"), "phone"),
        ItemColumn("Website", ("website",), "website"),
        ItemColumn("Email", ("emails.0", "email"), "email"),
        ItemColumn("Address", ("address",), "location"),
        ItemColumn("City", ("city",), "city"),
        ItemColumn("Country", ("countryCode",), "country"),
        ItemColumn("Category", ("categoryName",), CUSTOM),
        ItemColumn("Rating", ("totalScore",), CUSTOM),
        ItemColumn("Reviews", ("reviewsCount",), CUSTOM),
        ItemColumn("Place id", ("placeId",), CUSTOM),
        ItemColumn("Maps URL", ("url",), CUSTOM),
    ),
)
PEOPLE = ItemShape(
    name="LinkedIn or Apollo people",
    actors=frozenset(
        {
            "dev_fusion/linkedin-profile-scraper",
            "harvestapi/linkedin-profile-search",
            "code_crafter/leads-finder",
            "jljbwyyqakqrl1wae",  # the Apollo scraper's actor id
        }
    ),
    signatures=(
        frozenset({"linkedinUrl", "firstName"}),
        frozenset({"linkedin_url", "first_name"}),
        frozenset({"fullName", "email"}),
    ),
    columns=(
        ItemColumn("First name", ("firstName", "first_name"), "first_name"),
        ItemColumn("Last name", ("lastName", "last_name"), "last_name"),
        ItemColumn("Full name", ("fullName", "full_name", "name"), "full_name"),
        ItemColumn("Email", ("email", "personal_email", "emails.0"), "email"),
        ItemColumn(
            "Phone",
            ("mobileNumber", "phone", "phone_numbers.0.sanitized_number", "organization.primary_phone.number"),
            "phone",
        ),
        ItemColumn("LinkedIn URL", ("linkedinUrl", "linkedin_url", "linkedin", "profileUrl"), "linkedin_url"),
        ItemColumn("Job title", ("jobTitle", "job_title", "title", "headline"), "title"),
        ItemColumn(
            "Company",
            ("companyName", "company_name", "organization.name", "currentPosition.0.companyName", "company"),
            "company",
        ),
        ItemColumn(
            "Website",
            ("companyWebsite", "company_website", "organization.website_url", "company_domain"),
            "website",
        ),
        ItemColumn("Location", ("addressWithCountry", "location.linkedinText", "location"), "location"),
        ItemColumn("City", ("city",), "city"),
        ItemColumn("Country", ("addressCountryOnly", "country"), "country"),
        ItemColumn("Headline", ("headline",), CUSTOM),
    ),
)
APIFY_SHAPES = (GOOGLE_MAPS_PLACES, PEOPLE)


def apify_shape(actor: str, item: dict | None) -> ItemShape | None:
    """The known shape of an actor's items: by the actor's id first, else by the first item's keys (None: not
    looked at yet)."""
    actor = actor.replace("~", "/").lower()
    return next((shape for shape in APIFY_SHAPES if shape.fits(actor, item or {})), None)


def _lookup(item: object, steps: tuple[str, ...]) -> object:
    value = item
    for part in steps:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit():
            index = int(part)
            value = value[index] if index < len(value) else None
        else:
            return None
    return value


def cell_text(value: object) -> str:
    """A JSON value as one text cell: numbers and text as they are, a list of plain values joined, anything else
    nested as JSON text (kept, never lost)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(entry, str | int | float) for entry in value):
        return "; ".join(str(entry) for entry in value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def first_value(item: dict, paths: tuple[tuple[str, ...], ...]) -> str:
    """The first non-empty value at these paths (each split at its dots), as text."""
    for steps in paths:
        # A top-level key (most of them) is read directly.
        value = item.get(steps[0]) if len(steps) == 1 else _lookup(item, steps)
        text = (value if isinstance(value, str) else cell_text(value)).strip()
        if text:
            return text
    return ""
