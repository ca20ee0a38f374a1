"""Small pure functions that clean one value each: emails, domains, websites, phones, names, companies, LinkedIn URLs.

Shared by CSV import, forms, the admin and every lead source, so they are called once per cell of a
100,000-row import: anything that depends only on a domain, a company or a name is cached, and the
heavy objects (the suffix list, compiled patterns) are built once.

Conventions:
- A blank cell, or a placeholder such as "n/a", "-" or "none", gives "" for the email, phone, website,
  domain and LinkedIn functions: a missing value is not an error, the caller decides what is required.
- A value that is present but wrong raises NormalizeError, whose message is a short reason for a person.
- Cells re-imported from our own exports may start with the "'" that guards formulas; it is removed.

One module per subject: text (NormalizeError, trimming, placeholders, free text), domains, countries (a row's
country or domain as a phone region), emails, web (websites, social pages and LinkedIn), phones and names
(people and companies). Import from here.
"""

from crm.normalize.countries import country_region, domain_region, region_names
from crm.normalize.emails import (
    company_domain_from_email,
    email_canonical,
    email_domain,
    email_domain_typo,
    email_normalize,
    email_split,
    is_disposable_mail,
    is_free_mail,
)
from crm.normalize.names import company_key, name_capitalize, name_split, person_key
from crm.normalize.phones import phone_e164, phone_split
from crm.normalize.text import NormalizeError, is_placeholder, text_clean, text_fit, time_zone_name, time_zone_names
from crm.normalize.web import domain_from_url, linkedin_canonical, linkedin_slug, social_domain, website_normalize

__all__ = [
    "NormalizeError",
    "company_domain_from_email",
    "company_key",
    "country_region",
    "domain_from_url",
    "domain_region",
    "email_canonical",
    "email_domain",
    "email_domain_typo",
    "email_normalize",
    "email_split",
    "is_disposable_mail",
    "is_free_mail",
    "is_placeholder",
    "linkedin_canonical",
    "linkedin_slug",
    "name_capitalize",
    "name_split",
    "person_key",
    "phone_e164",
    "phone_split",
    "region_names",
    "social_domain",
    "text_clean",
    "text_fit",
    "time_zone_name",
    "time_zone_names",
    "website_normalize",
]
