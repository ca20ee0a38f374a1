"""Hunter's v2 answers read into dataclasses, strictly: a field of the wrong type makes the whole answer unreadable
rather than a half-read value. Shapes as documented at https://hunter.io/api-documentation/v2 (each endpoint's
"data" object; errors as {"errors": [{"id", "code", "details"}]})."""

from __future__ import annotations

from dataclasses import dataclass

from crm.normalize import NormalizeError, email_normalize

# Hunter's verification statuses as ours (enrichment.providers.base.Finding.status). Hunter does not verify webmail
# (it is a B2B tool), so a webmail address is "unknown" to us, with webmail noted in the detail.
STATUS_FROM_HUNTER = {
    "valid": "valid",
    "invalid": "invalid",
    "accept_all": "catch-all",
    "disposable": "disposable",
    "webmail": "unknown",
    "unknown": "unknown",
}
# The verifier's older "result" field, for an answer that lacks "status".
STATUS_FROM_RESULT = {"deliverable": "valid", "undeliverable": "invalid", "risky": "unknown"}
SOCIAL_NETWORKS = ("twitter", "facebook", "instagram", "youtube")


class Unreadable(ValueError):
    """The answer is not shaped as Hunter documents it."""


def _data(body: dict) -> dict | None:
    """The answer's "data" object; None for Hunter's found-nothing (a 404 error list, or "data": null)."""
    data = body.get("data")
    if data is None and ("errors" in body or "data" in body):
        return None
    if not isinstance(data, dict):
        raise Unreadable("no data object")
    return data


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Unreadable(f"{name} is not text")
    return value.strip()


def _number(data: dict, name: str) -> int:
    value = data.get(name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unreadable(f"{name} is not a number")
    return int(value)


def _flag(data: dict, name: str) -> bool | None:
    value = data.get(name)
    if value is not None and not isinstance(value, bool):
        raise Unreadable(f"{name} is not true or false")
    return value


def _object(data: dict, name: str) -> dict:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Unreadable(f"{name} is not an object")
    return value


def _list(data: dict, name: str) -> list:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Unreadable(f"{name} is not a list")
    return value


def _email(data: dict, name: str) -> str:
    try:
        return email_normalize(_text(data, name))
    except NormalizeError:
        raise Unreadable(f"{name} is not an email address") from None


def _confidence(value: int) -> int:
    return max(0, min(100, value))


def _status(hunter_status: str, accept_all: bool | None) -> str:
    if hunter_status:
        return STATUS_FROM_HUNTER.get(hunter_status, "unknown")
    return "catch-all" if accept_all else "unknown"


def error_details(body: dict) -> str:
    """Hunter's own words from an error answer ("You are missing the domain parameter"), joined; "" if none."""
    errors = body.get("errors")
    if not isinstance(errors, list):
        return ""
    said = [e["details"].strip() for e in errors if isinstance(e, dict) and isinstance(e.get("details"), str)]
    return "; ".join(text for text in said if text)[:300]


@dataclass(frozen=True)
class FoundEmail:
    """The email finder's answer: the most likely address of a person, how sure Hunter is and what it knows."""

    email: str
    score: int
    status: str
    hunter_status: str
    accept_all: bool | None
    verified_on: str
    position: str
    company: str
    twitter: str
    linkedin_url: str
    phone_number: str
    sources: int

    def detail(self) -> dict:
        return {
            "position": self.position,
            "company": self.company,
            "twitter": self.twitter,
            "sources": self.sources,
            "accept_all": self.accept_all,
            "hunter_status": self.hunter_status,
            "verified_on": self.verified_on,
        }


def parse_found_email(body: dict) -> FoundEmail | None:
    data = _data(body)
    if data is None:
        return None
    verification = _object(data, "verification")
    hunter_status = _text(verification, "status")
    accept_all = _flag(data, "accept_all")
    return FoundEmail(
        email=_email(data, "email"),
        score=_confidence(_number(data, "score")),
        status=_status(hunter_status, accept_all),
        hunter_status=hunter_status,
        accept_all=accept_all,
        verified_on=_text(verification, "date"),
        position=_text(data, "position"),
        company=_text(data, "company"),
        twitter=_text(data, "twitter"),
        linkedin_url=_text(data, "linkedin_url"),
        phone_number=_text(data, "phone_number"),
        sources=len(_list(data, "sources")),
    )


@dataclass(frozen=True)
class Verification:
    """The email verifier's verdict on one address."""

    email: str
    score: int
    status: str
    hunter_status: str
    checks: dict

    def detail(self) -> dict:
        return {"hunter_status": self.hunter_status, **self.checks}


VERIFIER_CHECKS = ("regexp", "gibberish", "disposable", "webmail", "mx_records", "smtp_server", "smtp_check", "block")


def parse_verification(body: dict) -> Verification | None:
    data = _data(body)
    if data is None:
        return None
    hunter_status = _text(data, "status")
    accept_all = _flag(data, "accept_all")
    status = _status(hunter_status, accept_all)
    if not hunter_status:
        status = STATUS_FROM_RESULT.get(_text(data, "result"), status)
    checks = {name: _flag(data, name) for name in VERIFIER_CHECKS}
    checks |= {"accept_all": accept_all, "sources": len(_list(data, "sources"))}
    return Verification(
        email=_text(data, "email"),
        score=_confidence(_number(data, "score")),
        status=status,
        hunter_status=hunter_status,
        checks=checks,
    )


@dataclass(frozen=True)
class DomainFacts:
    """What the domain search says of the company behind a domain, and its address pattern."""

    domain: str
    organization: str
    description: str
    industry: str
    headcount: str
    company_type: str
    country: str
    state: str
    city: str
    postal_code: str
    street: str
    linkedin: str
    networks: dict
    technologies: tuple[str, ...]
    pattern: str
    accept_all: bool | None
    # Addresses in this answer (what the call is charged on) and all Hunter knows for the domain.
    emails_returned: int
    emails_known: int

    def location(self) -> str:
        return ", ".join(part for part in (self.city, self.state, self.country) if part)

    def address(self) -> dict:
        return {
            "street": self.street,
            "city": self.city,
            "postal_code": self.postal_code,
            "state": self.state,
            "country": self.country,
        }

    def social(self) -> dict:
        return {name: url for name, url in self.networks.items() if url}


def parse_domain_facts(body: dict) -> DomainFacts | None:
    data = _data(body)
    if data is None:
        return None
    technologies = _list(data, "technologies")
    if not all(isinstance(name, str) for name in technologies):
        raise Unreadable("technologies are not names")
    emails = _list(data, "emails")
    return DomainFacts(
        domain=_text(data, "domain"),
        organization=_text(data, "organization"),
        description=_text(data, "description"),
        industry=_text(data, "industry"),
        headcount=_text(data, "headcount"),
        company_type=_text(data, "company_type"),
        country=_text(data, "country"),
        state=_text(data, "state"),
        city=_text(data, "city"),
        postal_code=_text(data, "postal_code"),
        street=_text(data, "street"),
        linkedin=_text(data, "linkedin"),
        networks={name: _text(data, name) for name in SOCIAL_NETWORKS},
        technologies=tuple(name.strip() for name in technologies if name.strip()),
        pattern=_text(data, "pattern"),
        accept_all=_flag(data, "accept_all"),
        emails_returned=len(emails),
        emails_known=_number(_object(body, "meta"), "results") or len(emails),
    )


@dataclass(frozen=True)
class Meter:
    used: int
    available: int


@dataclass(frozen=True)
class AccountUsage:
    """The account endpoint's answer: the plan, what it has used of its allowance, and when that resets."""

    plan_name: str
    reset_date: str
    # Hunter's unified credits where the account has them, else its older separate searches and verifications.
    credits: Meter | None
    searches: Meter | None
    verifications: Meter | None

    def summary(self) -> str:
        if self.credits is not None:
            used = [f"{self.credits.used:,} of {self.credits.available:,} credits"]
        else:
            used = [
                f"{meter.used:,} of {meter.available:,} {name}"
                for name, meter in (("searches", self.searches), ("verifications", self.verifications))
                if meter is not None
            ]
        parts = [f"plan {self.plan_name or 'unnamed'}"]
        if used:
            parts.append(" and ".join(used) + " used")
        if self.reset_date:
            parts.append(f"resets {self.reset_date}")
        return ", ".join(parts)


def _meter(requests: dict, name: str) -> Meter | None:
    if requests.get(name) is None:
        return None
    meter = _object(requests, name)
    return Meter(used=_number(meter, "used"), available=_number(meter, "available"))


def parse_account(body: dict) -> AccountUsage | None:
    data = _data(body)
    if data is None:
        return None
    requests = _object(data, "requests")
    return AccountUsage(
        plan_name=_text(data, "plan_name"),
        reset_date=_text(data, "reset_date"),
        credits=_meter(requests, "credits"),
        searches=_meter(requests, "searches"),
        verifications=_meter(requests, "verifications"),
    )
