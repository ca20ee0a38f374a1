"""schema.org data on a company page (JSON-LD and microdata, read with extruct) turned into plain organisations and
people. Pure functions over one page's markup: nothing here fetches."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import extruct

logger = logging.getLogger(__name__)

# Types that are an organisation whatever they hold; any other type holding an address, a telephone or sameAs
# links counts too (LocalBusiness alone has hundreds of subtypes: Dentist, Plumber, AutoDealer ...).
ORGANIZATION_TYPES = frozenset(
    {"Organization", "Corporation", "LocalBusiness", "NGO", "OnlineBusiness", "OnlineStore", "ProfessionalService"}
)
# Types that carry an address or a telephone but are not the company.
NOT_ORGANIZATION_TYPES = frozenset(
    {
        "Person", "WebSite", "WebPage", "AboutPage", "ContactPage", "PostalAddress", "ContactPoint", "Place",
        "GeoCoordinates", "ImageObject", "BreadcrumbList", "ListItem", "ItemList", "Offer", "Product", "Event",
        "Article", "BlogPosting", "NewsArticle", "Review", "Rating", "AggregateRating", "SearchAction", "Brand",
        "FAQPage", "Question", "Answer", "VideoObject", "JobPosting", "QuantitativeValue", "OpeningHoursSpecification",
    }
)  # fmt: skip
_GENERIC_ORGANIZATION_TYPES = frozenset({"Organization", "Corporation", "LocalBusiness", "OnlineBusiness"})
_WORDS_OF_TYPE = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _type_names(item: dict) -> list[str]:
    """ "@type" as short names: "http://schema.org/Organization" and ["Organization"] both give ["Organization"]."""
    types = item.get("@type") or []
    types = types if isinstance(types, list) else [types]
    return [str(name).rstrip("/").rpartition("/")[2] for name in types if name]


def _walk(value) -> Iterator[dict]:
    """Every typed object in a JSON-LD or microdata tree, nested ones (an organisation's employees) included."""
    if isinstance(value, list):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        if "@type" in value:
            yield value
        for key, item in value.items():
            if key != "@context":
                yield from _walk(item)


def _text(value) -> str:
    """A property as one line of text: the first of a list, the name or value of an object."""
    if isinstance(value, list):
        value = next((item for item in value if item), "")
    if isinstance(value, dict):
        value = value.get("name") or value.get("value") or value.get("@id") or ""
    return " ".join(str(value).split()) if value not in (None, "") else ""


def _texts(value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [text for text in (_text(item) for item in values) if text]


def _address(value) -> dict:
    """A PostalAddress (or a plain string) as its parts and one line."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if not isinstance(value, dict):
        return {"line": _text(value)} if _text(value) else {}
    parts = {
        key: _text(value.get(key))
        for key in ("streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry")
    }
    parts = {key: text for key, text in parts.items() if text}
    order = ("streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry")
    return {**parts, "line": ", ".join(parts[key] for key in order if key in parts)} if parts else {}


def _employees(value) -> str:
    """numberOfEmployees as written: 120, "51-200" or a QuantitativeValue with a value or a range."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        if value.get("value") not in (None, ""):
            return _text(value.get("value"))
        low, high = _text(value.get("minValue")), _text(value.get("maxValue"))
        return f"{low}-{high}" if low and high else low or (f"up to {high}" if high else "")
    return _text(value)


def _email(value) -> str:
    return _text(value).removeprefix("mailto:").strip()


def _is_organization(item: dict, types: list[str]) -> bool:
    if any(name in ORGANIZATION_TYPES for name in types):
        return True
    if any(name in NOT_ORGANIZATION_TYPES for name in types):
        return False
    return bool(_text(item.get("name"))) and any(item.get(key) for key in ("address", "telephone", "sameAs"))


def _organization(item: dict, types: list[str]) -> dict:
    contact = item.get("contactPoint")
    contact = (contact[0] if contact else {}) if isinstance(contact, list) else contact
    contact = contact if isinstance(contact, dict) else {}
    specific = [name for name in types if name not in _GENERIC_ORGANIZATION_TYPES]
    organization = {
        "name": _text(item.get("name")) or _text(item.get("legalName")),
        "description": _text(item.get("description")),
        "telephone": _text(item.get("telephone")) or _text(contact.get("telephone")),
        "email": _email(item.get("email")) or _email(contact.get("email")),
        "url": _text(item.get("url")),
        "address": _address(item.get("address") or item.get("location")),
        "same_as": _texts(item.get("sameAs")),
        "employees": _employees(item.get("numberOfEmployees")),
        "industry": _text(item.get("industry")),
        # A LocalBusiness subtype says what trade the company is in ("AccountingService" -> "Accounting service").
        "type_industry": _WORDS_OF_TYPE.sub(" ", specific[0]).capitalize() if specific else "",
    }
    return {key: value for key, value in organization.items() if value}


def _person(item: dict) -> dict:
    name = _text(item.get("name")) or " ".join(
        part for part in (_text(item.get("givenName")), _text(item.get("familyName"))) if part
    )
    person = {
        "name": name,
        "title": _text(item.get("jobTitle")),
        "email": _email(item.get("email")),
        "phone": _text(item.get("telephone")),
        "same_as": _texts(item.get("sameAs")) + _texts(item.get("url")),
    }
    return {key: value for key, value in person.items() if value}


def _json_ld_items(blocks: list[str]) -> list:
    """Each <script type="application/ld+json"> block read on its own: extruct drops every block of a page when one
    is broken, and broken blocks are common (trailing commas, template placeholders)."""
    items = []
    for block in blocks:
        try:
            items.append(json.loads(block, strict=False))
        except ValueError:
            continue
    return items


def _microdata_items(html: str, url: str) -> list:
    try:
        return extruct.extract(html, base_url=url, syntaxes=["microdata"], uniform=True)["microdata"]
    except Exception:  # noqa: BLE001 (hostile markup may break the library in any way; the rest of the page stands)
        logger.info("microdata unreadable on %s", url)
        return []


def structured_data(html: str, url: str, json_ld_blocks: list[str]) -> tuple[list[dict], list[dict]]:
    """The organisations and people a page describes in schema.org terms, JSON-LD first, then microdata."""
    organizations: list[dict] = []
    people: list[dict] = []
    for item in _walk(_json_ld_items(json_ld_blocks) + _microdata_items(html, url)):
        types = _type_names(item)
        if "Person" in types:
            person = _person(item)
            if person.get("name"):
                people.append(person)
        elif _is_organization(item, types):
            organization = _organization(item, types)
            if organization.get("name"):
                organizations.append(organization)
    return organizations, people
