"""Small pure functions that clean one value each: emails, domains, websites, phones, names, companies, LinkedIn URLs.

Shared by CSV import, forms, the admin and every lead source, so they are called once per cell of a
100,000-row import: anything that depends only on a domain, a company or a name is cached, and the
heavy objects (the suffix list, compiled patterns) are built once.

Conventions:
- A blank cell, or a placeholder such as "n/a", "-" or "none", gives "" for the email, phone, website,
  domain and LinkedIn functions: a missing value is not an error, the caller decides what is required.
- A value that is present but wrong raises NormalizeError, whose message is a short reason for a person.
- Cells re-imported from our own exports may start with the "'" that guards formulas; it is removed.

One module per subject: text (NormalizeError, trimming, free text), domains, emails, web (websites and
LinkedIn), phones and names (people and companies). Import from here.
"""

from crm.normalize.emails import (
    company_domain_from_email,
    email_canonical,
    email_domain,
    email_normalize,
    is_disposable_mail,
    is_free_mail,
)
from crm.normalize.names import company_key, name_capitalize, name_split, person_key
from crm.normalize.phones import phone_e164
from crm.normalize.text import NormalizeError, text_clean
from crm.normalize.web import domain_from_url, linkedin_canonical, linkedin_slug, website_normalize

__all__ = [
    "NormalizeError",
    "company_domain_from_email",
    "company_key",
    "domain_from_url",
    "email_canonical",
    "email_domain",
    "email_normalize",
    "is_disposable_mail",
    "is_free_mail",
    "linkedin_canonical",
    "linkedin_slug",
    "name_capitalize",
    "name_split",
    "person_key",
    "phone_e164",
    "text_clean",
    "website_normalize",
]
