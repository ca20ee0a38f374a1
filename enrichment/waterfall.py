"""The waterfall: ask the enabled sources in order for what a lead is missing, stop once a value is sure enough, and
keep every value found with where it came from.

Asking (network, no transaction) and keeping (one transaction per lead) are two steps, so that a job can ask for
several leads at once and still write each lead alone.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from crm.companies import company_domain_of
from crm.normalize import country_region, social_domain
from enrichment.config import waterfall_settings
from enrichment.models import EnrichmentJob, ProviderAnswer
from enrichment.providers.base import (
    COMPANY,
    EMAIL,
    LINKEDIN,
    PHONE,
    WANTED_FIELDS,
    Finding,
    KeyRejected,
    LeadFacts,
    OutOfCredits,
    ProviderFailed,
)
from enrichment.providers.phone import phone_facts
from enrichment.sources import SOURCES

logger = logging.getLogger(__name__)

# The lead attribute each wanted field fills ("company" fills the company's facts).
LEAD_ATTRIBUTE = {EMAIL: "email", PHONE: "phone", LINKEDIN: "linkedin_url"}


def finding_wanted_field(finding: Finding) -> str:
    """Which wanted field a finding answers: "email", "phone", "linkedin", "company", or "" (extras: time zone,
    people on a team page)."""
    if finding.field.startswith("company."):
        return COMPANY
    return {"email": EMAIL, "phone": PHONE, "linkedin_url": LINKEDIN}.get(finding.field, "")


def finding_sure(finding: Finding, threshold: int) -> bool:
    """Whether a value is sure enough to stop asking for its field. An email must also have verified as valid:
    a guess (catch-all, unknown, or an address merely seen on a page) never counts, however likely."""
    if finding.confidence < threshold:
        return False
    return finding.status == "valid" if finding.field == "email" else finding.status != "invalid"


def lead_facts(lead, *, replacing: frozenset[str] = frozenset()) -> LeadFacts:
    """What sources are told of a lead; fields being replaced (a job with overwrite) are left out, so that sources
    search for them afresh instead of checking the old value."""
    company = lead.company
    website = lead.website or (company.website if company else "")
    if social_domain(website):
        website = ""  # a social page is read by no source as the company's site
    domain = (company.domain if company else "") or company_domain_of(website=website, email=lead.email)
    return LeadFacts(
        first_name=lead.first_name,
        last_name=lead.last_name,
        company=company.name if company else "",
        domain=domain,
        website=website,
        email="" if EMAIL in replacing else lead.email,
        phone="" if PHONE in replacing else lead.phone,
        linkedin_url="" if LINKEDIN in replacing else lead.linkedin_url,
        region=country_region(lead.location) or settings.PHONE_DEFAULT_REGION,
        lead_id=lead.pk,
    )


def lead_has(lead, wanted: str) -> bool:
    if wanted == COMPANY:
        return bool(lead.company_id and lead.company.description)
    return bool(getattr(lead, LEAD_ATTRIBUTE[wanted]))


def month_credits_spent() -> Decimal:
    start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    spent = ProviderAnswer.objects.filter(created_at__gte=start, credits__gt=0).aggregate(total=Sum("credits"))
    return spent["total"] or Decimal(0)


@dataclass
class WaterfallRun:
    """What holds across the leads of one job: the plan, and the sources it stopped asking (a rejected key, no
    credits left)."""

    fields: frozenset[str]
    sources: list[str]
    thresholds: dict[str, int]
    overwrite: bool = False
    credit_cap: int = 0
    stopped: dict[str, str] = field(default_factory=dict)
    # Answers this job has counted in its credits (ids), so that reusing one never counts it twice.
    counted_answers: set[int] = field(default_factory=set)

    @classmethod
    def plan(cls, *, fields: list[str] | None = None, sources: list[str] | None = None, overwrite: bool = False):
        """The site's order of enabled sources, limited to `sources` when given, for `fields` (default: all)."""
        config = waterfall_settings()
        wanted = frozenset(fields or WANTED_FIELDS) & frozenset(WANTED_FIELDS)
        order = [name for name in config.source_order if name in SOURCES and name in config.sources_enabled]
        if sources:
            order = [name for name in order if name in sources]
        thresholds = {name: int(config.thresholds.get(name, 80)) for name in WANTED_FIELDS}
        return cls(wanted, order, thresholds, overwrite, config.monthly_credit_cap)

    @classmethod
    def for_job(cls, job: EnrichmentJob) -> WaterfallRun:
        return cls.plan(fields=job.fields, sources=job.sources, overwrite=job.overwrite)

    def paid_allowed(self, name: str) -> str:
        """Why a paid source may not be asked now ("" when it may)."""
        if name in self.stopped:
            return self.stopped[name]
        if not SOURCES[name].available():
            return f"{SOURCES[name].label}: no API key"
        if self.credit_cap and month_credits_spent() >= self.credit_cap:
            return "monthly credit cap reached"
        return ""


@dataclass
class Asked:
    """What the sources said of one lead: every finding, and why any source failed."""

    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sources_asked: list[str] = field(default_factory=list)


def lead_ask(facts: LeadFacts, *, has: set[str], run: WaterfallRun) -> Asked:
    """Ask each source in order for what the lead lacks (a paid one only for that), free ones also to check what it
    has, until every wanted field holds a sure value. Touches no lead: the caller keeps what was found."""
    asked = Asked()
    missing = {name for name in run.fields if run.overwrite or name not in has}
    to_check = set(run.fields) - missing
    for name in run.sources:
        source = SOURCES[name]
        # A paid source is asked for what the lead lacks, and to verify its email when no free source could (a
        # catch-all domain, a greylisting server); the free ones also check what the lead has.
        checks = to_check & {EMAIL} if source.paid else to_check
        wanted = frozenset((missing | checks) & source.fields)
        if not wanted:
            continue
        if source.paid:
            refused = run.paid_allowed(name)
            if refused:
                asked.problems.append(refused)
                continue
        try:
            found = source.find(facts, wanted)
        except KeyRejected as exc:
            run.stopped[name] = str(exc)
            asked.problems.append(f"{source.label}: {exc}")
            continue
        except OutOfCredits as exc:
            run.stopped[name] = str(exc)
            asked.problems.append(f"{source.label}: {exc}")
            continue
        except ProviderFailed as exc:
            asked.problems.append(f"{source.label}: {exc}")
            continue
        except Exception as exc:  # a source's own bug fails this lead at this source, never the job
            logger.exception("Enrichment source %s failed on lead %s", name, facts.lead_id)
            asked.problems.append(f"{source.label}: failed unexpectedly ({exc.__class__.__name__})")
            continue
        asked.sources_asked.append(name)
        asked.findings.extend(found)
        for finding in found:
            answered = finding_wanted_field(finding)
            if answered and finding_sure(finding, run.thresholds[answered]):
                missing.discard(answered)
                to_check.discard(answered)
        if not missing and not to_check:
            break
    _phones_described(asked, facts.region)
    return asked


def _phones_described(asked: Asked, region: str) -> None:
    """Numbers other sources found get the phone source's facts too (E.164, line type, do-not-call): free, offline."""
    for finding in asked.findings:
        if finding.field != PHONE or finding.source == "phone":
            continue
        try:
            facts = phone_facts(finding.value, region)
        except ProviderFailed:
            continue  # not a number libphonenumber reads: kept as the source gave it, never marked sure
        finding.value = facts["e164"]
        finding.status = "do-not-call" if facts["do_not_call"] else facts["type"]
        finding.detail = {**finding.detail, **facts}


def credits_of(findings: list[Finding], since, counted: set[int]) -> Decimal:
    """Credits the answers behind these findings cost: only answers bought after `since` (a cached answer cost
    nothing this time) and not yet in `counted` (the answers this job has already paid for, which other leads of the
    same company reuse); the answers counted here join it."""
    answers = {finding.answer.pk: finding.answer for finding in findings if finding.answer is not None}
    bought = [answer for pk, answer in answers.items() if answer.created_at >= since and pk not in counted]
    counted.update(answer.pk for answer in bought)
    return sum((answer.credits for answer in bought), Decimal(0))


def findings_counts(findings: list[Finding], applied: set[str]) -> Counter:
    """The job's breakdown for one lead."""
    counts = Counter()
    emails = [f for f in findings if f.field == "email"]
    if emails:
        counts["emails_found"] += 1
    if any(f.status == "valid" for f in emails):
        counts["emails_verified"] += 1
    phones = [f for f in findings if f.field == "phone"]
    if phones:
        counts["phones_found"] += 1
    if any(f.status == "mobile" for f in phones):
        counts["phones_mobile"] += 1
    if any(f.field == "linkedin_url" for f in findings):
        counts["linkedin_found"] += 1
    if "company" in applied:
        counts["companies_enriched"] += 1
    return counts
