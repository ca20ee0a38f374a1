"""Hunter.io as an enrichment source, through its v2 REST API (https://hunter.io/api-documentation/v2).

Four endpoints: the email finder (a person's address from a name and a domain), the email verifier, the domain
search (a company's facts and its address pattern) and the account (plan and credits, free). Every answer is kept as
a ProviderAnswer and read back from there while it is fresh, so the same lead or domain asked again spends nothing.
The client never writes a lead or a company: it returns Findings, the waterfall decides what to keep.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable
from decimal import Decimal

import requests
from django.conf import settings

from crm.normalize import NormalizeError, email_normalize, linkedin_canonical, phone_e164, text_fit, website_normalize
from enrichment.answers import answer_cached, answer_record
from enrichment.models import ProviderAccount, ProviderAnswer
from enrichment.providers.base import (
    COMPANY,
    EMAIL,
    LINKEDIN,
    PHONE,
    Finding,
    KeyRejected,
    LeadFacts,
    OutOfCredits,
    ProviderFailed,
)
from enrichment.providers.hunter_answers import (
    AccountUsage,
    DomainFacts,
    FoundEmail,
    Unreadable,
    Verification,
    error_details,
    parse_account,
    parse_domain_facts,
    parse_found_email,
    parse_verification,
)
from leadflow.http import BlockedAddress, ResponseTooLarge, http_session
from leadflow.secrets import SecretUnreadable

logger = logging.getLogger(__name__)

SOURCE = "hunter"
FINDER, VERIFIER, DOMAIN_SEARCH, ACCOUNT = "email-finder", "email-verifier", "domain-search", "account"

# What each call costs, from Hunter's credit rules (https://help.hunter.io/en/articles/1911617-how-do-credits-work-in-hunter):
# an email found by the finder 1 credit, an email verified 0.5, a domain search 1 for every 1 to 10 addresses it
# returns, the account nothing; "no credits are used if Hunter can't find or verify an email". The estimate shown
# before a job counts the most a call can cost; the answer rows carry what each call did cost.
CREDITS_PER_CALL = {FINDER: Decimal("1"), VERIFIER: Decimal("0.5"), DOMAIN_SEARCH: Decimal("1"), ACCOUNT: Decimal("0")}
# One credit buys up to ten addresses, so ten it is: the company facts come with the first page whatever its size.
DOMAIN_SEARCH_LIMIT = 10
# Hunter gives no confidence for a company's profile; it is curated data about the domain the lead's company owns.
COMPANY_CONFIDENCE = 80
# Verifications Hunter does not charge: it could not tell, or it skips webmail and disposable addresses (same page).
FREE_VERIFICATIONS = frozenset({"unknown", "webmail", "disposable"})
UNREADABLE = "Hunter sent an answer that could not be read"
# Hunter's documented codes: 403 is its per-second rate limit (wait and ask again), 429 its usage limit. Both are
# retried with backoff (Retry-After honoured when sent): a 429 may also be a passing throttle, and only when it
# holds, and says the usage limit is reached, are the plan's credits taken as gone (OutOfCredits).
RETRIED_STATUSES = (403, 429, 500, 502, 503, 504)
USAGE_LIMIT_WORDS = ("usage limit", "usage_limit", "upgrade your plan", "credits")


def hunter_api_key() -> str:
    """The key to call Hunter with: HUNTER_API_KEY from the environment, else the enabled saved account's, else ""."""
    if settings.HUNTER_API_KEY:
        return settings.HUNTER_API_KEY
    try:
        account = ProviderAccount.objects.filter(provider=ProviderAccount.Provider.HUNTER, enabled=True).first()
    except SecretUnreadable:
        logger.warning("The saved Hunter key cannot be decrypted with the current SECRET_KEY; Hunter is off.")
        return ""
    return account.api_key if account else ""


def hunter_available() -> bool:
    """Whether Hunter can be asked at all (a key is set): without one the waterfall skips it."""
    return bool(hunter_api_key())


def _finder_wanted(wanted: frozenset[str], lead_has_email: bool) -> bool:
    # The finder's answer about a person also carries their LinkedIn profile and phone.
    return (EMAIL in wanted and not lead_has_email) or bool(wanted & {LINKEDIN, PHONE})


def hunter_credit_estimate(wanted: frozenset[str], lead_has_email: bool) -> Decimal:
    """The most one lead can cost at Hunter for these fields (cached answers and misses cost less)."""
    cost = Decimal(0)
    if _finder_wanted(wanted, lead_has_email):
        cost += CREDITS_PER_CALL[FINDER]
    if EMAIL in wanted and lead_has_email:
        cost += CREDITS_PER_CALL[VERIFIER]
    if COMPANY in wanted:
        cost += CREDITS_PER_CALL[DOMAIN_SEARCH]
    return cost


class HunterClient:
    """Calls Hunter's v2 endpoints through the guarded session and turns every failure into a ProviderFailed."""

    def __init__(self, api_key: str):
        self._api_key = api_key

    def get(self, endpoint: str, params: dict[str, str | int]) -> dict:
        """Hunter's JSON answer for one call (a found-nothing 404 included), or ProviderFailed with why."""
        url = f"{settings.HUNTER_BASE_URL.rstrip('/')}/{endpoint}"
        try:
            with http_session(rate_per_host=settings.HUNTER_RATE_PER_SECOND) as session:
                adapter = session.get_adapter(url)
                adapter.max_retries = adapter.max_retries.new(status_forcelist=RETRIED_STATUSES, raise_on_status=False)
                # The key goes in Hunter's documented header rather than the query string, so no URL (in a log, an
                # exception, a proxy) ever carries it.
                response = session.get(
                    url, params=params, headers={"X-API-KEY": self._api_key, "Accept": "application/json"}
                )
        except ResponseTooLarge:
            raise ProviderFailed(
                f"Hunter sent an answer too large to read (over {settings.HTTP_MAX_BYTES:,} bytes)."
            ) from None
        except (requests.RequestException, BlockedAddress) as exc:
            logger.info("Hunter %s failed: %s", endpoint, type(exc).__name__)
            raise ProviderFailed(f"Hunter could not be reached ({type(exc).__name__}).") from None
        logger.info("Hunter %s answered %s", endpoint, response.status_code)
        try:
            body = response.json()
        except ValueError:
            body = None
        # The status speaks first: a 5xx page or a proxy's HTML says more by its code than by its body.
        _raise_for_status(response, body if isinstance(body, dict) else {})
        if not isinstance(body, dict):
            raise ProviderFailed(UNREADABLE)
        return body

    def email_finder(self, params: dict[str, str]) -> FoundEmail | None:
        return _parsed(parse_found_email, self.get(FINDER, params))

    def email_verifier(self, email: str) -> Verification | None:
        return _parsed(parse_verification, self.get(VERIFIER, {"email": email}))

    def domain_search(self, domain: str) -> DomainFacts | None:
        return _parsed(parse_domain_facts, self.get(DOMAIN_SEARCH, {"domain": domain, "limit": DOMAIN_SEARCH_LIMIT}))

    def account(self) -> AccountUsage:
        usage = _parsed(parse_account, self.get(ACCOUNT, {}))
        if usage is None:
            raise ProviderFailed(UNREADABLE)
        return usage


def _raise_for_status(response: requests.Response, body: dict) -> None:
    """Hunter's documented error codes (https://hunter.io/api-documentation/v2#errors) as our exceptions."""
    status = response.status_code
    details = error_details(body)
    said = f": {details}" if details else "."
    if status == 200 or (status == 404 and "errors" in body):
        return  # a 404 with Hunter's error list is its way of saying it found nobody
    if status == 401:
        raise KeyRejected("Hunter rejected the API key")
    if status == 429 and any(word in f"{details} {body}".lower() for word in USAGE_LIMIT_WORDS):
        raise OutOfCredits(f"Hunter's usage limit is reached: no credits left until the plan resets{said}")
    if status in (403, 429):
        raise ProviderFailed(f"Hunter's rate limit held after retries (HTTP {status}); this lead is asked again later.")
    if status == 202:
        raise ProviderFailed("Hunter is still verifying this address; it is asked again next time.")
    if status == 222:
        raise ProviderFailed(f"Hunter could not verify this address (the mail server answered oddly){said}")
    if status == 451:
        raise ProviderFailed(f"Hunter will not process this person (the address is claimed by its owner){said}")
    if 400 <= status < 500:
        raise ProviderFailed(f"Hunter refused the request (HTTP {status}){said}")
    if status >= 500:
        raise ProviderFailed(f"Hunter failed (HTTP {status}) and kept failing on retries{said}")
    raise ProviderFailed(UNREADABLE)


def _parsed(parse, body: dict):
    try:
        return parse(body)
    except Unreadable:
        raise ProviderFailed(UNREADABLE) from None


def hunter_test_connection(api_key: str) -> str:
    """A sentence on the account this key opens ("Connected: plan Starter, 120 of 500 credits used, resets
    2026-12-31"), or KeyRejected / ProviderFailed saying what went wrong."""
    if not api_key:
        raise KeyRejected("No Hunter API key is saved.")
    return f"Connected: {HunterClient(api_key).account().summary()}"


def _answer(kind: str, key: str, ask: Callable[[], dict], parse, credits_of) -> tuple[object, ProviderAnswer]:
    """The parsed answer to one question and its stored row: a fresh stored answer, else Hunter's (then stored)."""
    cached = answer_cached(SOURCE, kind, key)
    if cached is not None:
        return _parsed(parse, cached.body), cached
    body = ask()
    result = _parsed(parse, body)  # a body that cannot be read is never kept as the cache
    return result, answer_record(SOURCE, kind, key, body, credits=credits_of(result))


def _finder_params(facts: LeadFacts) -> tuple[dict[str, str], str]:
    first, last = facts.first_name.strip(), facts.last_name.strip()
    params = {"domain": facts.domain.lower()} if facts.domain else {"company": facts.company.strip()}
    if first and last:
        params |= {"first_name": first, "last_name": last}
    elif " " in (first or last):
        params["full_name"] = first or last
    elif first:
        params["first_name"] = first  # Hunter answers what else it needs (400), and that is the lead's outcome
    else:
        params["last_name"] = last
    where = params.get("domain") or f"company={params['company'].lower()}"
    return params, f"{where}|{first.lower()}|{last.lower()}"


def _person_findings(client: HunterClient, facts: LeadFacts, wanted: frozenset[str]) -> list[Finding]:
    params, key = _finder_params(facts)
    found, row = _answer(
        FINDER,
        key,
        lambda: client.get(FINDER, params),
        parse_found_email,
        lambda found: CREDITS_PER_CALL[FINDER] if found and found.email else 0,
    )
    if found is None or not found.email:
        return []
    detail = found.detail()
    findings = []
    if EMAIL in wanted and not facts.email:
        findings.append(Finding(EMAIL, found.email, found.score, SOURCE, found.status, detail, row))
    if LINKEDIN in wanted and found.linkedin_url:
        try:
            profile = linkedin_canonical(found.linkedin_url)
        except NormalizeError:
            profile = ""
        if profile:
            findings.append(Finding("linkedin_url", profile, found.score, SOURCE, "", detail, row))
    if PHONE in wanted and found.phone_number:
        try:
            phone = phone_e164(found.phone_number, facts.region or None)
        except (NormalizeError, ValueError):
            phone = ""
        if phone:
            findings.append(Finding(PHONE, phone, found.score, SOURCE, "", detail, row))
    return findings


def _verification_findings(client: HunterClient, email: str) -> list[Finding]:
    try:
        address = email_normalize(email)
    except NormalizeError:
        raise ProviderFailed("The lead's email is not an address Hunter can verify.") from None
    verdict, row = _answer(
        VERIFIER,
        address,
        lambda: client.get(VERIFIER, {"email": address}),
        parse_verification,
        lambda verdict: (
            0 if verdict is None or verdict.hunter_status in FREE_VERIFICATIONS else CREDITS_PER_CALL[VERIFIER]
        ),
    )
    if verdict is None:
        return []
    return [Finding(EMAIL, address, verdict.score, SOURCE, verdict.status, verdict.detail(), row)]


def _domain_search_credits(facts: DomainFacts | None) -> Decimal:
    return Decimal(math.ceil(facts.emails_returned / 10)) if facts else Decimal(0)


def _company_findings(client: HunterClient, domain: str) -> list[Finding]:
    domain = domain.lower()
    company, row = _answer(
        DOMAIN_SEARCH,
        domain,
        lambda: client.get(DOMAIN_SEARCH, {"domain": domain, "limit": DOMAIN_SEARCH_LIMIT}),
        parse_domain_facts,
        _domain_search_credits,
    )
    if company is None:
        return []
    findings = []

    def add(name: str, value: str, detail: dict | None = None) -> None:
        value, _ = text_fit(value, 500)
        if value:
            findings.append(Finding(f"company.{name}", value, COMPANY_CONFIDENCE, SOURCE, "", detail or {}, row))

    add("name", company.organization)
    add("description", company.description)
    add("industry", company.industry)
    add("size", company.headcount, {"company_type": company.company_type})
    add("location", company.location(), company.address())
    with contextlib.suppress(NormalizeError):  # a page that is not a web address is left out, not a failure
        add("linkedin_url", website_normalize(company.linkedin))
    add("technologies", ", ".join(company.technologies), {"technologies": list(company.technologies)})
    social = company.social()
    add("social", ", ".join(social.values()), social)
    add("email_pattern", company.pattern, {"accept_all": company.accept_all, "emails_known": company.emails_known})
    return findings


def find(facts: LeadFacts, wanted: frozenset[str]) -> list[Finding]:
    """What Hunter knows for one lead's wanted fields; [] when no key is set or there is nothing to ask with.
    Raises KeyRejected, OutOfCredits or ProviderFailed (this lead only) when Hunter cannot answer."""
    api_key = hunter_api_key()
    if not api_key:
        return []
    client = HunterClient(api_key)
    findings: list[Finding] = []
    has_person = bool(facts.first_name.strip() or facts.last_name.strip())
    if _finder_wanted(wanted, bool(facts.email)) and has_person and (facts.domain or facts.company.strip()):
        findings += _person_findings(client, facts, wanted)
    if EMAIL in wanted and facts.email:
        findings += _verification_findings(client, facts.email)
    if COMPANY in wanted and facts.domain:
        findings += _company_findings(client, facts.domain)
    return findings
