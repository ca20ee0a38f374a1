"""Which company a lead works for: the one rule that forms, the admin, admin imports and file imports all follow.

A company is found by its domain (from the lead's website, else from a work email address), then by its cleaned
name key (`Company.name_key`: "Acme Inc" and "ACME" are both "acme"); of several such companies the oldest wins.
Only when neither finds one, and a name was given, is a company created.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Min, QuerySet

from crm.lookups import OneOf
from crm.models import Company
from crm.normalize import NormalizeError, company_domain_from_email, company_key, domain_from_url, social_domain


def companies_oldest_by(domains: Iterable[str], keys: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]:
    """({domain: pk}, {name key: pk}) of the oldest company with each domain and each name key (blanks ignored).

    One grouped query each, whatever the number of values: in a big database one name key can be shared by hundreds
    of companies, and only the oldest is read."""
    domains = {domain for domain in domains if domain}
    keys = {key for key in keys if key}
    by_domain = _oldest(Company.objects.filter(OneOf(F("domain"), domains)), "domain")
    by_key = _oldest(Company.objects.filter(OneOf(F("name_key"), keys)), "name_key")
    return by_domain, by_key


def _oldest(companies: QuerySet[Company], column: str) -> dict[str, int]:
    """{value: pk of the oldest company with it}, by one grouped query."""
    grouped = companies.order_by().values(column).annotate(oldest=Min("pk"))
    return dict(grouped.values_list(column, "oldest"))


def company_pick(by_domain: dict[str, int], by_key: dict[str, int], *, domain: str, key: str) -> int | None:
    """The company a domain and a name key mean, from companies_oldest_by's answer: the domain's, else the key's."""
    return (by_domain.get(domain) if domain else None) or (by_key.get(key) if key else None)


def company_domain_of(*, website: str = "", email: str = "") -> str:
    """The registrable domain that says where a lead works: its website's, else its work address's ("" for free
    mail such as gmail.com, or for a value that is no address at all)."""
    # A page on a social network (a lead's LinkedIn typed as its website) says nothing of where the lead works.
    domain = domain_from_url(website) if website and not social_domain(website) else ""
    if not domain and email:
        try:
            domain = company_domain_from_email(email)
        except NormalizeError:
            domain = ""
    return domain


def company_find(*, name: str = "", domain: str = "") -> Company | None:
    """The company this name and domain mean, if there is one."""
    domain = domain.strip().lower()
    key = company_key(name) if name.strip() else ""
    pk = company_pick(*companies_oldest_by([domain], [key]), domain=domain, key=key)
    return Company.objects.get(pk=pk) if pk else None


def company_find_or_create(*, name: str, domain: str = "") -> Company | None:
    """The company this name and domain mean, created when there is none; None when neither finds one and the name
    is blank (a domain alone does not make a company)."""
    name = " ".join(name.split())[: Company._meta.get_field("name").max_length]
    domain = domain.strip().lower()
    company = company_find(name=name, domain=domain)
    if company is not None or not name:
        return company
    # As the importer creates them (crm.importing.writer): the domain kept, its site as the website.
    return Company.objects.create(name=name, domain=domain, website=f"https://{domain}" if domain else "")


def company_for_lead(*, name: str = "", website: str = "", email: str = "") -> Company | None:
    """The company of a lead with this company name, website and email address: found by the rule, or created."""
    return company_find_or_create(name=name or "", domain=company_domain_of(website=website or "", email=email or ""))
