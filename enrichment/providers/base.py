"""What every enrichment source takes and gives: the facts known of a lead, and the values it found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from enrichment.models import ProviderAnswer

# The fields a job may ask for, and the lead or company attributes each fills.
EMAIL = "email"
PHONE = "phone"
LINKEDIN = "linkedin"
COMPANY = "company"
WANTED_FIELDS = (EMAIL, PHONE, LINKEDIN, COMPANY)


@dataclass(frozen=True)
class LeadFacts:
    """What is known of one lead when a source is asked: plain values, so that a source never touches the ORM's
    lead (and never writes it)."""

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    # The company's registered domain (acme.com), from its website, its domain or the lead's work email.
    domain: str = ""
    website: str = ""
    email: str = ""
    phone: str = ""
    linkedin_url: str = ""
    # ISO 3166 region for reading a national phone number (from the lead's location, else the site default).
    region: str = ""
    lead_id: int | None = None


@dataclass
class Finding:
    """One value a source found for one field, with how sure it is.

    `field` names what the value is: "email", "phone", "linkedin_url", "time_zone", "company.<attribute>" (name,
    website, description, industry, size, location, phone, linkedin_url, technologies, social) or "person" (someone
    named on a company's team page; `detail` holds first_name, last_name, title, email, linkedin_url).
    `status` is the source's verdict where it has one: an email's valid / invalid / catch-all / unknown /
    disposable / role, a phone's mobile / fixed_line / voip / ...
    """

    field: str
    value: str
    confidence: int
    source: str
    status: str = ""
    detail: dict = field(default_factory=dict)
    # The stored raw answer this came from (a saved ProviderAnswer), if any.
    answer: ProviderAnswer | None = None


class ProviderFailed(Exception):
    """This lead's lookup at this source failed (after its retries): recorded as the lead's outcome; the job goes
    on with the next source and the next lead."""


class KeyRejected(ProviderFailed):
    """The provider refused the API key: no further lead of the job asks it."""


class OutOfCredits(ProviderFailed):
    """The provider (or the site's monthly cap) has no credits left: paid lookups stop, free sources carry on."""
