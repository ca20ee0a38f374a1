"""The built-in email finder (source "finder"): verifies a lead's address, or guesses one from the person's name and
the company's domain and asks the domain's mail server which guess exists. Free: it spends no credits, only DNS
lookups and one short SMTP session per domain, and its answers are cached for the site's cache days.

What it returns for the waterfall:
- a lead with an email: one Finding with that address's verdict (valid, invalid, catch-all, unknown, disposable,
  role), whatever it is;
- otherwise: the address the mail server accepted (status "valid", confidence 95), or at a catch-all domain the
  best-ranked guess (status "catch-all", confidence 40: never to be stored as the lead's email), or nothing when
  every candidate was refused; ProviderFailed when it cannot say (no domain or name, free-mail domain, a domain
  that takes no mail, a server that greylists, stalls, drops the connection or sits on a private address).
"""

from __future__ import annotations

from crm.normalize import is_disposable_mail, is_free_mail
from enrichment.providers.base import EMAIL, Finding, LeadFacts, ProviderFailed
from enrichment.providers.email_patterns import email_candidates
from enrichment.providers.email_verify import (
    CATCH_ALL,
    CONFIDENCE,
    UNKNOWN,
    VALID,
    EmailVerdict,
    search_mailbox,
    verify_email,
)

SOURCE = "finder"
# Free: no paid API behind it (the waterfall's estimate and monthly cap count nothing for it).
CREDITS_PER_LEAD = 0


def _finding(verdict: EmailVerdict, email: str) -> Finding:
    detail = verdict.detail | {"reason": verdict.reason, "mx_host": verdict.mx_host}
    return Finding(
        field=EMAIL,
        value=email,
        confidence=verdict.confidence,
        source=SOURCE,
        status=verdict.status,
        detail=detail,
        answer=verdict.answer,
    )


def _company_domain(facts: LeadFacts) -> str:
    domain = facts.domain.strip().lower().rstrip(".")
    if not domain:
        raise ProviderFailed("no company domain to search")
    # Throw-away first: the free-mail list names some throw-away providers too (mailinator.com).
    if is_disposable_mail(domain):
        raise ProviderFailed("throw-away mail domain: no company address to guess")
    if is_free_mail(domain):
        raise ProviderFailed("free-mail domain: no company address to guess")
    return domain


def find(facts: LeadFacts, wanted: frozenset[str]) -> list[Finding]:
    """The finder's findings for one lead: an email with its verdict, or none."""
    if EMAIL not in wanted:
        return []
    if facts.email:
        if is_free_mail(facts.email.rpartition("@")[2]):
            # Webmail providers block probing hosts; their mailboxes are checked by a paid verifier or not at all.
            reason = "a free-mail address: its provider is not probed"
            return [
                Finding(EMAIL, facts.email, CONFIDENCE[UNKNOWN], SOURCE, UNKNOWN, {"reason": reason, "webmail": True})
            ]
        verdict = verify_email(facts.email)
        return [_finding(verdict, verdict.email or facts.email)]
    domain = _company_domain(facts)
    if not (facts.first_name.strip() or facts.last_name.strip()):
        raise ProviderFailed("needs the person's name")
    candidates = email_candidates(facts.first_name, facts.last_name, domain)
    if not candidates:
        if facts.first_name.strip() and facts.last_name.strip():
            raise ProviderFailed("the person's name has no letters an address could be made of")
        raise ProviderFailed(f"needs the person's full name: addresses at {domain} are built from both names")
    verdict = search_mailbox(domain, candidates)
    if verdict.status in (VALID, CATCH_ALL):
        return [_finding(verdict, verdict.email)]
    if verdict.status == UNKNOWN:
        raise ProviderFailed(f"could not check addresses at {domain}: {verdict.reason}")
    if verdict.detail.get("route"):
        raise ProviderFailed(verdict.reason)  # the domain takes no mail at all
    return []  # every candidate was refused: this person has no address the patterns can guess
