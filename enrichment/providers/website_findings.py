"""A company site's cached facts turned into one lead's findings.

Confidence follows how the site said it: schema.org data is written for machines and names its fields (85-90),
meta tags and links are chosen by the site's owner (70-85), text read by heuristics may be anything (50-60).
A lead's own email, phone and LinkedIn profile count only when the site ties them to the lead's name.
"""

from __future__ import annotations

import re

from crm.matching import ROLE_MAILBOXES
from crm.normalize import NormalizeError, domain_from_url, linkedin_slug, person_key, phone_e164
from enrichment.models import ProviderAnswer
from enrichment.providers.base import COMPANY, EMAIL, LINKEDIN, PHONE, Finding, LeadFacts
from enrichment.providers.website_extract import social_link

_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—·:]\s+")
_GENERIC_TITLES = frozenset({"home", "homepage", "home page", "welcome", "startseite", "accueil", "inicio", "start"})


def _first(values):
    return next((value for value in values if value), None)


def _organization(pages: list[dict]) -> dict:
    """The site's organisation: the first one named (the home page comes first), its gaps filled from later ones."""
    merged: dict = {}
    for page in pages:
        for organization in page["organizations"]:
            for key, value in organization.items():
                merged.setdefault(key, value)
    return merged


def _name_from_title(title: str, domain: str) -> str:
    parts = [part.strip() for part in _TITLE_SEPARATORS.split(title) if part.strip()]
    parts = [part for part in parts if part.lower() not in _GENERIC_TITLES]
    label = domain.partition(".")[0].lower()
    return _first(part for part in parts if label and label in part.lower().replace(" ", "")) or _first(parts) or ""


def _phone(value: str, region: str) -> str:
    try:
        return phone_e164(value, region or None)
    except (NormalizeError, ValueError):
        return ""


def _local_part_patterns(first: str, last: str) -> set[str]:
    """The local parts a person's own address usually has (jane.doe, jdoe, jane, doe.jane ...)."""
    firsts, lasts = person_key(first, "").split(), person_key("", last).split()
    if not firsts or not lasts:
        return set()
    f, l = firsts[0], "".join(lasts)  # noqa: E741 (f and l read as first and last, as in the patterns)
    return {
        f"{f}.{l}", f"{f}{l}", f"{f[0]}{l}", f"{f[0]}.{l}", f"{f}_{l}", f"{f}-{l}", f"{l}.{f}", f"{l}{f}",
        f"{l}{f[0]}", f"{f}.{l[0]}", f"{f}{l[0]}", f, l,
    }  # fmt: skip


def _is_company_mail(address: str, domains: set[str]) -> bool:
    return (
        not domains or address.rpartition("@")[2] in domains or domain_from_url(address.rpartition("@")[2]) in domains
    )


def site_findings(
    site: dict, facts: LeadFacts, wanted: frozenset[str], *, answer: ProviderAnswer | None, source: str
) -> list[Finding]:
    """One lead's findings from a site's facts (as read_site gives them)."""
    pages: list[dict] = site["pages"]
    region = site.get("region", "")
    organization = _organization(pages)
    domains = {
        domain for domain in (facts.domain, domain_from_url(site["url"]), domain_from_url(facts.website)) if domain
    }
    findings: list[Finding] = []

    def found(field: str, value: str, confidence: int, **detail) -> None:
        if value:
            findings.append(Finding(field, value, confidence, source, detail=detail, answer=answer))

    emails = [(entry["email"], entry["how"], page["url"]) for page in pages for entry in page["emails"]]
    phones = [(entry["phone"], entry["how"]) for page in pages for entry in page["phones"]]
    people = [person for page in pages for person in page["people"]]
    lead_key = person_key(facts.first_name, facts.last_name) if facts.first_name and facts.last_name else ""
    lead_card = next(
        (person for person in people if person_key(person["first_name"], person["last_name"]) == lead_key), None
    )

    if COMPANY in wanted:
        home = pages[0]
        if organization.get("name"):
            found("company.name", organization["name"], 90, how="schema.org")
        elif home["site_name"]:
            found("company.name", home["site_name"], 75, how="og:site_name")
        else:
            found(
                "company.name",
                _name_from_title(home["title"], facts.domain or domain_from_url(site["url"])),
                50,
                how="title",
            )

        description = [
            (organization.get("description", ""), 85, "schema.org"),
            (home["description"], 75, "meta description"),
            (home["og_description"], 70, "og:description"),
        ]
        value, confidence, how = _first(entry for entry in description if entry[0]) or ("", 0, "")
        found("company.description", value[:1000], confidence, how=how)

        schema_phone = _phone(organization.get("telephone", ""), region)
        tel = _first(phone for phone, how in phones if how == "tel")
        text_phone = _first(phone for phone, how in phones if how == "text")
        if schema_phone:
            found("company.phone", schema_phone, 90, how="schema.org")
        elif tel:
            found("company.phone", tel, 80, how="tel link")
        elif text_phone:
            found("company.phone", text_phone, 60, how="text")

        role_emails = [
            (address, how) for address, how, _ in emails
            if address.partition("@")[0] in ROLE_MAILBOXES and _is_company_mail(address, domains)
        ]  # fmt: skip
        if organization.get("email"):
            found("company.email", organization["email"].lower(), 90, how="schema.org")
        elif role_emails:
            address, how = role_emails[0]
            found("company.email", address, 80 if how == "mailto" else 70, how=how)

        same_as = [social_link(url) for url in organization.get("same_as", [])]
        schema_linkedin = _first(url for network, url in same_as if network == "linkedin_company")
        page_linkedin = _first(url for page in pages for url in page["company_linkedin"])
        if schema_linkedin:
            found("company.linkedin_url", schema_linkedin, 90, how="schema.org sameAs")
        elif page_linkedin:
            found("company.linkedin_url", page_linkedin, 85, how="link")

        address = organization.get("address", {})
        found("company.location", address.get("line", ""), 85, **address)
        found("company.size", organization.get("employees", ""), 80, how="schema.org numberOfEmployees")
        if organization.get("industry"):
            found("company.industry", organization["industry"], 75, how="schema.org industry")
        else:
            found("company.industry", organization.get("type_industry", ""), 50, how="schema.org type")

        technologies = list(dict.fromkeys(name for page in pages for name in page["technologies"]))
        found("company.technologies", ", ".join(technologies), 70, technologies=technologies)

        social: dict[str, str] = {}
        for network, url in same_as:
            if network and not network.startswith("linkedin"):
                social.setdefault(network, url)
        for page in pages:
            for network, url in page["social"].items():
                social.setdefault(network, url)
        if social:
            findings.append(
                Finding("company.social", ", ".join(social.values()), 80, source, detail=social, answer=answer)
            )

    patterns = _local_part_patterns(facts.first_name, facts.last_name)
    if EMAIL in wanted and patterns:
        card_email = lead_card["email"] if lead_card else ""
        candidates = [card_email] + [address for address, _, _ in emails] + [person["email"] for person in people]
        own = _first(
            address for address in candidates
            if address and address.partition("@")[0] in patterns and _is_company_mail(address, domains)
        )  # fmt: skip
        # Status "": the site says the address exists, nothing proved it delivers; the waterfall reads it as a guess.
        found("email", own or "", 70, how="named on the website")

    if PHONE in wanted and lead_card and lead_card["phone"]:
        found("phone", lead_card["phone"], 75, how="team page", page_url=lead_card["page_url"])

    if LINKEDIN in wanted and lead_key:
        if lead_card and lead_card["linkedin_url"]:
            found("linkedin_url", lead_card["linkedin_url"], 80, how="team page", page_url=lead_card["page_url"])
        else:
            # A profile linked from the site whose address spells the lead's name: likely, not certain.
            name_slug = "-".join(lead_key.split())
            profile = _first(
                url for page in pages for url in page["people_linkedin"] if linkedin_slug(url).startswith(name_slug)
            )
            found("linkedin_url", profile or "", 65, how="link whose address spells the name")

    # The other people of the team pages are new contacts: company enrichment, not the lead's own fields.
    for person in people if COMPANY in wanted else []:
        if person is lead_card or person_key(person["first_name"], person["last_name"]) == lead_key:
            continue
        detail = {
            key: person[key]
            for key in ("first_name", "last_name", "title", "email", "phone", "linkedin_url", "page_url")
        }
        # schema.org people were written down as people; card heuristics can mistake a heading for a name.
        found("person", person["full_name"], 70 if person["how"] == "schema" else 60, **detail)
    return _unique(findings)


def _unique(findings: list[Finding]) -> list[Finding]:
    """One finding per (field, value): the people of a site's several pages are often the same people."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for finding in findings:
        key = (finding.field, finding.value.lower())
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept
