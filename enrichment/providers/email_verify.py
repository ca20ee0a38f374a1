"""Verifying email addresses offline: syntax, throw-away domains, role mailboxes, where the domain's mail goes, and
an SMTP RCPT probe (enrichment.providers.smtp_probe), each address's verdict and each domain's catch-all fact kept
as answers, so a second run within the cache days probes nothing.

Statuses and their confidence (0-100) are in CONFIDENCE; only "valid" means the mail server accepted the mailbox
itself. "unknown" (greylisted, slow, unreachable) is kept uncached: it is asked again next time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from crm.matching import ROLE_MAILBOXES
from crm.normalize import NormalizeError, email_normalize, is_disposable_mail
from enrichment.answers import answer_cached, answer_record
from enrichment.dns import DnsLookupFailed, mail_route
from enrichment.models import ProviderAnswer
from enrichment.providers.smtp_probe import ProbeResult, RcptReply, probe_mailboxes

SOURCE = "finder"
VALID, INVALID, CATCH_ALL, UNKNOWN, DISPOSABLE, ROLE = "valid", "invalid", "catch-all", "unknown", "disposable", "role"
CONFIDENCE = {VALID: 95, CATCH_ALL: 40, ROLE: 30, UNKNOWN: 20, DISPOSABLE: 10, INVALID: 0}
# Mailboxes asked about per lead, at most. Mail servers block hosts that ask about many addresses (a directory
# harvest, to them), and public verifiers advise about 60 checks a minute per IP: the best-ranked handful finds
# nearly every address a name's common patterns can.
MAX_CANDIDATES = 8
# How long a domain whose server would not answer (greylisting, a stall) is left alone before it is asked again.
PAUSE_AFTER_NO_ANSWER = timedelta(minutes=15)


@dataclass
class EmailVerdict:
    """What is known of one address (or, from a search, of the best address found): its status, how sure, why."""

    status: str
    confidence: int
    reason: str
    mx_host: str = ""
    email: str = ""
    answer: ProviderAnswer | None = None
    # The probe as it went: candidates tried with their replies, the catch-all test, cache hits.
    detail: dict = field(default_factory=dict)


def _verdict(status: str, reason: str, email: str = "", **extra) -> EmailVerdict:
    return EmailVerdict(status, CONFIDENCE[status], reason, email=email, **extra)


def _from_answer(answer: ProviderAnswer) -> EmailVerdict:
    body = answer.body
    return _verdict(
        body["status"], body.get("reason", ""), body.get("email", ""), mx_host=body.get("mx_host", ""), answer=answer
    )


def _record(email: str, status: str, reason: str, mx_host: str, reply: RcptReply | None = None) -> EmailVerdict:
    """Keep one address's verdict: valid and invalid for the cache days, unknown only as history."""
    body = {"email": email, "status": status, "reason": reason, "mx_host": mx_host}
    if reply is not None:
        body |= {"code": reply.code, "message": reply.message[:200]}
    answer = answer_record(SOURCE, "verify", email, body, cached=status in (VALID, INVALID))
    return _verdict(status, reason, email, mx_host=mx_host, answer=answer)


def _reply_verdict(reply: RcptReply, mx_host: str) -> EmailVerdict:
    if reply.verdict == "accepted":
        return _record(reply.address, VALID, f"{mx_host} accepts this mailbox", mx_host, reply)
    if reply.verdict == "rejected":
        return _record(reply.address, INVALID, f"no such mailbox ({reply.code})", mx_host, reply)
    return _record(reply.address, UNKNOWN, f"the server would not say ({reply.code} {reply.message[:80]})", mx_host)


def _catch_all_verdict(domain: str, email: str, fact: ProviderAnswer, detail: dict) -> EmailVerdict:
    mx_host = fact.body.get("mx_host", "")
    reason = f"{domain} accepts every address, so no single one can be confirmed"
    return _verdict(CATCH_ALL, reason, email, mx_host=mx_host, answer=fact, detail=detail)


def _record_catch_all(probe: ProbeResult) -> ProviderAnswer:
    body = {"domain": probe.domain, "catch_all": probe.catch_all, "mx_host": probe.mx_host}
    if probe.catch_all_reply is not None:
        body |= {"code": probe.catch_all_reply.code, "message": probe.catch_all_reply.message[:200]}
    return answer_record(SOURCE, "catch-all", probe.domain, body)


def _ascii_domain(domain: str) -> str:
    """The domain as DNS and SMTP commands spell it (IDNA for an international one), "" when it has no such form."""
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def search_mailbox(domain: str, candidates: list[str]) -> EmailVerdict:
    """The best of a person's candidate addresses at one domain (rank order, at most MAX_CANDIDATES): the first the
    mail server accepts ("valid"); at a catch-all domain the best-ranked guess ("catch-all"); "invalid" with no
    email when every candidate was refused or the domain takes no mail; "unknown" when the server would not say.
    Cached verdicts are used first: a second search within the cache days asks no server."""
    domain = domain.strip().lower().rstrip(".")
    candidates = list(dict.fromkeys(candidates))[:MAX_CANDIDATES]
    detail: dict = {"domain": domain, "candidates": candidates, "tried": []}
    if not candidates:
        return _verdict(INVALID, "no candidate address", detail=detail)
    domain = _ascii_domain(domain)
    if not domain:
        return _verdict(INVALID, f"{detail['domain']} is not a valid domain", detail=detail)
    candidates = [f"{email.rpartition('@')[0]}@{domain}" for email in candidates]
    fact = answer_cached(SOURCE, "catch-all", domain)
    if fact is not None and fact.body.get("catch_all"):
        return _catch_all_verdict(domain, candidates[0], fact, detail | {"cached": True})
    paused = answer_cached(SOURCE, "paused", domain)
    if paused is not None:
        # The server asked us to wait (greylisting), stalled or hung up a moment ago: its other leads do not knock.
        reason = f"{domain}'s mail server would not say a moment ago ({paused.body.get('reason', '')}); asked later"
        return _verdict(UNKNOWN, reason, detail=detail | {"cached": True})
    pending: list[str] = []
    for email in candidates:
        cached = answer_cached(SOURCE, "verify", email)
        if cached is None:
            pending.append(email)
            continue
        verdict = _from_answer(cached)
        detail["tried"].append({"email": email, "status": verdict.status, "cached": True})
        if verdict.status == VALID:
            verdict.detail = detail
            return verdict
    if not pending:
        return _verdict(INVALID, f"every candidate was refused at {domain}", detail=detail)
    try:
        route = mail_route(domain)
    except DnsLookupFailed as error:
        return _verdict(UNKNOWN, str(error), detail=detail)
    if not route.hosts:
        detail["route"] = route.how
        return _verdict(INVALID, route.reason, answer=route.answer, detail=detail)
    probe = probe_mailboxes(route, pending, test_catch_all=fact is None)
    detail |= {"mx_host": probe.mx_host, "probe": probe.as_dict()}
    if probe.error:
        answer_record(SOURCE, "paused", domain, {"reason": probe.error[:200]}, ttl=PAUSE_AFTER_NO_ANSWER)
    if probe.catch_all is not None:
        fact = _record_catch_all(probe)
        if probe.catch_all:
            return _catch_all_verdict(domain, candidates[0], fact, detail)
    verdicts = [_reply_verdict(reply, probe.mx_host) for reply in probe.replies]
    detail["tried"] += [
        {"email": reply.address, "status": verdict.status, "code": reply.code}
        for reply, verdict in zip(probe.replies, verdicts, strict=True)
    ]
    if probe.error and verdicts and verdicts[-1].status == UNKNOWN:
        verdicts[-1].reason, verdicts[-1].detail = probe.error, detail  # the address the server deferred
        return verdicts[-1]
    if probe.error or not verdicts:
        return _verdict(UNKNOWN, probe.error or "no answer", mx_host=probe.mx_host, detail=detail)
    # The last reply is the one the session stopped at: the accepted address, or the last refusal.
    last = verdicts[-1]
    last.detail = detail
    if last.status != VALID and len(candidates) > 1:
        return _verdict(INVALID, f"every candidate was refused at {domain}", mx_host=probe.mx_host, detail=detail)
    return last


def _local_verdict(email: str) -> EmailVerdict | None:
    """The verdicts that need no network (after the syntax check): a throw-away domain, a role mailbox."""
    local, _, domain = email.rpartition("@")
    if is_disposable_mail(domain):
        return _verdict(DISPOSABLE, f"{domain} gives out throw-away mailboxes", email)
    if local.partition("+")[0] in ROLE_MAILBOXES:
        return _verdict(ROLE, f"{local}@ is a shared mailbox, not a person's", email)
    return None


def verify_email(email: str) -> EmailVerdict:
    """One address's verdict: syntax (email-validator, no DNS), disposable domain, role mailbox, the domain's mail
    hosts, then the SMTP probe; from the cache when it was verified within the cache days."""
    try:
        address = email_normalize(email)
    except NormalizeError as error:
        return _verdict(INVALID, str(error), email)
    if not address:
        return _verdict(INVALID, "no address", email)
    local_verdict = _local_verdict(address)
    if local_verdict is not None:
        return local_verdict
    if not address.rpartition("@")[0].isascii():
        # Asking about it needs SMTPUTF8, which few servers offer and smtplib's probe does not speak.
        return _verdict(UNKNOWN, "a mailbox name in non-ASCII letters cannot be probed", address)
    local, _, domain = address.rpartition("@")
    address = f"{local}@{_ascii_domain(domain) or domain}"
    cached = answer_cached(SOURCE, "verify", address)
    if cached is not None:
        return _from_answer(cached)
    verdict = search_mailbox(domain, [address])
    verdict.email = address
    if verdict.status == UNKNOWN and verdict.answer is None:
        # Kept as history only (uncached): a greylisted or silent server is asked again next time.
        kept = _record(address, UNKNOWN, verdict.reason, verdict.mx_host)
        verdict.answer = kept.answer
    return verdict
